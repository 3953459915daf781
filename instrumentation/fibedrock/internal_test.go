package fibedrock

import (
	"testing"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/fi/semconv"
	"github.com/traceai-go/traceai/internal/llmparse"
)

func TestStringList(t *testing.T) {
	for _, l := range [][]string{{"s3://b/k.png"}, {"s3://b/a", "s3://b/ü"}, {`s3://b/"q"`, "x"}, {"a\\b", "\n"}} {
		if got, want := stringList(l), llmparse.Marshal(l); got != want {
			t.Errorf("%q: %s, want %s", l, got, want)
		}
	}
}

func TestKeysMatchSemconv(t *testing.T) {
	for _, i := range []int{0, 3, 15, 16, 40} {
		for _, j := range []int{0, 7, 8} {
			if got, want := partKey(false, i, j, semconv.MessageContentText), semconv.InputMessageKey(i, semconv.MessageContentKey(j, semconv.MessageContentText)); got != want {
				t.Errorf("%s, want %s", got, want)
			}
			if got, want := toolKey(true, i, j, semconv.ToolCallFunctionName), semconv.OutputMessageKey(i, semconv.MessageToolCallKey(j, semconv.ToolCallFunctionName)); got != want {
				t.Errorf("%s, want %s", got, want)
			}
		}
		if got, want := messageKey(false, i, semconv.MessageRole), semconv.InputMessageKey(i, semconv.MessageRole); got != want {
			t.Errorf("%s, want %s", got, want)
		}
		if got, want := messageKey(true, i, semconv.MessageToolCallID), semconv.OutputMessageKey(i, semconv.MessageToolCallID); got != want {
			t.Errorf("%s, want %s", got, want)
		}
	}
}

func TestRedactBytes(t *testing.T) {
	in := `{"a": {"bytes": "AAAA\"BB"}, "t": "say \"bytes\": \"x\"", "b": [{"bytes": "CCCC"}]}`
	want := `{"a": {"bytes": "__REDACTED__"}, "t": "say \"bytes\": \"x\"", "b": [{"bytes": "__REDACTED__"}]}`
	if got := redactBytes(in); got != want {
		t.Errorf("%s", got)
	}
	if s := `{"x": 1}`; redactBytes(s) != s {
		t.Error("changed")
	}
}

func TestParsePathAndAttempt(t *testing.T) {
	if attempt("attempt=3; max=5") != 3 || attempt("max=5") != 0 {
		t.Error("attempt")
	}
	if exceptionName("modelStreamErrorException") != "ModelStreamErrorException" || exceptionName("") != "" {
		t.Error("exceptionName")
	}
	for id, sys := range map[string]string{"us.anthropic.claude-3": "anthropic", "cohere.command-r-v1:0": "cohere", "arn:aws:bedrock:us-east-1:1:application-inference-profile/x": "", "mistral.mistral-7b": "mistralai", "gpt-4": ""} {
		if got := vendorSystem(id); got != sys {
			t.Errorf("%s: %q", id, got)
		}
	}
}

// TestNewConfig: defaults first, nil options and a nil provider keep them.
func TestNewConfig(t *testing.T) {
	c := newConfig([]Option{nil, WithTracerProvider(nil)})
	if c.tp != otel.GetTracerProvider() || c.tp == nil {
		t.Fatalf("provider %v", c.tp)
	}
	tp := sdktrace.NewTracerProvider()
	cfg := fi.NewTraceConfig()
	cfg.HideInputs = true
	c = newConfig([]Option{WithTracerProvider(tp), WithTraceConfig(cfg)})
	if c.tp != tp || !c.cfg.HideInputs {
		t.Fatal("options not applied")
	}
}
