// Package semconv holds the traceAI semantic conventions as Go constants:
// every span attribute key, span kind, MIME type and provider value that the
// traceAI SDKs emit, spelled exactly as the Python reference spells them, so
// that spans from Go are indistinguishable from spans from Python.
//
// OpenTelemetry Go's own semconv packages no longer carry the gen_ai.* keys,
// so traceAI owns them here. The package imports nothing but
// go.opentelemetry.io/otel/attribute.
package semconv

import (
	"strconv"

	"go.opentelemetry.io/otel/attribute"
)

// SpanKind is a traceAI span kind, the value of the GenAISpanKind attribute.
// It is not the OpenTelemetry trace.SpanKind: traceAI records its own kind as
// an attribute and leaves the OpenTelemetry kind INTERNAL or CLIENT.
type SpanKind string

// Attribute returns the gen_ai.span.kind attribute carrying k.
func (k SpanKind) Attribute() attribute.KeyValue { return GenAISpanKind.String(string(k)) }

// String returns k as it appears on a span.
func (k SpanKind) String() string { return string(k) }

// MimeType is the value of InputMimeType and OutputMimeType.
type MimeType string

// String returns m as it appears on a span.
func (m MimeType) String() string { return string(m) }

// Provider is the value of GenAIProviderName.
type Provider string

// String returns p as it appears on a span.
func (p Provider) String() string { return string(p) }

// System is the value of the legacy GenAISystem attribute.
type System string

// String returns s as it appears on a span.
func (s System) String() string { return string(s) }

// Provider values beyond the reference list, used by traceai-go's own
// instrumentation for providers the reference does not name.
const (
	// ProviderOllama is "ollama".
	ProviderOllama Provider = "ollama"
)

// Keys emitted by traceAI SDKs that the Python SpanAttributes class does not
// list.
const (
	// RawInput is "raw.input": the request body as sent (TypeScript extra).
	RawInput attribute.Key = "raw.input"
	// RawOutput is "raw.output": the response body as received (TypeScript extra).
	RawOutput attribute.Key = "raw.output"
	// LegacySpanKind is "fi.span.kind", the span-kind key of the TypeScript,
	// C# and Java SDKs and of Python before 2026-02.
	LegacySpanKind attribute.Key = "fi.span.kind"
	// SpanLeaked is "gen_ai.span.leaked", set on spans ended at shutdown
	// because the application never ended them.
	SpanLeaked attribute.Key = "gen_ai.span.leaked"
	// LLMRetryAttempt is "gen_ai.request.retry_attempt": traceai-go's record
	// of which attempt of one logical call a span describes (0 for the first).
	LLMRetryAttempt attribute.Key = "gen_ai.request.retry_attempt"
)

// FirstTokenStreamEvent is the name of the span event added when the first
// chunk of a streamed response arrives, as the Python reference names it.
const FirstTokenStreamEvent = "First Token Stream Event"

// RedactedValue replaces a value hidden by TraceConfig masking.
const RedactedValue = "__REDACTED__"

// InputMessageKey returns the flattened key of field sub of input message i,
// e.g. InputMessageKey(0, MessageRole) is "gen_ai.input.messages.0.message.role".
func InputMessageKey(i int, sub attribute.Key) attribute.Key {
	return indexed(GenAIInputMessages, i, sub)
}

// OutputMessageKey returns the flattened key of field sub of output message i,
// e.g. "gen_ai.output.messages.0.message.content".
func OutputMessageKey(i int, sub attribute.Key) attribute.Key {
	return indexed(GenAIOutputMessages, i, sub)
}

// MessageContentKey returns the key of field sub of content part j inside a
// message, relative to the message: "message.contents.<j>.<sub>".
func MessageContentKey(j int, sub attribute.Key) attribute.Key {
	return indexed(MessageContents, j, sub)
}

// MessageContentPartKey returns the key of field sub of content part j under
// the singular prefix, relative to the message: "message.content.<j>.<sub>".
// Python's OpenAI instrumentation writes a chat completion's audio answer
// there, while input parts use MessageContentKey.
func MessageContentPartKey(j int, sub attribute.Key) attribute.Key {
	return indexed(MessageContent, j, sub)
}

// MessageToolCallKey returns the key of field sub of tool call k inside a
// message, relative to the message: "message.tool_calls.<k>.<sub>".
func MessageToolCallKey(k int, sub attribute.Key) attribute.Key {
	return indexed(MessageToolCalls, k, sub)
}

// ToolDefinitionKey returns "gen_ai.tool.definitions.<i>.tool.json_schema".
func ToolDefinitionKey(i int) attribute.Key {
	return indexed(GenAIToolDefinitions, i, ToolJSONSchema)
}

// EmbeddingKey returns "embedding.embeddings.<i>.<sub>", sub being
// EmbeddingText or EmbeddingVector.
func EmbeddingKey(i int, sub attribute.Key) attribute.Key {
	return indexed(EmbeddingEmbeddings, i, sub)
}

// RetrievalDocumentKey returns "retrieval.documents.<i>.<sub>", sub being one
// of the Document* keys.
func RetrievalDocumentKey(i int, sub attribute.Key) attribute.Key {
	return indexed(RetrievalDocuments, i, sub)
}

func indexed(prefix attribute.Key, i int, sub attribute.Key) attribute.Key {
	b := make([]byte, 0, len(prefix)+len(sub)+6)
	b = append(b, prefix...)
	b = append(b, '.')
	b = strconv.AppendInt(b, int64(i), 10)
	b = append(b, '.')
	b = append(b, sub...)
	return attribute.Key(b)
}

// ProjectType is the kind of Future AGI project spans are sent to, the value
// of the project_type resource attribute.
type ProjectType string

// Project types, as the reference spells them.
const (
	// ProjectTypeExperiment is "experiment".
	ProjectTypeExperiment ProjectType = "experiment"
	// ProjectTypeObserve is "observe".
	ProjectTypeObserve ProjectType = "observe"
)
