// Package fiollama traces calls to Ollama's native API (/api/chat,
// /api/generate, /api/embed) at the HTTP level, as
// github.com/ollama/ollama/api makes them: every call becomes one traceAI
// span (LLM or EMBEDDING) carrying the messages or prompt, tool calls,
// thinking, token counts and Ollama's timings, and the context attributes
// (session.id, user.id, ...) set with the fi package. NDJSON streams are
// passed through unbuffered; the span ends with the stream.
//
//	client := api.NewClient(base, &http.Client{Transport: fiollama.NewTransport(nil)})
//
// The spans go to the global tracer provider unless WithTracerProvider says
// otherwise: pass the provider traceai.Register returns, or register it with
// traceai.WithSetGlobal(true).
package fiollama
