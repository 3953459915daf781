package fi_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/fi/semconv"
)

var allEnv = []string{
	fi.EnvHideLLMInvocationParameters, fi.EnvHideInputs, fi.EnvHideOutputs, fi.EnvHideInputMessages,
	fi.EnvHideOutputMessages, fi.EnvHideInputImages, fi.EnvHideInputText, fi.EnvHideOutputText,
	fi.EnvHideEmbeddingVectors, fi.EnvBase64ImageMaxLength, fi.EnvPIIRedaction,
}

func clearEnv(t *testing.T) {
	for _, name := range allEnv {
		t.Setenv(name, "")
	}
}

func TestEnvNames(t *testing.T) {
	want := "FI_HIDE_LLM_INVOCATION_PARAMETERS FI_HIDE_INPUTS FI_HIDE_OUTPUTS FI_HIDE_INPUT_MESSAGES " +
		"FI_HIDE_OUTPUT_MESSAGES FI_HIDE_INPUT_IMAGES FI_HIDE_INPUT_TEXT FI_HIDE_OUTPUT_TEXT " +
		"FI_HIDE_EMBEDDING_VECTORS FI_BASE64_IMAGE_MAX_LENGTH FI_PII_REDACTION"
	if got := strings.Join(allEnv, " "); got != want {
		t.Errorf("env names:\n got %s\nwant %s", got, want)
	}
	if fi.RedactedValue != "__REDACTED__" || fi.DefaultBase64ImageMaxLength != 32000 {
		t.Error("RedactedValue or DefaultBase64ImageMaxLength differ from the reference")
	}
}

func TestNewTraceConfigDefaults(t *testing.T) {
	clearEnv(t)
	errs := captureErrors(t)
	if got, want := fi.NewTraceConfig(), (fi.TraceConfig{Base64ImageMaxLength: 32000}); got != want {
		t.Errorf("defaults = %+v, want %+v", got, want)
	}
	if e := errs.all(); len(e) != 0 {
		t.Errorf("errors: %v", e)
	}
}

func TestNewTraceConfigEnv(t *testing.T) {
	fields := map[string]func(fi.TraceConfig) bool{
		fi.EnvHideLLMInvocationParameters: func(c fi.TraceConfig) bool { return c.HideLLMInvocationParameters },
		fi.EnvHideInputs:                  func(c fi.TraceConfig) bool { return c.HideInputs },
		fi.EnvHideOutputs:                 func(c fi.TraceConfig) bool { return c.HideOutputs },
		fi.EnvHideInputMessages:           func(c fi.TraceConfig) bool { return c.HideInputMessages },
		fi.EnvHideOutputMessages:          func(c fi.TraceConfig) bool { return c.HideOutputMessages },
		fi.EnvHideInputImages:             func(c fi.TraceConfig) bool { return c.HideInputImages },
		fi.EnvHideInputText:               func(c fi.TraceConfig) bool { return c.HideInputText },
		fi.EnvHideOutputText:              func(c fi.TraceConfig) bool { return c.HideOutputText },
		fi.EnvHideEmbeddingVectors:        func(c fi.TraceConfig) bool { return c.HideEmbeddingVectors },
		fi.EnvPIIRedaction:                func(c fi.TraceConfig) bool { return c.PIIRedaction },
	}
	for name, get := range fields {
		t.Run(name, func(t *testing.T) {
			for _, c := range []struct {
				val  string
				want bool
				bad  bool
			}{
				{"true", true, false}, {"True", true, false}, {"TRUE", true, false}, {" true ", true, false},
				{"false", false, false}, {"False", false, false},
				{"invalid_boolean", false, true}, {"1", false, true}, {"yes", false, true},
			} {
				clearEnv(t)
				errs := captureErrors(t)
				t.Setenv(name, c.val)
				cfg := fi.NewTraceConfig()
				if get(cfg) != c.want {
					t.Errorf("%s=%q: %v, want %v", name, c.val, get(cfg), c.want)
				}
				// No other field moves.
				for other, g := range fields {
					if other != name && g(cfg) {
						t.Errorf("%s=%q also set %s", name, c.val, other)
					}
				}
				if got := len(errs.all()) > 0; got != c.bad {
					t.Errorf("%s=%q: error reported = %v, want %v", name, c.val, got, c.bad)
				}
			}
		})
	}
	t.Run(fi.EnvBase64ImageMaxLength, func(t *testing.T) {
		for _, c := range []struct {
			val  string
			want int
			bad  bool
		}{{"5000", 5000, false}, {"0", 0, false}, {"not_a_number", 32000, true}, {"-1", 32000, true}, {"", 32000, false}} {
			clearEnv(t)
			errs := captureErrors(t)
			t.Setenv(fi.EnvBase64ImageMaxLength, c.val)
			if got := fi.NewTraceConfig().Base64ImageMaxLength; got != c.want {
				t.Errorf("%q: %d, want %d", c.val, got, c.want)
			}
			if got := len(errs.all()) > 0; got != c.bad {
				t.Errorf("%q: error reported = %v, want %v", c.val, got, c.bad)
			}
		}
	})
}

