package standin

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func post(t *testing.T, url, body string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

type completion struct {
	Choices []struct {
		Message struct {
			Content   *string `json:"content"`
			ToolCalls []struct {
				ID       string `json:"id"`
				Function struct{ Name, Arguments string }
			} `json:"tool_calls"`
		} `json:"message"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	Usage struct {
		PromptTokens     int `json:"prompt_tokens"`
		CompletionTokens int `json:"completion_tokens"`
		TotalTokens      int `json:"total_tokens"`
	} `json:"usage"`
}

const tools = `,"tools":[{"type":"function","function":{"name":"lookup_order","parameters":{"type":"object"}}}]`

func TestChatDeterministicWithUsage(t *testing.T) {
	s := New(Options{Seed: 1, Speed: 0.01})
	defer s.Close()
	body := `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"How do refunds work?"}]}`
	var first string
	for i := 0; i < 2; i++ {
		resp, b := post(t, s.URL+"/chat/completions", body)
		if resp.StatusCode != 200 {
			t.Fatalf("status %d: %s", resp.StatusCode, b)
		}
		var c completion
		if err := json.Unmarshal(b, &c); err != nil {
			t.Fatal(err)
		}
		got := *c.Choices[0].Message.Content
		if i == 0 {
			first = got
		} else if got != first {
			t.Errorf("reply changed: %q vs %q", got, first)
		}
		if c.Usage.PromptTokens < 5 || c.Usage.CompletionTokens < 5 || c.Usage.TotalTokens != c.Usage.PromptTokens+c.Usage.CompletionTokens {
			t.Errorf("usage = %+v", c.Usage)
		}
		if c.Choices[0].FinishReason != "stop" {
			t.Errorf("finish = %q", c.Choices[0].FinishReason)
		}
	}
	other := New(Options{Seed: 2, Speed: 0.01})
	defer other.Close()
	replies := map[string]bool{first: true}
	for _, q := range []string{"a", "b", "c", "d"} {
		_, b := post(t, other.URL+"/chat/completions", `{"messages":[{"role":"user","content":"`+q+`"}]}`)
		var c completion
		_ = json.Unmarshal(b, &c)
		replies[*c.Choices[0].Message.Content] = true
	}
	if len(replies) < 3 {
		t.Errorf("replies do not vary with the conversation: %v", replies)
	}
}

func TestChatToolCallRoundTrip(t *testing.T) {
	s := New(Options{Speed: 0.01})
	defer s.Close()
	_, b := post(t, s.URL+"/chat/completions", `{"messages":[{"role":"user","content":"Where is my order 1234?"}]`+tools+`}`)
	var c completion
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	ch := c.Choices[0]
	if ch.FinishReason != "tool_calls" || len(ch.Message.ToolCalls) != 1 || ch.Message.ToolCalls[0].Function.Name != ToolLookupOrder ||
		ch.Message.ToolCalls[0].Function.Arguments != `{"order_id":"A-1234"}` {
		t.Fatalf("not a lookup_order call: %s", b)
	}
	id := ch.Message.ToolCalls[0].ID
	_, b = post(t, s.URL+"/chat/completions", `{"messages":[{"role":"user","content":"Where is my order 1234?"},
		{"role":"assistant","tool_calls":[{"id":"`+id+`","type":"function","function":{"name":"lookup_order","arguments":"{}"}}]},
		{"role":"tool","tool_call_id":"`+id+`","content":"Order A-1234 shipped on Monday."}]`+tools+`}`)
	c = completion{}
	_ = json.Unmarshal(b, &c)
	if got := c.Choices[0].Message.Content; got == nil || !strings.Contains(*got, "Order A-1234 shipped on Monday.") {
		t.Errorf("answer does not use the tool result: %s", b)
	}
}

func TestChatStreamWithUsage(t *testing.T) {
	s := New(Options{Speed: 0.01})
	defer s.Close()
	for _, tc := range []struct{ body, want string }{
		{`{"stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hello"}]}`, "stop"},
		{`{"stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"my order 7"}]` + tools + `}`, "tool_calls"},
	} {
		resp, err := http.Post(s.URL+"/chat/completions", "application/json", strings.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
			t.Errorf("content type %q", ct)
		}
		var text, args, finish string
		var usage int
		done := false
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			line, ok := strings.CutPrefix(sc.Text(), "data: ")
			if !ok {
				continue
			}
			if line == "[DONE]" {
				done = true
				break
			}
			var ch struct {
				Choices []struct {
					Delta struct {
						Content   string
						ToolCalls []struct{ Function struct{ Arguments string } } `json:"tool_calls"`
					}
					FinishReason *string `json:"finish_reason"`
				}
				Usage *struct {
					TotalTokens int `json:"total_tokens"`
				}
			}
			if err := json.Unmarshal([]byte(line), &ch); err != nil {
				t.Fatalf("%v: %s", err, line)
			}
			for _, c := range ch.Choices {
				text += c.Delta.Content
				for _, tc := range c.Delta.ToolCalls {
					args += tc.Function.Arguments
				}
				if c.FinishReason != nil {
					finish = *c.FinishReason
				}
			}
			if ch.Usage != nil {
				usage = ch.Usage.TotalTokens
			}
		}
		resp.Body.Close()
		if !done || finish != tc.want || usage == 0 {
			t.Errorf("done=%v finish=%q usage=%d", done, finish, usage)
		}
		if tc.want == "stop" && len(strings.Fields(text)) < 5 {
			t.Errorf("text = %q", text)
		}
		if tc.want == "tool_calls" && args != `{"order_id":"A-7"}` {
			t.Errorf("args = %q", args)
		}
	}
}

