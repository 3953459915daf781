// Package standin is an OpenAI-compatible stand-in model server on loopback
// for the demo and tests: deterministic replies computed from the
// conversation, realistic token counts and latencies, streaming, tool calls,
// embeddings, and failures driven by fixed phrases so a demo has something
// to find.
package standin

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Phrases in the last user message that trigger a fault.
const (
	// PhraseFail makes every chat request answer 500.
	PhraseFail = "still not working"
	// PhraseRateLimit makes the first attempt of each distinct request
	// answer 429 with Retry-After; the retry succeeds.
	PhraseRateLimit = "asap"
	// PhraseSlow makes the reply ten times slower.
	PhraseSlow = "again"
)

// ToolLookupOrder is the tool name the stand-in calls when offered it and
// the user asks about an order.
const ToolLookupOrder = "lookup_order"

// Options configures New.
type Options struct {
	// Seed varies the replies; the same seed and conversation give the same reply.
	Seed uint64
	// Speed multiplies every latency: 1 is realistic (tens to hundreds of
	// milliseconds), 0.01 is for tests. Zero means 1.
	Speed float64
	// Model is reported when the request names none.
	Model string
}

// Server is a running stand-in.
type Server struct {
	// URL is the base URL for an OpenAI client, ending in /v1.
	URL string

	opts Options
	srv  *httptest.Server

	mu       sync.Mutex
	attempts map[uint64]int
	counts   map[int]int
}

// New starts a stand-in on 127.0.0.1 with a free port.
func New(opts Options) *Server {
	if opts.Speed <= 0 {
		opts.Speed = 1
	}
	if opts.Model == "" {
		opts.Model = "standin-4o-mini"
	}
	s := &Server{opts: opts, attempts: map[uint64]int{}, counts: map[int]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", s.chat)
	mux.HandleFunc("POST /v1/embeddings", s.embeddings)
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL + "/v1"
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// StatusCounts returns how many chat responses were sent per HTTP status.
func (s *Server) StatusCounts() map[int]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[int]int, len(s.counts))
	for k, v := range s.counts {
		out[k] = v
	}
	return out
}

type message struct {
	Role       string          `json:"role"`
	Content    json.RawMessage `json:"content"`
	ToolCallID string          `json:"tool_call_id,omitempty"`
}

// text returns the content as a string, joining text parts.
func (m message) text() string {
	var s string
	if json.Unmarshal(m.Content, &s) == nil {
		return s
	}
	var parts []struct {
		Text string `json:"text"`
	}
	_ = json.Unmarshal(m.Content, &parts)
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(p.Text)
	}
	return b.String()
}

type chatRequest struct {
	Model    string    `json:"model"`
	Messages []message `json:"messages"`
	Stream   bool      `json:"stream"`
	Options  *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	Tools []struct {
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
	} `json:"tools"`
}

func (s *Server) sleep(r *http.Request, d time.Duration) {
	t := time.NewTimer(time.Duration(float64(d) * s.opts.Speed))
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
	}
}

func (s *Server) count(code int) {
	s.mu.Lock()
	s.counts[code]++
	s.mu.Unlock()
}

func apiError(w http.ResponseWriter, code int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"message": msg, "type": typ, "code": nil}})
}

