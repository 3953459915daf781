package evaluate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Request is one question to a judge.
type Request struct {
	Evaluator *Evaluator
	Target    *Target
	// System and Prompt are the rendered messages.
	System, Prompt string
}

// Response is a judge's answer before parsing.
type Response struct {
	Text             string
	PromptTokens     int
	CompletionTokens int
}

// Judge answers evaluation requests. Implementations must be safe for
// concurrent use.
type Judge interface {
	Judge(ctx context.Context, r *Request) (Response, error)
}

// OpenAIJudge asks any OpenAI-compatible chat completions endpoint. Its
// calls are plain HTTP, not instrumented: the judge's traffic never
// becomes application sessions in the store.
type OpenAIJudge struct {
	// BaseURL ends before /chat/completions, e.g.
	// "https://api.openai.com/v1".
	BaseURL string
	// APIKey is sent as a bearer token when set.
	APIKey string
	Model  string
	// Client defaults to a client without a global timeout (Timeout
	// bounds each attempt).
	Client *http.Client
	// Timeout bounds one attempt; 0 means 60s.
	Timeout time.Duration
	// Retries is the number of retries after a 429, a 5xx, a timeout or a
	// connection error; 0 means 4, negative means none.
	Retries int
	// Backoff is the first wait between attempts when the server gives no
	// Retry-After; it doubles each time (with jitter) up to MaxBackoff.
	// Zero means 500ms and 30s. A server's Retry-After is honoured up to
	// five minutes.
	Backoff, MaxBackoff time.Duration
}

// StatusError is a judge answer with an HTTP error status.
type StatusError struct {
	Code int
	Body string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("judge answered %d %s: %s", e.Code, http.StatusText(e.Code), e.Body)
}

// Judge sends r and returns the first choice's text, retrying transient
// failures and honouring Retry-After / Retry-After-Ms.
func (j *OpenAIJudge) Judge(ctx context.Context, r *Request) (Response, error) {
	body, err := json.Marshal(map[string]any{
		"model":       j.Model,
		"temperature": 0,
		"messages": []map[string]string{
			{"role": "system", "content": r.System},
			{"role": "user", "content": r.Prompt},
		},
	})
	if err != nil {
		return Response{}, err
	}
	retries := j.Retries
	if retries == 0 {
		retries = 4
	}
	retries = max(retries, 0)
	backoff, maxBackoff := j.Backoff, j.MaxBackoff
	if backoff <= 0 {
		backoff = 500 * time.Millisecond
	}
	if maxBackoff <= 0 {
		maxBackoff = 30 * time.Second
	}
	var lastErr error
	for attempt := 0; ; attempt++ {
		resp, wait, err := j.once(ctx, body)
		if err == nil {
			return resp, nil
		}
		lastErr = err
		if ctx.Err() != nil {
			return Response{}, ctx.Err()
		}
		if !retryable(err) || attempt >= retries {
			break
		}
		if wait <= 0 {
			d := backoff << attempt
			if d <= 0 || d > maxBackoff {
				d = maxBackoff
			}
			// Half jitter keeps many workers from retrying in step.
			wait = d/2 + rand.N(d/2+1)
		} else {
			// The server's own wait is honoured, within reason.
			wait = min(wait, maxRetryAfter)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return Response{}, ctx.Err()
		case <-t.C:
		}
	}
	return Response{}, lastErr
}

// maxRetryAfter bounds the wait a server may ask for.
const maxRetryAfter = 5 * time.Minute

// errTimeout marks an attempt that ran out of time.
var errTimeout = errors.New("judge attempt timed out")

func retryable(err error) bool {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Code == http.StatusTooManyRequests || se.Code >= 500 || se.Code == http.StatusRequestTimeout
	}
	var pe *parseError
	return !errors.As(err, &pe) // transport errors and timeouts
}

// parseError is a 200 whose body is not a chat completion: not retried.
type parseError struct{ msg string }

func (e *parseError) Error() string { return e.msg }

func (j *OpenAIJudge) once(ctx context.Context, body []byte) (Response, time.Duration, error) {
	timeout := j.Timeout
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, strings.TrimRight(j.BaseURL, "/")+"/chat/completions", bytes.NewReader(body))
	if err != nil {
		return Response{}, 0, &parseError{err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	if j.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+j.APIKey)
	}
	client := j.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		if actx.Err() == context.DeadlineExceeded && ctx.Err() == nil {
			return Response{}, 0, fmt.Errorf("%w after %s", errTimeout, timeout)
		}
		return Response{}, 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		if actx.Err() == context.DeadlineExceeded && ctx.Err() == nil {
			return Response{}, 0, fmt.Errorf("%w after %s", errTimeout, timeout)
		}
		return Response{}, 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return Response{}, retryAfter(resp.Header, time.Now()), &StatusError{Code: resp.StatusCode, Body: clip(strings.TrimSpace(string(b)), 200)}
	}
	var cc struct {
		Choices []struct {
			Message struct {
				Content *string `json:"content"`
			} `json:"message"`
		} `json:"choices"`
		Usage struct {
			PromptTokens     int `json:"prompt_tokens"`
			CompletionTokens int `json:"completion_tokens"`
		} `json:"usage"`
	}
	if err := json.Unmarshal(b, &cc); err != nil {
		return Response{}, 0, &parseError{fmt.Sprintf("judge response is not a chat completion: %v", err)}
	}
	if len(cc.Choices) == 0 || cc.Choices[0].Message.Content == nil {
		return Response{}, 0, &parseError{"judge response has no message content"}
	}
	return Response{Text: *cc.Choices[0].Message.Content, PromptTokens: cc.Usage.PromptTokens,
		CompletionTokens: cc.Usage.CompletionTokens}, 0, nil
}

// retryAfter reads Retry-After-Ms (OpenAI's) or Retry-After (seconds or an
// HTTP date); zero when absent.
func retryAfter(h http.Header, now time.Time) time.Duration {
	if v := h.Get("Retry-After-Ms"); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms >= 0 {
			return time.Duration(ms * float64(time.Millisecond))
		}
	}
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 {
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return 0
}
