package evaluate_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/traceai-go/traceai/explorer/evaluate"
)

// fakeJudge is an OpenAI-compatible server on 127.0.0.1 whose behaviour a
// test sets per request through answer.
type fakeJudge struct {
	srv   *httptest.Server
	calls atomic.Int64
	mu    sync.Mutex
	auth  []string
}

func newFakeJudge(t *testing.T, answer func(n int64, prompt string, w http.ResponseWriter, r *http.Request)) *fakeJudge {
	t.Helper()
	f := &fakeJudge{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := f.calls.Add(1)
		f.mu.Lock()
		f.auth = append(f.auth, r.Header.Get("Authorization"))
		f.mu.Unlock()
		if r.URL.Path != "/v1/chat/completions" {
			http.NotFound(w, r)
			return
		}
		var req struct {
			Messages []struct{ Role, Content string }
		}
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &req); err != nil || len(req.Messages) != 2 {
			http.Error(w, "bad request", 400)
			return
		}
		answer(n, req.Messages[1].Content, w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func completion(w http.ResponseWriter, content string) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": content}}},
		"usage":   map[string]any{"prompt_tokens": 100, "completion_tokens": 20},
	})
}

func (f *fakeJudge) judge() *evaluate.OpenAIJudge {
	return &evaluate.OpenAIJudge{BaseURL: f.srv.URL + "/v1", APIKey: "sk-test", Model: "judge-model",
		Backoff: time.Millisecond, MaxBackoff: 50 * time.Millisecond, Timeout: 2 * time.Second}
}

func req(t *testing.T) *evaluate.Request {
	e := builtins(t, "tone")[0]
	return &evaluate.Request{Evaluator: e, Target: &evaluate.Target{}, System: "s", Prompt: "p"}
}

func TestOpenAIJudgeRetriesRateLimitsHonouringRetryAfter(t *testing.T) {
	f := newFakeJudge(t, func(n int64, _ string, w http.ResponseWriter, r *http.Request) {
		switch n {
		case 1:
			w.Header().Set("Retry-After-Ms", "150")
			http.Error(w, `{"error":{"message":"slow down"}}`, http.StatusTooManyRequests)
		case 2:
			w.Header().Set("Retry-After", "0.1")
			http.Error(w, `{"error":{"message":"busy"}}`, http.StatusServiceUnavailable)
		default:
			completion(w, `{"label":"polite","explanation":"ok"}`)
		}
	})
	start := time.Now()
	resp, err := f.judge().Judge(context.Background(), req(t))
	if err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < 250*time.Millisecond {
		t.Errorf("retried after %s; Retry-After asked for 150ms then 100ms", el)
	}
	if f.calls.Load() != 3 || resp.PromptTokens != 100 || !strings.Contains(resp.Text, "polite") {
		t.Fatalf("%d calls, response %+v", f.calls.Load(), resp)
	}
	if f.auth[0] != "Bearer sk-test" {
		t.Errorf("Authorization %q", f.auth[0])
	}
}

func TestOpenAIJudgeGivesUp(t *testing.T) {
	for _, c := range []struct {
		name    string
		code    int
		retries int
		calls   int64
	}{
		{"429 until the retries run out", http.StatusTooManyRequests, 2, 3},
		{"500 without retries", http.StatusInternalServerError, -1, 1},
		{"400 is not retried", http.StatusBadRequest, 4, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFakeJudge(t, func(_ int64, _ string, w http.ResponseWriter, r *http.Request) {
				http.Error(w, "no", c.code)
			})
			j := f.judge()
			j.Retries = c.retries
			_, err := j.Judge(context.Background(), req(t))
			var se *evaluate.StatusError
			if !errors.As(err, &se) || se.Code != c.code || f.calls.Load() != c.calls {
				t.Fatalf("err %v after %d calls, want status %d after %d", err, f.calls.Load(), c.code, c.calls)
			}
		})
	}
}

func TestOpenAIJudgeTimeout(t *testing.T) {
	f := newFakeJudge(t, func(n int64, _ string, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			<-r.Context().Done() // hangs until the client gives up
			return
		}
		completion(w, `{"label":"neutral"}`)
	})
	j := f.judge()
	j.Timeout = 100 * time.Millisecond
	resp, err := j.Judge(context.Background(), req(t))
	if err != nil || f.calls.Load() != 2 || !strings.Contains(resp.Text, "neutral") {
		t.Fatalf("after a timeout: %v, %d calls, %+v", err, f.calls.Load(), resp)
	}
	j.Retries = -1
	f.calls.Store(0)
	start := time.Now()
	if _, err := j.Judge(context.Background(), req(t)); err == nil || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("timeout without retries: %v", err)
	}
	if el := time.Since(start); el > time.Second {
		t.Errorf("a 100ms timeout took %s", el)
	}
}

// TestRunAgainstFakeJudge runs the engine through the HTTP judge: a
// malformed answer, an answer outside the labels, a 429 and a hanging
// request each hit one target; they are counted as errors of that target
// (or retried) and every other target is scored. The judge's own calls do
// not become sessions.
func TestRunAgainstFakeJudge(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	load(t, st, fixture())
	var limited atomic.Bool
	f := newFakeJudge(t, func(n int64, prompt string, w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.Contains(prompt, "The user asked:\nHow long do refunds"):
			completion(w, "I'd say it is helpful, really.") // no JSON
		case strings.Contains(prompt, "jane.doe"):
			completion(w, "```json\n{\"label\": \"superb\"}\n```") // not a label
		case strings.Contains(prompt, "password reset") && limited.CompareAndSwap(false, true):
			w.Header().Set("Retry-After", "0")
			http.Error(w, "rate limited", http.StatusTooManyRequests)
		case strings.Contains(prompt, "still not working"):
			<-r.Context().Done() // every attempt times out
		default:
			completion(w, "```json\n{\"label\": \"Helpful\", \"explanation\": \"fine\"}\n```")
		}
	})
	j := f.judge()
	j.Timeout, j.Retries = 50*time.Millisecond, 1
	before, _ := st.Overview(ctx)
	res, err := evaluate.Run(ctx, st, evaluate.Config{Evaluators: builtins(t, "helpfulness"), Judge: j, Concurrency: 3, Rate: 200})
	if err != nil {
		t.Fatal(err)
	}
	if res.Judged != 2 || res.Errors != 3 || res.PromptTokens == 0 {
		t.Fatalf("result %+v", res)
	}
	var unparsable, timeouts int
	for _, fl := range res.Failures {
		switch {
		case errors.Is(fl.Err, evaluate.ErrUnparsable):
			unparsable++
		case strings.Contains(fl.Err.Error(), "timed out"):
			timeouts++
		}
	}
	if unparsable != 2 || timeouts != 1 {
		t.Fatalf("failures %v", res.Failures)
	}
	if n := evalCount(t, st); n != 2 {
		t.Fatalf("stored %d evaluations", n)
	}
	after, _ := st.Overview(ctx)
	if after.Sessions != before.Sessions || after.Traces != before.Traces {
		t.Fatalf("the judge's calls were stored: %+v -> %+v", before, after)
	}
	// The errors are judged again by the next run; the scored ones not.
	again, err := evaluate.Run(ctx, st, evaluate.Config{Evaluators: builtins(t, "helpfulness"), Judge: j})
	if err != nil || again.Skipped != 2 || again.Errors != 3 {
		t.Fatalf("second run %+v, %v", again, err)
	}
}