func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	var req chatRequest
	if err == nil {
		err = json.Unmarshal(body, &req)
	}
	if err != nil || len(req.Messages) == 0 {
		s.count(http.StatusBadRequest)
		apiError(w, http.StatusBadRequest, "invalid_request_error", "messages must be a non-empty array")
		return
	}
	if req.Model == "" {
		req.Model = s.opts.Model
	}
	h := hash(s.opts.Seed, body)
	lastUser := ""
	for _, m := range req.Messages {
		if m.Role == "user" {
			lastUser = strings.ToLower(m.text())
		}
	}
	last := req.Messages[len(req.Messages)-1]
	// Faults apply to the model's first answer of a turn, not to the
	// follow-up after a tool result.
	if last.Role == "user" {
		switch {
		case strings.Contains(lastUser, PhraseFail):
			s.sleep(r, 400*time.Millisecond)
			s.count(http.StatusInternalServerError)
			// A retry hint scaled like every latency, so clients that
			// retry 500s (openai-go does) back off briefly in tests.
			w.Header().Set("Retry-After-Ms", fmt.Sprint(int(500*s.opts.Speed)+1))
			apiError(w, http.StatusInternalServerError, "server_error", "The server had an error while processing your request.")
			return
		case strings.Contains(lastUser, PhraseRateLimit):
			s.mu.Lock()
			s.attempts[h]++
			first := s.attempts[h] == 1
			s.mu.Unlock()
			if first {
				s.count(http.StatusTooManyRequests)
				w.Header().Set("Retry-After-Ms", "10")
				w.Header().Set("Retry-After", "0")
				apiError(w, http.StatusTooManyRequests, "rate_limit_error", "Rate limit reached for requests per minute. Please try again shortly.")
				return
			}
		}
	}
	slow := strings.Contains(lastUser, PhraseSlow)

	offered := false
	for _, t := range req.Tools {
		offered = offered || t.Function.Name == ToolLookupOrder
	}
	var reply, toolArgs string
	if offered && last.Role == "user" && strings.Contains(lastUser, "order") {
		toolArgs = fmt.Sprintf(`{"order_id":%q}`, orderID(lastUser, h))
	} else if last.Role == "tool" {
		reply = fmt.Sprintf("I checked that for you: %s %s", last.text(), pick(h, closings))
	} else {
		reply = pick(h, openings) + " " + pick(h>>8, answers) + " " + pick(h>>16, closings)
	}
	promptTokens := 0
	for _, m := range req.Messages {
		promptTokens += 4 + tokens(m.text())
	}
	completion := tokens(reply) + tokens(toolArgs)
	if toolArgs != "" {
		completion += 8
	}
	ttft := time.Duration(20+h%80) * time.Millisecond
	perToken := time.Duration(2+h%4) * time.Millisecond
	if slow {
		ttft *= 10
		perToken *= 10
	}
	id := fmt.Sprintf("chatcmpl-%016x", h)
	callID := fmt.Sprintf("call_%012x", h&0xffffffffffff)
	usage := map[string]any{"prompt_tokens": promptTokens, "completion_tokens": completion, "total_tokens": promptTokens + completion}
	finish := "stop"
	if toolArgs != "" {
		finish = "tool_calls"
	}
	created := time.Now().Unix()
	s.sleep(r, ttft)
	s.count(http.StatusOK)

	if !req.Stream {
		s.sleep(r, perToken*time.Duration(completion))
		msg := map[string]any{"role": "assistant", "content": nil, "refusal": nil}
		if toolArgs != "" {
			msg["tool_calls"] = []any{map[string]any{"id": callID, "type": "function",
				"function": map[string]any{"name": ToolLookupOrder, "arguments": toolArgs}}}
		} else {
			msg["content"] = reply
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"id": id, "object": "chat.completion", "created": created, "model": req.Model,
			"choices": []any{map[string]any{"index": 0, "message": msg, "finish_reason": finish, "logprobs": nil}},
			"usage":   usage, "system_fingerprint": "fp_standin",
		})
		return
	}

	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	fl, _ := w.(http.Flusher)
	send := func(delta map[string]any, finish any, u any) {
		chunk := map[string]any{"id": id, "object": "chat.completion.chunk", "created": created, "model": req.Model,
			"system_fingerprint": "fp_standin", "choices": []any{}}
		if delta != nil {
			chunk["choices"] = []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": nil}}
		}
		if u != nil {
			chunk["usage"] = u
		}
		b, _ := json.Marshal(chunk)
		fmt.Fprintf(w, "data: %s\n\n", b)
		if fl != nil {
			fl.Flush()
		}
	}
	send(map[string]any{"role": "assistant", "content": ""}, nil, nil)
	if toolArgs != "" {
		send(map[string]any{"tool_calls": []any{map[string]any{"index": 0, "id": callID, "type": "function",
			"function": map[string]any{"name": ToolLookupOrder, "arguments": ""}}}}, nil, nil)
		for _, part := range split(toolArgs, 8) {
			s.sleep(r, perToken)
			send(map[string]any{"tool_calls": []any{map[string]any{"index": 0, "function": map[string]any{"arguments": part}}}}, nil, nil)
		}
	} else {
		for _, word := range strings.SplitAfter(reply, " ") {
			s.sleep(r, perToken)
			send(map[string]any{"content": word}, nil, nil)
		}
	}
	send(map[string]any{}, finish, nil)
	if req.Options != nil && req.Options.IncludeUsage {
		send(nil, nil, usage)
	}
	fmt.Fprint(w, "data: [DONE]\n\n")
	if fl != nil {
		fl.Flush()
	}
}