// Fields set on NewTraceConfig's result override the environment; the
// rest keep what it says.
func TestTraceConfigFieldsBeatEnv(t *testing.T) {
	clearEnv(t)
	t.Setenv(fi.EnvHideInputs, "true")
	t.Setenv(fi.EnvBase64ImageMaxLength, "5000")
	t.Setenv(fi.EnvPIIRedaction, "true")
	cfg := fi.NewTraceConfig()
	cfg.HideInputs = false
	cfg.HideOutputs = true
	want := fi.TraceConfig{HideOutputs: true, Base64ImageMaxLength: 5000, PIIRedaction: true}
	if cfg != want {
		t.Errorf("got  %+v\nwant %+v", cfg, want)
	}
}

// TestNewTracerReadsEnv: without WithTraceConfig, NewTracer takes the
// environment's configuration.
func TestNewTracerReadsEnv(t *testing.T) {
	clearEnv(t)
	t.Setenv(fi.EnvHideInputs, "true")
	tp, rec := newProvider(t)
	tr := fi.NewTracer(fi.WithTracerProvider(tp))
	if !tr.TraceConfig().HideInputs {
		t.Fatal("HideInputs not taken from the environment")
	}
	_, s := tr.Start(context.Background(), "op", semconv.SpanKindChain)
	s.SetInput("secret")
	s.End()
	wantAttrs(t, ended(t, rec, "op"), map[attribute.Key]any{semconv.InputValue: "__REDACTED__", semconv.InputMimeType: nil})
}

var (
	inText   = semconv.InputMessageKey(0, semconv.MessageContent)
	inPart   = semconv.InputMessageKey(0, semconv.MessageContentKey(0, semconv.MessageContentText))
	inImage  = semconv.InputMessageKey(0, semconv.MessageContentKey(1, semconv.MessageContentImage))
	inImgURL = attribute.Key(string(semconv.InputMessageKey(0, semconv.MessageContentKey(1, semconv.MessageContentImage))) + "." + string(semconv.ImageURL))
	inRole   = semconv.InputMessageKey(0, semconv.MessageRole)
	outText  = semconv.OutputMessageKey(0, semconv.MessageContent)
	outPart  = semconv.OutputMessageKey(0, semconv.MessageContentKey(0, semconv.MessageContentText))
	outRole  = semconv.OutputMessageKey(0, semconv.MessageRole)
	vector   = semconv.EmbeddingKey(0, semconv.EmbeddingVector)
	embText  = semconv.EmbeddingKey(0, semconv.EmbeddingText)
)

// everything is one value for each key a masking rule looks at.
func everything(bigImage string) []attribute.KeyValue {
	return []attribute.KeyValue{
		semconv.GenAIRequestParameters.String(`{"temperature": 0.2}`),
		semconv.GenAIRequestModel.String("gpt-4o"),
		semconv.InputValue.String("in"),
		semconv.InputMimeType.String("text/plain"),
		semconv.OutputValue.String("out"),
		semconv.OutputMimeType.String("text/plain"),
		inRole.String("user"),
		inText.String("hello"),
		inPart.String("part"),
		inImage.String("https://example.com/cat.png"),
		inImgURL.String(bigImage),
		outRole.String("assistant"),
		outText.String("hi"),
		outPart.String("out part"),
		vector.Float64Slice([]float64{0.1, 0.2}),
		embText.String("embedded text"),
	}
}

