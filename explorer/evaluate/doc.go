// Package evaluate scores stored sessions and turns with LLM-judge
// evaluators and writes each verdict into the store as an evaluation span
// (the keys of fi.RecordEvaluation), so that the explorer's rankings, pages
// and API show it. It is the engine of "traceai eval".
//
// Evaluators are rubrics: built-in ones (Builtin: task_completion,
// helpfulness, groundedness, tone, toxicity, pii_leak) or custom ones from
// a JSON file (LoadConfig). A Judge answers them: OpenAIJudge asks any
// OpenAI-compatible chat completions API, retrying 429s, 5xx and timeouts;
// StandIn answers deterministically for tests and the demo.
//
// Run is resumable and idempotent: a verdict's span id is derived from the
// evaluator's name and version and its target, and a target that already
// carries it is skipped. See docs/evaluations.md.
package evaluate
