// Package fieino traces CloudWeGo Eino graphs, chains and agents.
//
// NewHandler returns an Eino callbacks handler. Install it for every run
// with callbacks.AppendGlobalHandlers, or for one run with
// compose.WithCallbacks. Each component run becomes a traceAI span, a
// child of the run it belongs to: chat models LLM spans (messages
// flattened as fiopenai does, tool definitions, model, usage), tools TOOL
// spans (name, call id, arguments, result), retrievers RETRIEVER spans
// (query and documents), embedders EMBEDDING spans, prompts, lambdas,
// tool nodes, chains and graphs CHAIN spans, and agent graphs (Eino's
// ReAct agent, graphs named "...Agent", WithAgentNames) AGENT spans.
// Streamed outputs are followed on the handler's own goroutine and the
// span ends with the stream. The context's session, user, metadata and
// tags are on every span.
//
// When the chat model's HTTP client is traced by a provider package
// (fiopenai.NewTransport, for example), pass WithModelSpans(false): the
// provider's LLM span then stands alone under the graph node.
package fieino