// TestMaskingRules records every masked key through fi.Tracer, once per
// option, and checks the recorder holds exactly what each reference rule
// allows: "drop" is absent, "redact" is __REDACTED__, the rest unchanged.
func TestMaskingRules(t *testing.T) {
	const drop = "<drop>"
	big := "data:image/png;base64," + strings.Repeat("A", 40000)
	small := "data:image/png;base64,AAAA"
	for _, c := range []struct {
		name string
		cfg  fi.TraceConfig
		want map[attribute.Key]string
	}{
		{"none", fi.TraceConfig{}, map[attribute.Key]string{inImgURL: fi.RedactedValue}}, // rule 13 with the default limit
		{"invocation parameters", fi.TraceConfig{HideLLMInvocationParameters: true}, map[attribute.Key]string{
			semconv.GenAIRequestParameters: drop, inImgURL: fi.RedactedValue,
		}},
		{"inputs", fi.TraceConfig{HideInputs: true}, map[attribute.Key]string{
			semconv.InputValue: fi.RedactedValue, semconv.InputMimeType: drop,
			inRole: drop, inText: drop, inPart: drop, inImage: drop, inImgURL: drop,
		}},
		{"outputs", fi.TraceConfig{HideOutputs: true}, map[attribute.Key]string{
			semconv.OutputValue: fi.RedactedValue, semconv.OutputMimeType: drop,
			outRole: drop, outText: drop, outPart: drop, inImgURL: fi.RedactedValue,
		}},
		{"input messages", fi.TraceConfig{HideInputMessages: true}, map[attribute.Key]string{
			inRole: drop, inText: drop, inPart: drop, inImage: drop, inImgURL: drop,
		}},
		{"output messages", fi.TraceConfig{HideOutputMessages: true}, map[attribute.Key]string{
			outRole: drop, outText: drop, outPart: drop, inImgURL: fi.RedactedValue,
		}},
		{"input text", fi.TraceConfig{HideInputText: true}, map[attribute.Key]string{
			inText: fi.RedactedValue, inPart: fi.RedactedValue, inImgURL: fi.RedactedValue,
		}},
		{"output text", fi.TraceConfig{HideOutputText: true}, map[attribute.Key]string{
			outText: fi.RedactedValue, outPart: fi.RedactedValue, inImgURL: fi.RedactedValue,
		}},
		{"input images", fi.TraceConfig{HideInputImages: true}, map[attribute.Key]string{inImage: drop, inImgURL: drop}},
		{"embedding vectors", fi.TraceConfig{HideEmbeddingVectors: true}, map[attribute.Key]string{
			vector: drop, inImgURL: fi.RedactedValue,
		}},
		{"image limit raised", fi.TraceConfig{Base64ImageMaxLength: 50000}, map[attribute.Key]string{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			rp := newRecorderProvider(t, fi.NewSpanProcessor())
			tr := fi.NewTracer(fi.WithTracerProvider(rp.tp), fi.WithTraceConfig(c.cfg))
			// Half the attributes at start, half afterwards: both paths mask.
			kvs := everything(big)
			_, span := tr.Start(context.Background(), "op", semconv.SpanKindLLM, trace.WithAttributes(kvs[:8]...))
			span.SetAttributes(kvs[8:]...)
			span.End()
			got := attrs(ended(t, rp.rec, "op"))
			for _, kv := range everything(big) {
				w, ok := c.want[kv.Key]
				v, present := got[kv.Key]
				switch {
				case ok && w == drop:
					if present {
						t.Errorf("%s = %q, want dropped", kv.Key, v.Emit())
					}
				case ok:
					if v.Emit() != w {
						t.Errorf("%s = %q, want %q", kv.Key, v.Emit(), w)
					}
				default:
					if !present || v.Emit() != kv.Value.Emit() {
						t.Errorf("%s = %.40q, want it unchanged", kv.Key, v.Emit())
					}
				}
			}
		})
	}
	// A small image and a non-base64 URL are kept under the default limit.
	cfg := fi.TraceConfig{}
	for _, v := range []string{small, "https://example.com/" + strings.Repeat("a", 40000), "data:image/png," + strings.Repeat("A", 40000)} {
		if m, ok := cfg.Mask(inImgURL.String(v)); !ok || m.Value.AsString() != v {
			t.Errorf("Mask(%.30q...) changed it", v)
		}
	}
	// The limit applies only inside input messages.
	if m, _ := cfg.Mask(semconv.InputValue.String(big)); m.Value.AsString() != big {
		t.Error("image limit applied to input.value")
	}
}

