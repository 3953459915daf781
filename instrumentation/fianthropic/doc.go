// Package fianthropic traces calls to the Anthropic Messages API
// (/v1/messages) at the HTTP level: every call becomes one traceAI LLM span
// carrying the request's messages, system prompt, tools and parameters, the
// response's messages, thinking blocks, tool calls and token counts
// (including prompt-cache reads and writes), and the context attributes
// (session.id, user.id, ...) set with the fi package.
//
// Plug it into github.com/anthropics/anthropic-sdk-go with
//
//	client := anthropic.NewClient(
//		option.WithMiddleware(fianthropic.Middleware()),
//		option.WithoutOpenTelemetry(), // one LLM span per call: ours
//	)
//
// or into any *http.Client with NewTransport. Streamed responses are passed
// through unbuffered; the span ends when the stream ends, fails, or is
// closed.
//
// The spans go to the global tracer provider unless WithTracerProvider says
// otherwise: pass the provider traceai.Register returns, or register it with
// traceai.WithSetGlobal(true).
package fianthropic
