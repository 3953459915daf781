// Package fibedrock traces calls to Amazon Bedrock's runtime API at the
// HTTP level: Converse, ConverseStream, InvokeModel and
// InvokeModelWithResponseStream each become one traceAI LLM span carrying
// the model, the request's system prompt, messages, tools and inference
// parameters, the response's message, stop reason, token counts (with
// prompt-cache reads and writes) and guardrail interventions, and the
// context attributes (session.id, user.id, ...) set with the fi package.
//
// Plug it into github.com/aws/aws-sdk-go-v2/service/bedrockruntime through
// the client's HTTP client:
//
//	client := bedrockruntime.NewFromConfig(cfg, func(o *bedrockruntime.Options) {
//		o.HTTPClient = &http.Client{Transport: fibedrock.NewTransport(nil)}
//	})
//
// The SDK signs each request (SigV4) before the transport sees it; the
// transport changes no byte and no header of it, and records neither the
// credentials, the Authorization header nor the security token. Each
// attempt of the SDK's retries is a span of its own.
//
// Streamed responses (the AWS event-stream framing) are decoded as the
// application reads them, never ahead; the span ends when the stream ends,
// fails, or is closed. InvokeModel bodies are understood for Anthropic
// Claude (Messages), Amazon Nova, Meta Llama, Mistral and Cohere; other
// models' calls still get a span with the model, the status and the
// context attributes.
//
// The spans go to the global tracer provider unless WithTracerProvider
// says otherwise.
//
// This package does not import the AWS SDK.
package fibedrock