func TestPIIRedactionPatterns(t *testing.T) {
	for in, want := range map[string]string{
		"Contact john@example.com for info":                 "Contact <EMAIL_ADDRESS> for info",
		"a@b.com a@b.com a@b.com":                           "<EMAIL_ADDRESS> <EMAIL_ADDRESS> <EMAIL_ADDRESS>",
		"SSN: 123 45 6789":                                  "SSN: <SSN>",
		"SSN 123.45.6789":                                   "SSN <SSN>",
		"Card: 4111-1111-1111-1111":                         "Card: <CREDIT_CARD>",
		"Card 4111 1111 1111 1111":                          "Card <CREDIT_CARD>",
		"Call +1 555-123-4567":                              "Call <PHONE_NUMBER>",
		"Call (555) 123-4567":                               "Call <PHONE_NUMBER>",
		"555-123-4567":                                      "<PHONE_NUMBER>",
		"Server at 192.168.1.100 is down":                   "Server at <IP_ADDRESS> is down",
		"Key: pk_test_ABCDEFGHIJKLMNOPQRSTuvwx":             "Key: <API_KEY>",
		"sk_live_0123456789abcdefghijKLMN":                  "<API_KEY>",
		"Email john@acme.com, SSN 123-45-6789, IP 10.0.0.1": "Email <EMAIL_ADDRESS>, SSN <SSN>, IP <IP_ADDRESS>",
		"order 12345":                                       "order 12345",
		"hello world":                                       "hello world",
		"1234567890":                                        "<PHONE_NUMBER>",
		"version 1.2.3.4":                                   "version <IP_ADDRESS>",
		"":                                                  "",
	} {
		if got := fi.RedactPII(in); got != want {
			t.Errorf("RedactPII(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestPIIRedactionOnSpans: with PIIRedaction every string and string-list
// attribute a helper or the processor sets is redacted; other types pass.
func TestPIIRedactionOnSpans(t *testing.T) {
	cfg := fi.TraceConfig{PIIRedaction: true}
	rp := newRecorderProvider(t, fi.NewSpanProcessor(fi.WithTraceConfig(cfg)))
	tr := fi.NewTracer(fi.WithTracerProvider(rp.tp), fi.WithTraceConfig(cfg))
	ctx := fi.UsingAttributes(context.Background(), fi.Attributes{SessionID: "s", UserID: "jane@example.org"})
	ctx, span := tr.Start(ctx, "chain", semconv.SpanKindChain,
		trace.WithAttributes(attribute.String("note", "from 10.1.2.3")))
	span.SetInput("my card is 4111 1111 1111 1111")
	span.SetOutput(map[string]any{"mail": "x@y.io"})
	span.SetAttributes(
		attribute.StringSlice("list", []string{"ok", "sk_test_ABCDEFGHIJKLMNOPQRSTUV"}),
		attribute.Int("n", 5551234567),
		semconv.InputValue.String("x"),
	)
	span.End()
	_, plain := rp.tp.Tracer("plain").Start(ctx, "plain")
	plain.End()

	wantAttrs(t, ended(t, rp.rec, "chain"), map[attribute.Key]any{
		semconv.UserID:      "<EMAIL_ADDRESS>",
		semconv.SessionID:   "s",
		"note":              "from <IP_ADDRESS>",
		semconv.OutputValue: `{"mail": "<EMAIL_ADDRESS>"}`,
		"list":              []string{"ok", "<API_KEY>"},
		"n":                 5551234567,
	})
	wantAttrs(t, ended(t, rp.rec, "plain"), map[attribute.Key]any{semconv.UserID: "<EMAIL_ADDRESS>"})
	// The earlier input.value was replaced by "x"; check the redacted one
	// with a second span.
	_, span = tr.Start(context.Background(), "input", semconv.SpanKindChain)
	span.SetInput("my card is 4111 1111 1111 1111")
	span.End()
	wantAttrs(t, ended(t, rp.rec, "input"), map[attribute.Key]any{semconv.InputValue: "my card is <CREDIT_CARD>"})
	for _, s := range rp.rec.Ended() {
		for _, kv := range s.Attributes() {
			if v := kv.Value.Emit(); strings.Contains(v, "@example") || strings.Contains(v, "4111") {
				t.Errorf("%s: %s = %q leaked", s.Name(), kv.Key, v)
			}
		}
	}
}

func TestMaskAllInPlace(t *testing.T) {
	cfg := fi.TraceConfig{HideInputs: true}
	kvs := []attribute.KeyValue{semconv.InputValue.String("a"), semconv.InputMimeType.String("text/plain"), attribute.String("k", "v")}
	out := cfg.MaskAll(kvs)
	if len(out) != 2 || out[0].Value.AsString() != fi.RedactedValue || out[1].Key != "k" {
		t.Errorf("MaskAll = %v", out)
	}
}

// TestMaskAllMatchesMask checks that MaskAll, which skips most rules when
// nothing is hidden, records what Mask does attribute by attribute.
func TestMaskAllMatchesMask(t *testing.T) {
	big := "data:image/png;base64," + strings.Repeat("A", 40000)
	kvs := everything(big)
	kvs = append(kvs, inImgURL.String("data:image/png;base64,AAAA"), semconv.InputValue.String(big),
		inImgURL.String("data:image/png,"+strings.Repeat("A", 40000)), attribute.Int("n", 3))
	for _, cfg := range []fi.TraceConfig{{}, {Base64ImageMaxLength: 50000}, {Base64ImageMaxLength: 10}, {HideInputText: true}, {PIIRedaction: true}} {
		var want []attribute.KeyValue
		for _, kv := range kvs {
			if m, ok := cfg.Mask(kv); ok {
				want = append(want, m)
			}
		}
		got := cfg.MaskAll(append([]attribute.KeyValue(nil), kvs...))
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%+v: MaskAll = %v\nMask gives %v", cfg, got, want)
		}
	}
}
