package traceai_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/traceai-go/traceai"
	"github.com/traceai-go/traceai/fi/semconv"
)

// A Future AGI stand-in answering the custom eval config check.
func TestRegisterCustomEvalConfigCheck(t *testing.T) {
	for _, tc := range []struct {
		name    string
		status  int
		answer  string
		wantErr bool
	}{
		{"exists", 200, `{"result": {"exists": true}}`, true},
		{"absent", 200, `{"result": {"exists": false}}`, false},
		{"backend error", 500, `oops`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clearExportEnv(t)
			handleErrors(t)
			var mu sync.Mutex
			var body map[string]any
			var hdr http.Header
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/tracer/custom-eval-config/check_exists/" {
					return // traces
				}
				mu.Lock()
				defer mu.Unlock()
				hdr = r.Header.Clone()
				_ = json.NewDecoder(r.Body).Decode(&body)
				w.WriteHeader(tc.status)
				_, _ = io.WriteString(w, tc.answer)
			}))
			defer srv.Close()
			t.Setenv("FI_BASE_URL", srv.URL)
			tp, err := traceai.Register(context.Background(), traceai.WithAPIKey("ak"), traceai.WithSecretKey("sk"),
				traceai.WithProjectName("bot"), traceai.WithOutput(io.Discard),
				traceai.WithEvalTags(traceai.EvalTag{Value: semconv.SpanKindLLM, EvalName: "toxicity", CustomEvalName: "tox"}))
			if tp != nil {
				defer tp.Shutdown(context.Background())
			}
			if tc.wantErr != (err != nil) {
				t.Fatalf("err = %v, want error: %v", err, tc.wantErr)
			}
			if err != nil && !errors.Is(err, traceai.ErrInvalidRegister) {
				t.Errorf("error %v does not wrap ErrInvalidRegister", err)
			}
			mu.Lock()
			defer mu.Unlock()
			if hdr.Get("X-Api-Key") != "ak" || hdr.Get("X-Secret-Key") != "sk" || hdr.Get("Content-Type") != "application/json" {
				t.Errorf("check headers = %v", hdr)
			}
			tags, _ := body["eval_tags"].([]any)
			if body["project_name"] != "bot" || body["project_type"] != "experiment" || len(tags) != 1 {
				t.Fatalf("check body = %v", body)
			}
			if tag := tags[0].(map[string]any); tag["custom_eval_name"] != "tox" || tag["type"] != "OBSERVATION_SPAN_TYPE" {
				t.Errorf("eval tag sent = %v", tag)
			}
		})
	}
}

// Without keys, nothing is asked (and the explorer default takes eval tags
// silently).
func TestRegisterEvalCheckNeedsKeys(t *testing.T) {
	clearExportEnv(t)
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls++ }))
	defer srv.Close()
	t.Setenv("FI_BASE_URL", srv.URL)
	tp, err := traceai.Register(context.Background(), traceai.WithOutput(io.Discard),
		traceai.WithEvalTags(traceai.EvalTag{Value: semconv.SpanKindLLM, EvalName: "toxicity", CustomEvalName: "tox"}))
	if err != nil {
		t.Fatal(err)
	}
	_ = tp.Shutdown(context.Background())
	if calls != 0 {
		t.Fatalf("%d calls to Future AGI without keys", calls)
	}
}
