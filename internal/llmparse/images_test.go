package llmparse

import (
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/fi/semconv"
)

func TestRedactBase64(t *testing.T) {
	long := "data:image/png;base64," + strings.Repeat("A", 50)
	in := `{"a": "` + long + `", "b": "data:image/png;base64,AA", "c": "data:image/svg+xml,<svg/>", "d": "x"}`
	for _, tc := range []struct {
		limit int
		all   bool
		want  string
	}{
		{100, false, in},
		{30, false, `{"a": "__REDACTED__", "b": "data:image/png;base64,AA", "c": "data:image/svg+xml,<svg/>", "d": "x"}`},
		{100, true, `{"a": "__REDACTED__", "b": "__REDACTED__", "c": "data:image/svg+xml,<svg/>", "d": "x"}`},
	} {
		if got := RedactBase64(in, tc.limit, tc.all); got != tc.want {
			t.Errorf("limit %d all %v: %s", tc.limit, tc.all, got)
		}
	}
	if got := RedactBase64(`"data:image/png;base64,AAAA`, 1, true); got != `"data:image/png;base64,AAAA` {
		t.Errorf("unterminated: %s", got)
	}

	// Inline media: Anthropic's source.data and Gemini's inlineData.data.
	b64 := strings.Repeat("iVBORw0K", 8)
	anthropic := `{"messages": [{"role": "user", "content": [{"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "` + b64 + `"}}, {"type": "text", "text": "` + strings.Repeat("long text ", 10) + `"}]}]}`
	want := strings.Replace(anthropic, b64, fi.RedactedValue, 1)
	if got := RedactBase64(anthropic, 32, false); got != want {
		t.Errorf("anthropic:\n%s\nwant\n%s", got, want)
	}
	if got := RedactBase64(anthropic, 1000, false); got != anthropic {
		t.Errorf("under the limit: %s", got)
	}
	gemini := `{"contents":[{"parts":[{"inlineData":{"mimeType":"image/jpeg","data":"` + b64 + `"}},{"text":"What is this?"}]}],"data":"short","note":"` + b64 + `"}`
	want = strings.Replace(gemini, `"data":"`+b64, `"data":"`+fi.RedactedValue, 1)
	if got := RedactBase64(gemini, 32, false); got != want {
		t.Errorf("gemini:\n%s\nwant\n%s", got, want)
	}
	// Escaped quotes inside strings do not confuse the scan.
	esc := `{"t": "say \"data\": ` + b64 + `", "data": "` + b64 + `"}`
	want = `{"t": "say \"data\": ` + b64 + `", "data": "` + fi.RedactedValue + `"}`
	if got := RedactBase64(esc, 32, false); got != want {
		t.Errorf("escaped:\n%s", got)
	}
}

func TestMaskImages(t *testing.T) {
	img := "data:image/png;base64," + strings.Repeat("A", 40)
	attrs := func() []attribute.KeyValue {
		return []attribute.KeyValue{
			semconv.InputImages.String(`["` + img + `","https://x/y.png"]`),
			semconv.InputValue.String(`{"u": "` + img + `"}`),
			semconv.GenAIRequestModel.String("m"),
		}
	}
	cfg := fi.NewTraceConfig()
	cfg.Base64ImageMaxLength = 20
	got := MaskImages(&cfg, attrs())
	if len(got) != 3 || got[0].Value.AsString() != `["__REDACTED__","https://x/y.png"]` || got[1].Value.AsString() != `{"u": "__REDACTED__"}` {
		t.Errorf("limit: %v", got)
	}
	cfg = fi.NewTraceConfig()
	cfg.HideInputImages = true
	got = MaskImages(&cfg, attrs())
	if len(got) != 2 || got[0].Key != semconv.InputValue || got[0].Value.AsString() != `{"u": "__REDACTED__"}` {
		t.Errorf("hidden: %v", got)
	}
	cfg = fi.NewTraceConfig()
	if got := MaskImages(&cfg, attrs()); got[0].Value.AsString() != `["`+img+`","https://x/y.png"]` {
		t.Errorf("default limit: %v", got)
	}
}
