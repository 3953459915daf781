// Package fiopenai traces calls to the OpenAI API at the HTTP level, so it
// works with every Go client of that protocol: github.com/openai/openai-go
// (v1, v2, v3), github.com/sashabaranov/go-openai, langchaingo's OpenAI
// backend, Azure OpenAI, OpenAI-compatible servers (vLLM, Ollama's /v1,
// Groq, Together, ...) and plain net/http.
//
// Chat Completions, the Responses API, Embeddings and the legacy
// Completions endpoint each become one traceAI span (LLM, or EMBEDDING for
// embeddings) carrying what the Python traceAI-openai instrumentation
// records: request parameters, input and output messages, tool definitions
// and calls, token counts, and the context attributes (session.id,
// user.id, ...) set with the fi package.
//
// With openai-go, pass Middleware as a request option:
//
//	client := openai.NewClient(option.WithMiddleware(fiopenai.Middleware()))
//
// With any other client, wrap its transport:
//
//	hc := &http.Client{Transport: fiopenai.NewTransport(nil)}
//
// Streamed responses are passed through unbuffered; the span ends when the
// stream ends, fails, is closed, or its request's context is cancelled.
// The response bytes the application reads are never changed, and the
// Authorization and api-key headers are never recorded.
//
// The spans go to the global tracer provider unless WithTracerProvider says
// otherwise: pass the provider traceai.Register returns, or register it with
// traceai.WithSetGlobal(true).
package fiopenai
