package fi

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"

	"github.com/traceai-go/traceai/fi/semconv"
)

// Environment variables read by NewTraceConfig, as in the traceAI reference.
const (
	EnvHideLLMInvocationParameters = "FI_HIDE_LLM_INVOCATION_PARAMETERS"
	EnvHideInputs                  = "FI_HIDE_INPUTS"
	EnvHideOutputs                 = "FI_HIDE_OUTPUTS"
	EnvHideInputMessages           = "FI_HIDE_INPUT_MESSAGES"
	EnvHideOutputMessages          = "FI_HIDE_OUTPUT_MESSAGES"
	EnvHideInputImages             = "FI_HIDE_INPUT_IMAGES"
	EnvHideInputText               = "FI_HIDE_INPUT_TEXT"
	EnvHideOutputText              = "FI_HIDE_OUTPUT_TEXT"
	EnvHideEmbeddingVectors        = "FI_HIDE_EMBEDDING_VECTORS"
	EnvBase64ImageMaxLength        = "FI_BASE64_IMAGE_MAX_LENGTH"
	EnvPIIRedaction                = "FI_PII_REDACTION"
)

// DefaultBase64ImageMaxLength is the longest base64 image data URL kept
// on a span before it is replaced by RedactedValue.
const DefaultBase64ImageMaxLength = 32000

// RedactedValue replaces hidden values.
const RedactedValue = semconv.RedactedValue

// TraceConfig says which values traceAI instrumentation and helpers may
// record. It is applied where attributes are set, so hidden values never
// reach a span, a processor or an exporter.
//
// Build one with NewTraceConfig, which reads the FI_* environment
// variables, and set fields to override them; or write a literal, which
// ignores the environment. The zero TraceConfig hides nothing and uses
// DefaultBase64ImageMaxLength. Fields are the one way to set it.
type TraceConfig struct {
	HideLLMInvocationParameters bool // drop gen_ai.request.parameters
	HideInputs                  bool // redact input.value, drop input.mime_type and input messages
	HideOutputs                 bool // redact output.value, drop output.mime_type and output messages
	HideInputMessages           bool // drop gen_ai.input.messages.*
	HideOutputMessages          bool // drop gen_ai.output.messages.*
	HideInputImages             bool // drop images inside input messages
	HideInputText               bool // redact text inside input messages
	HideOutputText              bool // redact text inside output messages
	HideEmbeddingVectors        bool // drop embedding.embeddings.N.embedding.vector
	// Base64ImageMaxLength is the longest base64 image data URL kept inside
	// input messages; a longer one is redacted. Zero means the default.
	Base64ImageMaxLength int
	// PIIRedaction replaces e-mail addresses, SSNs, card numbers, API keys,
	// IP addresses and phone numbers in every recorded string with
	// <EMAIL_ADDRESS>, <SSN>, <CREDIT_CARD>, <API_KEY>, <IP_ADDRESS> and
	// <PHONE_NUMBER>.
	PIIRedaction bool
}

// NewTraceConfig returns the configuration from the FI_* environment
// variables; set fields on the result to override them, as with
// sdktrace.NewSpanLimits. Boolean variables accept "true" and "false"
// in any case; another value is reported to the OpenTelemetry error handler
// and the default is kept, as the reference does.
func NewTraceConfig() TraceConfig {
	c := TraceConfig{
		HideLLMInvocationParameters: envBool(EnvHideLLMInvocationParameters),
		HideInputs:                  envBool(EnvHideInputs),
		HideOutputs:                 envBool(EnvHideOutputs),
		HideInputMessages:           envBool(EnvHideInputMessages),
		HideOutputMessages:          envBool(EnvHideOutputMessages),
		HideInputImages:             envBool(EnvHideInputImages),
		HideInputText:               envBool(EnvHideInputText),
		HideOutputText:              envBool(EnvHideOutputText),
		HideEmbeddingVectors:        envBool(EnvHideEmbeddingVectors),
		Base64ImageMaxLength:        envInt(EnvBase64ImageMaxLength, DefaultBase64ImageMaxLength),
		PIIRedaction:                envBool(EnvPIIRedaction),
	}
	return c
}

func envBool(name string) bool {
	v, ok := os.LookupEnv(name)
	if !ok || v == "" {
		return false
	}
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true":
		return true
	case "false":
		return false
	}
	otel.Handle(fmt.Errorf("fi: %s=%q is not true or false; using false", name, v))
	return false
}