func TestFaults(t *testing.T) {
	s := New(Options{Speed: 0.01})
	defer s.Close()
	resp, b := post(t, s.URL+"/chat/completions", `{"messages":[{"role":"user","content":"It is still not working"}]}`)
	if resp.StatusCode != 500 || !strings.Contains(string(b), "server_error") {
		t.Errorf("fail phrase: %d %s", resp.StatusCode, b)
	}
	body := `{"messages":[{"role":"user","content":"I need this ASAP"}]}`
	resp, _ = post(t, s.URL+"/chat/completions", body)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" {
		t.Errorf("rate limit: %d %v", resp.StatusCode, resp.Header)
	}
	if resp, _ = post(t, s.URL+"/chat/completions", body); resp.StatusCode != 200 {
		t.Errorf("retry after 429: %d", resp.StatusCode)
	}
	if got := s.StatusCounts(); got[500] != 1 || got[429] != 1 || got[200] != 1 {
		t.Errorf("counts = %v", got)
	}
	// Slow: ten times the latency of the same turn without the phrase.
	s2 := New(Options{Speed: 0.2})
	defer s2.Close()
	elapsed := func(msg string) time.Duration {
		start := time.Now()
		post(t, s2.URL+"/chat/completions", `{"messages":[{"role":"user","content":"`+msg+`"}]}`)
		return time.Since(start)
	}
	fast, slow := elapsed("tell me"), elapsed("tell me again")
	if slow < 3*fast {
		t.Errorf("slow turn %v not much slower than %v", slow, fast)
	}
	if resp, _ := post(t, s.URL+"/chat/completions", `{"messages":[]}`); resp.StatusCode != 400 {
		t.Errorf("empty messages: %d", resp.StatusCode)
	}
}

func TestEmbeddings(t *testing.T) {
	s := New(Options{Speed: 0.01})
	defer s.Close()
	var out struct {
		Data []struct {
			Index     int
			Embedding []float64
		}
		Usage struct {
			PromptTokens int `json:"prompt_tokens"`
		}
	}
	_, b := post(t, s.URL+"/embeddings", `{"model":"text-embedding-3-small","input":["refund policy","shipping"],"dimensions":8}`)
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Data) != 2 || len(out.Data[0].Embedding) != 8 || out.Usage.PromptTokens == 0 || out.Data[1].Index != 1 {
		t.Fatalf("%s", b)
	}
	_, b2 := post(t, s.URL+"/embeddings", `{"input":"refund policy","dimensions":8}`)
	var one struct {
		Data []struct{ Embedding []float64 }
	}
	_ = json.Unmarshal(b2, &one)
	for i, v := range one.Data[0].Embedding {
		if v != out.Data[0].Embedding[i] {
			t.Fatal("embedding of the same text differs")
		}
	}
	if resp, _ := post(t, s.URL+"/embeddings", `{"input":[]}`); resp.StatusCode != 400 {
		t.Errorf("empty input: %d", resp.StatusCode)
	}
}
