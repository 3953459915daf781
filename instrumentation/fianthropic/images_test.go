package fianthropic_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/instrumentation/fianthropic"
)

// A base64 image over FI_BASE64_IMAGE_MAX_LENGTH leaves no trace of its
// bytes: not in the message keys, not in gen_ai.input.images, not in
// input.value. The server still gets the whole request.
func TestImageOverLimitRedacted(t *testing.T) {
	b64 := strings.Repeat("iVBORw0KGgo", 4000) // 44,000 characters
	body := `{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":[` +
		`{"type":"image","source":{"type":"base64","media_type":"image/png","data":"` + b64 + `"}},` +
		`{"type":"text","text":"What is in this picture?"}]}]}`
	tp, sr := recorder()
	var got []byte
	mw := fianthropic.Middleware(fianthropic.WithTracerProvider(tp))
	req, _ := http.NewRequest(http.MethodPost, "https://api.anthropic.com/v1/messages", strings.NewReader(body))
	res, err := mw(req, func(r *http.Request) (*http.Response, error) {
		got, _ = io.ReadAll(r.Body)
		return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(bytes.NewReader(fixture(t, "messages_response.json")))}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if string(got) != body {
		t.Error("the server got a changed request")
	}
	spans := sr.Ended()
	if len(spans) != 1 {
		t.Fatalf("%d spans", len(spans))
	}
	seen := map[string]bool{}
	for _, kv := range spans[0].Attributes() {
		v := kv.Value.Emit()
		if strings.Contains(v, "iVBORw0KGgoiVBORw0KGgo") {
			t.Errorf("%s holds the image bytes (%d chars)", kv.Key, len(v))
		}
		if strings.Contains(v, fi.RedactedValue) {
			seen[string(kv.Key)] = true
		}
	}
	for _, k := range []string{"input.value", "gen_ai.input.images", "gen_ai.input.messages.0.message.contents.0.message_content.image"} {
		if !seen[k] {
			t.Errorf("%s not redacted (redacted: %v)", k, seen)
		}
	}
}
