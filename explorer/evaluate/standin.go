package evaluate

import (
	"context"

	"github.com/traceai-go/traceai/internal/standin"
)

// StandIn is a deterministic judge for tests and the demo: rules per
// built-in evaluator (internal/standin.Judge), a hash of the prompt for
// custom ones. Its answers go through the same parsing as a model's.
type StandIn struct{}

// Judge answers r without a network call.
func (StandIn) Judge(ctx context.Context, r *Request) (Response, error) {
	if err := ctx.Err(); err != nil {
		return Response{}, err
	}
	t := r.Target
	in := standin.JudgeInput{Evaluator: r.Evaluator.Name, Input: t.Input, Output: t.Output, Failed: t.Failed,
		Context: t.Context, Min: r.Evaluator.Min, Max: r.Evaluator.Max, Prompt: r.Prompt}
	if t.Level == LevelSession {
		for _, tt := range t.Turns {
			in.Turns = append(in.Turns, standin.JudgeTurn{User: tt.User, Assistant: tt.Assistant, Failed: tt.Failed})
		}
	}
	if !isBuiltin(r.Evaluator) {
		in.Evaluator = ""
		for _, l := range r.Evaluator.Labels {
			in.Labels = append(in.Labels, l.Name)
		}
	}
	text := standin.Judge(in)
	return Response{Text: text, PromptTokens: estimateTokens(r.System) + estimateTokens(r.Prompt),
		CompletionTokens: estimateTokens(text)}, nil
}

// isBuiltin reports whether e is a built-in rubric (not a custom one
// that took a built-in name).
func isBuiltin(e *Evaluator) bool {
	p, ok := builtinPrompts[e.Name]
	return ok && p == e.Prompt
}

var builtinPrompts = func() map[string]string {
	m := map[string]string{}
	for _, b := range builtin() {
		m[b.Name] = b.Prompt
	}
	return m
}()

// estimateTokens counts about four characters a token, as tokenizers
// roughly do for English.
func estimateTokens(s string) int {
	if s == "" {
		return 0
	}
	return (len(s)+3)/4 + 1
}