func (s *Server) embeddings(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Model      string `json:"model"`
		Input      any    `json:"input"`
		Dimensions int    `json:"dimensions"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 4<<20)).Decode(&req); err != nil {
		apiError(w, http.StatusBadRequest, "invalid_request_error", "invalid JSON body")
		return
	}
	var inputs []string
	switch v := req.Input.(type) {
	case string:
		inputs = []string{v}
	case []any:
		for _, x := range v {
			if s, ok := x.(string); ok {
				inputs = append(inputs, s)
			}
		}
	}
	if len(inputs) == 0 {
		apiError(w, http.StatusBadRequest, "invalid_request_error", "input must be a string or an array of strings")
		return
	}
	dim := req.Dimensions
	if dim <= 0 || dim > 3072 {
		dim = 16
	}
	if req.Model == "" {
		req.Model = "text-embedding-3-small"
	}
	data := make([]any, len(inputs))
	n := 0
	for i, in := range inputs {
		n += tokens(in)
		h := hash(s.opts.Seed, []byte(in))
		vec := make([]float64, dim)
		for j := range vec {
			h = h*6364136223846793005 + 1442695040888963407
			vec[j] = float64(int64(h>>11)%2000-1000) / 1000
		}
		data[i] = map[string]any{"object": "embedding", "index": i, "embedding": vec}
	}
	s.sleep(r, time.Duration(10+n/10)*time.Millisecond)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"object": "list", "data": data, "model": req.Model,
		"usage": map[string]any{"prompt_tokens": n, "total_tokens": n}})
}

func hash(seed uint64, b []byte) uint64 {
	f := fnv.New64a()
	fmt.Fprintf(f, "%d:", seed)
	f.Write(b)
	return f.Sum64()
}

// tokens estimates a token count the way tokenizers roughly behave for
// English: about four characters a token.
func tokens(s string) int {
	if s == "" {
		return 0
	}
	return (len(s)+3)/4 + 1
}

func pick(h uint64, xs []string) string { return xs[h%uint64(len(xs))] }

func split(s string, n int) []string {
	var out []string
	for len(s) > n {
		out = append(out, s[:n])
		s = s[n:]
	}
	return append(out, s)
}

// orderID takes the first run of digits in s, or makes one up from h.
func orderID(s string, h uint64) string {
	start := strings.IndexAny(s, "0123456789")
	if start < 0 {
		return fmt.Sprintf("A-%04d", h%10000)
	}
	end := start
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	return "A-" + s[start:end]
}

var openings = []string{
	"Thanks for reaching out.", "Happy to help with that.", "Good question.", "I understand.", "Sure thing.",
}

var answers = []string{
	"You can change your delivery address from the Orders page until the parcel ships.",
	"Refunds go back to the original payment method within five business days.",
	"Our standard shipping takes three to five days; express arrives next day.",
	"You can reset your password from the sign-in page with the Forgot password link.",
	"Items can be returned within 30 days in their original packaging.",
	"Your subscription renews monthly and can be cancelled in Account settings.",
}

var closings = []string{
	"Is there anything else I can do?", "Let me know if that helps.", "Have a great day!", "Anything else?",
}
