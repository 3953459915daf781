// Package figenai traces calls to the Google Gemini API (generateContent,
// streamGenerateContent, embedContent, batchEmbedContents) at the HTTP
// level, as google.golang.org/genai makes them: every call becomes one
// traceAI span (LLM or EMBEDDING) carrying the request's contents, system
// instruction, tools and config, the candidates, thoughts, function calls
// and usage metadata, and the context attributes (session.id, user.id, ...)
// set with the fi package.
//
//	client, err := genai.NewClient(ctx, &genai.ClientConfig{
//		APIKey:     key,
//		Backend:    genai.BackendGeminiAPI,
//		HTTPClient: &http.Client{Transport: figenai.NewTransport(nil)},
//	})
//
// The spans go to the global tracer provider unless WithTracerProvider says
// otherwise: pass the provider traceai.Register returns, or register it with
// traceai.WithSetGlobal(true).
package figenai