func envInt(name string, def int) int {
	v, ok := os.LookupEnv(name)
	if !ok || v == "" {
		return def
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 {
		otel.Handle(fmt.Errorf("fi: %s=%q is not a non-negative integer; using %d", name, v, def))
		return def
	}
	return n
}

func (c *TraceConfig) imageMax() int {
	if c.Base64ImageMaxLength <= 0 {
		return DefaultBase64ImageMaxLength
	}
	return c.Base64ImageMaxLength
}

// Mask applies the configuration to one attribute, following the reference's
// rules in order (first match wins). It returns the value to record and
// false when the attribute must not be recorded at all.
//
// One deliberate difference: the base64 image length limit also applies to
// keys ending in message_content.image, the key the OpenAI instrumentation
// uses for image URLs; the reference only checks keys ending in image.url,
// so its limit never fired for OpenAI spans.
func (c *TraceConfig) Mask(kv attribute.KeyValue) (attribute.KeyValue, bool) {
	k := string(kv.Key)
	inMsg := strings.Contains(k, "gen_ai.input.messages")
	outMsg := strings.Contains(k, "gen_ai.output.messages")
	switch {
	case c.HideLLMInvocationParameters && kv.Key == semconv.GenAIRequestParameters:
		return kv, false
	case c.HideInputs && kv.Key == semconv.InputValue:
		return kv.Key.String(RedactedValue), true
	case c.HideInputs && kv.Key == semconv.InputMimeType:
		return kv, false
	case c.HideOutputs && kv.Key == semconv.OutputValue:
		return kv.Key.String(RedactedValue), true
	case c.HideOutputs && kv.Key == semconv.OutputMimeType:
		return kv, false
	case (c.HideInputs || c.HideInputMessages) && inMsg:
		return kv, false
	case (c.HideOutputs || c.HideOutputMessages) && outMsg:
		return kv, false
	case c.HideInputText && inMsg && strings.Contains(k, "message.content") && !strings.Contains(k, "message.contents"):
		return kv.Key.String(RedactedValue), true
	case c.HideOutputText && outMsg && strings.Contains(k, "message.content") && !strings.Contains(k, "message.contents"):
		return kv.Key.String(RedactedValue), true
	case c.HideInputText && inMsg && strings.Contains(k, "message_content.text"):
		return kv.Key.String(RedactedValue), true
	case c.HideOutputText && outMsg && strings.Contains(k, "message_content.text"):
		return kv.Key.String(RedactedValue), true
	case c.HideInputImages && inMsg && strings.Contains(k, "message_content.image"):
		return kv, false
	case inMsg && kv.Value.Type() == attribute.STRING && c.oversizeImage(k, kv.Value.AsString()):
		return kv.Key.String(RedactedValue), true
	case c.HideEmbeddingVectors && strings.Contains(k, "embedding.embeddings") && strings.Contains(k, "embedding.vector"):
		return kv, false
	}
	return c.pii(kv), true
}

func (c *TraceConfig) oversizeImage(key, v string) bool {
	return strings.HasPrefix(v, "data:image/") && strings.Contains(v, "base64") && len(v) > c.imageMax() &&
		strings.Contains(key, "message_content.image") &&
		(strings.HasSuffix(key, "image.url") || strings.HasSuffix(key, "message_content.image"))
}

func (c *TraceConfig) pii(kv attribute.KeyValue) attribute.KeyValue {
	if !c.PIIRedaction {
		return kv
	}
	return redactPII(kv)
}

// MaskAll applies Mask to every attribute of kvs, in place, and returns the
// attributes to record (a prefix of kvs).
func (c *TraceConfig) MaskAll(kvs []attribute.KeyValue) []attribute.KeyValue {
	if *c == (TraceConfig{Base64ImageMaxLength: c.Base64ImageMaxLength}) {
		// Nothing hidden or redacted (the default): of Mask's rules only
		// the one for oversized images can apply.
		for i, kv := range kvs {
			if kv.Value.Type() == attribute.STRING && strings.HasPrefix(kv.Value.AsString(), "data:image/") &&
				strings.Contains(string(kv.Key), "gen_ai.input.messages") && c.oversizeImage(string(kv.Key), kv.Value.AsString()) {
				kvs[i] = kv.Key.String(RedactedValue)
			}
		}
		return kvs
	}
	out := kvs[:0]
	for _, kv := range kvs {
		if m, ok := c.Mask(kv); ok {
			out = append(out, m)
		}
	}
	return out
}

// The reference's PII patterns, applied in this order.
var (
	piiQuickCheck = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@|\b\d{3}[\-\.\s]?\d{2}[\-\.\s]?\d{4}\b|\b(?:\d[ \-]*?){13,19}\b|\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b|(?:sk|pk)[-_](?:live|test|prod)[-_]|\(?\+?\d{1,4}\)?[\s\-\.]?\(?\d`)
	piiPatterns   = []struct {
		re   *regexp.Regexp
		repl string
	}{
		{regexp.MustCompile(`\b[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}\b`), "<EMAIL_ADDRESS>"},
		{regexp.MustCompile(`\b\d{3}[\-\.\s]\d{2}[\-\.\s]\d{4}\b`), "<SSN>"},
		{regexp.MustCompile(`\b(?:\d[ \-]*?){13,19}\b`), "<CREDIT_CARD>"},
		{regexp.MustCompile(`\b(?:sk|pk)[-_](?:live|test|prod)[-_][A-Za-z0-9]{20,}\b`), "<API_KEY>"},
		{regexp.MustCompile(`\b(?:(?:25[0-5]|2[0-4]\d|[01]?\d\d?)\.){3}(?:25[0-5]|2[0-4]\d|[01]?\d\d?)\b`), "<IP_ADDRESS>"},
		{regexp.MustCompile(`(?:\+?1[\s\-\.]?)?\(?\d{3}\)?[\s\-\.]?\d{3}[\s\-\.]?\d{4}\b`), "<PHONE_NUMBER>"},
	}
)

// RedactPII returns s with personal data replaced by placeholders, as the
// reference's redact_pii_in_value does for strings.
func RedactPII(s string) string {
	if s == "" || !piiQuickCheck.MatchString(s) {
		return s
	}
	for _, p := range piiPatterns {
		s = p.re.ReplaceAllLiteralString(s, p.repl)
	}
	return s
}

func redactPII(kv attribute.KeyValue) attribute.KeyValue {
	switch kv.Value.Type() {
	case attribute.STRING:
		if s := kv.Value.AsString(); s != "" {
			if r := RedactPII(s); r != s {
				return kv.Key.String(r)
			}
		}
	case attribute.STRINGSLICE:
		in := kv.Value.AsStringSlice()
		changed := false
		for i, s := range in {
			if r := RedactPII(s); r != s {
				in[i], changed = r, true
			}
		}
		if changed {
			return kv.Key.StringSlice(in)
		}
	}
	return kv
}

func redactPIIAll(kvs []attribute.KeyValue) []attribute.KeyValue {
	for i := range kvs {
		kvs[i] = redactPII(kvs[i])
	}
	return kvs
}
