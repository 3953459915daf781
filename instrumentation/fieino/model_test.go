package fieino_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/cloudwego/eino/components/model"
	"github.com/cloudwego/eino/schema"
)

// standinModel is a minimal model.ToolCallingChatModel that speaks the
// OpenAI chat completions protocol to the stand-in server, with the HTTP
// client the test gives it (plain, or traced by fiopenai).
type standinModel struct {
	url    string
	client *http.Client
	tools  []*schema.ToolInfo
}

var _ model.ToolCallingChatModel = (*standinModel)(nil)

func (m *standinModel) WithTools(tools []*schema.ToolInfo) (model.ToolCallingChatModel, error) {
	c := *m
	c.tools = tools
	return &c, nil
}

type wireMsg struct {
	Role       string            `json:"role"`
	Content    string            `json:"content"`
	ToolCalls  []schema.ToolCall `json:"tool_calls,omitempty"`
	ToolCallID string            `json:"tool_call_id,omitempty"`
}

func (m *standinModel) body(msgs []*schema.Message, stream bool) ([]byte, error) {
	req := map[string]any{"model": "standin-4o-mini", "stream": stream}
	if stream {
		req["stream_options"] = map[string]any{"include_usage": true}
	}
	wm := make([]wireMsg, 0, len(msgs))
	for _, x := range msgs {
		wm = append(wm, wireMsg{Role: string(x.Role), Content: x.Content, ToolCalls: x.ToolCalls, ToolCallID: x.ToolCallID})
	}
	req["messages"] = wm
	var tools []any
	for _, t := range m.tools {
		params := map[string]any{"type": "object"}
		if t.ParamsOneOf != nil {
			if js, err := t.ParamsOneOf.ToJSONSchema(); err == nil {
				b, _ := json.Marshal(js)
				var generic map[string]any
				_ = json.Unmarshal(b, &generic)
				params = generic
			}
		}
		tools = append(tools, map[string]any{"type": "function", "function": map[string]any{"name": t.Name, "description": t.Desc, "parameters": params}})
	}
	if len(tools) > 0 {
		req["tools"] = tools
	}
	return json.Marshal(req)
}

func (m *standinModel) post(ctx context.Context, body []byte) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.url+"/chat/completions", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := m.client.Do(req)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		return nil, fmt.Errorf("stand-in answered %d: %s", res.StatusCode, b)
	}
	return res, nil
}

type wireUsage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

func (u *wireUsage) meta(finish string) *schema.ResponseMeta {
	rm := &schema.ResponseMeta{FinishReason: finish}
	if u != nil {
		rm.Usage = &schema.TokenUsage{PromptTokens: u.PromptTokens, CompletionTokens: u.CompletionTokens, TotalTokens: u.TotalTokens}
	}
	return rm
}

func (m *standinModel) Generate(ctx context.Context, msgs []*schema.Message, _ ...model.Option) (*schema.Message, error) {
	body, err := m.body(msgs, false)
	if err != nil {
		return nil, err
	}
	res, err := m.post(ctx, body)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	var out struct {
		Choices []struct {
			Message      wireMsg `json:"message"`
			FinishReason string  `json:"finish_reason"`
		} `json:"choices"`
		Usage *wireUsage `json:"usage"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		return nil, err
	}
	if len(out.Choices) == 0 {
		return nil, fmt.Errorf("no choices")
	}
	c := out.Choices[0]
	return &schema.Message{Role: schema.Assistant, Content: c.Message.Content, ToolCalls: c.Message.ToolCalls, ResponseMeta: out.Usage.meta(c.FinishReason)}, nil
}

func (m *standinModel) Stream(ctx context.Context, msgs []*schema.Message, _ ...model.Option) (*schema.StreamReader[*schema.Message], error) {
	body, err := m.body(msgs, true)
	if err != nil {
		return nil, err
	}
	res, err := m.post(ctx, body)
	if err != nil {
		return nil, err
	}
	sr, sw := schema.Pipe[*schema.Message](4)
	go func() {
		defer res.Body.Close()
		defer sw.Close()
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			data, ok := strings.CutPrefix(sc.Text(), "data: ")
			if !ok || data == "[DONE]" {
				continue
			}
			var ev struct {
				Choices []struct {
					Delta struct {
						Content   string            `json:"content"`
						ToolCalls []schema.ToolCall `json:"tool_calls"`
					} `json:"delta"`
					FinishReason string `json:"finish_reason"`
				} `json:"choices"`
				Usage *wireUsage `json:"usage"`
			}
			if err := json.Unmarshal([]byte(data), &ev); err != nil {
				sw.Send(nil, err)
				return
			}
			msg := &schema.Message{Role: schema.Assistant}
			if len(ev.Choices) > 0 {
				msg.Content, msg.ToolCalls = ev.Choices[0].Delta.Content, ev.Choices[0].Delta.ToolCalls
				if ev.Choices[0].FinishReason != "" {
					msg.ResponseMeta = ev.Usage.meta(ev.Choices[0].FinishReason)
				}
			}
			if ev.Usage != nil {
				msg.ResponseMeta = ev.Usage.meta("")
			}
			if sw.Send(msg, nil) {
				return
			}
		}
	}()
	return sr, nil
}
