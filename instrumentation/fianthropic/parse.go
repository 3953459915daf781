package fianthropic

import (
	"encoding/json"
	"strings"

	"github.com/tidwall/gjson"

	"go.opentelemetry.io/otel/attribute"

	"github.com/traceai-go/traceai/fi/semconv"
	"github.com/traceai-go/traceai/internal/llmparse"
)

// The Anthropic Messages API wire format, only the fields the span needs.

type block struct {
	Type      string          `json:"type"`
	Text      string          `json:"text"`
	Thinking  string          `json:"thinking"`
	Source    *source         `json:"source"`
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Input     json.RawMessage `json:"input"`
	ToolUseID string          `json:"tool_use_id"`
	Content   json.RawMessage `json:"content"`

	partial strings.Builder // input_json_delta fragments of a streamed tool_use
}

type source struct {
	Type      string `json:"type"`
	MediaType string `json:"media_type"`
	Data      string `json:"data"`
	URL       string `json:"url"`
}

type usage struct {
	InputTokens              int64 `json:"input_tokens"`
	OutputTokens             int64 `json:"output_tokens"`
	CacheCreationInputTokens int64 `json:"cache_creation_input_tokens"`
	CacheReadInputTokens     int64 `json:"cache_read_input_tokens"`
}

type response struct {
	ID         string   `json:"id"`
	Type       string   `json:"type"`
	Role       string   `json:"role"`
	Model      string   `json:"model"`
	Content    []*block `json:"content"`
	StopReason string   `json:"stop_reason"`
	Usage      *usage   `json:"usage"`
}

type apiError struct {
	Type  string `json:"type"`
	Error struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	} `json:"error"`
}

// requestParams are the request fields the reference records as
// gen_ai.request.parameters (its whitelist, plus thinking).
var requestParams = map[string]bool{
	"max_tokens": true, "max_tokens_to_sample": true, "model": true, "metadata": true,
	"stop_sequences": true, "stream": true, "system": true, "temperature": true,
	"tool_choice": true, "tools": true, "top_k": true, "top_p": true, "thinking": true,
}

// parseRequest returns the request's attributes, its model and whether it
// asks for a stream. A body that is not a Messages request yields nil.
// It reads the body with gjson, without decoding it into values.
func parseRequest(body []byte) (attrs llmparse.Attrs, model string, stream bool) {
	if !gjson.ValidBytes(body) {
		return nil, "", false
	}
	root := gjson.ParseBytes(body)
	if !root.IsObject() {
		return nil, "", false
	}
	var system, tools, messages gjson.Result
	root.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "model":
			model = v.String()
		case "stream":
			stream = v.Bool()
		case "system":
			system = v
		case "tools":
			tools = v
		case "messages":
			messages = v
		}
		return true
	})
	attrs.Add(semconv.GenAIProviderName.String(string(semconv.ProviderAnthropic)),
		semconv.GenAIOperationName.String("chat"))
	attrs.Str(semconv.GenAIRequestModel, model)
	if params, ok := llmparse.Select(body, func(k string) bool { return requestParams[k] }); ok {
		attrs.Str(semconv.GenAIRequestParameters, params)
	}
	if system.Exists() && system.Type != gjson.Null {
		// The reference records the system prompt as gen_ai.prompts, JSON-encoded.
		attrs.Str(semconv.GenAIPrompts, llmparse.Format([]byte(system.Raw)))
	}
	attrs.ToolDefinitions(tools)
	var images []string
	i := 0
	messages.ForEach(func(_, m gjson.Result) bool {
		images = messageAttrs(&attrs, i, m, images)
		i++
		return true
	})
	attrs.RequestInput(body, images)
	return attrs, model, stream
}

func messageAttrs(attrs *llmparse.Attrs, i int, m gjson.Result, images []string) []string {
	key := func(sub attribute.Key) attribute.Key { return semconv.InputMessageKey(i, sub) }
	attrs.Str(key(semconv.MessageRole), m.Get("role").String())
	content := m.Get("content")
	if content.Type == gjson.String {
		attrs.Str(key(semconv.MessageContent), content.Str)
		return images
	}
	j, k := 0, 0
	content.ForEach(func(_, b gjson.Result) bool {
		ck := func(sub attribute.Key) attribute.Key { return key(semconv.MessageContentKey(j, sub)) }
		switch b.Get("type").String() {
		case "text":
			attrs.Str(ck(semconv.MessageContentType), "text")
			attrs.Str(ck(semconv.MessageContentText), b.Get("text").String())
			j++
		case "thinking":
			attrs.Str(ck(semconv.MessageContentType), "thinking")
			attrs.Str(ck(semconv.MessageContentText), b.Get("thinking").String())
			j++
		case "image":
			src := b.Get("source")
			img := imageValue(&source{MediaType: src.Get("media_type").String(), Data: src.Get("data").String(), URL: src.Get("url").String()})
			attrs.Str(ck(semconv.MessageContentType), "image")
			attrs.Str(ck(semconv.MessageContentImage), img)
			if img != "" {
				images = append(images, img)
			}
			j++
		case "tool_use":
			toolCallAttrs(attrs, key, k, b.Get("id").String(), b.Get("name").String(), json.RawMessage(b.Get("input").Raw))
			k++
		case "tool_result":
			attrs.Str(key(semconv.MessageToolCallID), b.Get("tool_use_id").String())
			attrs.Str(key(semconv.MessageContent), toolResultText(b.Get("content")))
		}
		return true
	})
	return images
}

func toolCallAttrs(attrs *llmparse.Attrs, key func(attribute.Key) attribute.Key, k int, id, name string, input json.RawMessage) {
	attrs.Str(key(semconv.MessageToolCallKey(k, semconv.ToolCallID)), id)
	attrs.Str(key(semconv.MessageToolCallKey(k, semconv.ToolCallFunctionName)), name)
	if llmparse.IsJSON(input) {
		attrs.Str(key(semconv.MessageToolCallKey(k, semconv.ToolCallFunctionArgumentsJSON)), llmparse.Format(input))
	}
}

// imageValue is an image block as one string: its URL, or a data URL of
// its base64 bytes.
func imageValue(s *source) string {
	switch {
	case s == nil:
		return ""
	case s.URL != "":
		return s.URL
	case s.Data != "":
		return "data:" + s.MediaType + ";base64," + s.Data
	}
	return ""
}

// toolResultText is the content of a tool_result block: a string, or the
// text of its text blocks.
func toolResultText(c gjson.Result) string {
	if c.Type == gjson.String {
		return c.Str
	}
	var parts []string
	c.ForEach(func(_, b gjson.Result) bool {
		if b.Get("type").String() == "text" {
			parts = append(parts, b.Get("text").String())
		}
		return true
	})
	return strings.Join(parts, "\n")
}

// parseResponse returns the attributes of a non-streamed Messages response.
func parseResponse(body []byte) llmparse.Attrs {
	var r response
	if json.Unmarshal(body, &r) != nil || r.Type == "error" {
		return nil
	}
	return r.attrs()
}

// attrs returns the attributes of a complete message, whether it arrived
// whole or was rebuilt from a stream.
func (r *response) attrs() llmparse.Attrs {
	var attrs llmparse.Attrs
	// The reference overwrites the request model with the response's.
	attrs.Str(semconv.GenAIRequestModel, r.Model)
	attrs.Str(semconv.GenAIResponseModel, r.Model)
	attrs.Str(semconv.GenAIResponseID, r.ID)
	if r.StopReason != "" {
		attrs.Add(semconv.GenAIResponseFinishReasons.StringSlice([]string{r.StopReason}))
	}
	role := r.Role
	if role == "" {
		role = "assistant"
	}
	key := func(sub attribute.Key) attribute.Key { return semconv.OutputMessageKey(0, sub) }
	attrs.Str(key(semconv.MessageRole), role)
	var text []string
	j, k := 0, 0
	for _, b := range r.Content {
		switch b.Type {
		case "text":
			text = append(text, b.Text)
		case "thinking", "redacted_thinking":
			attrs.Str(key(semconv.MessageContentKey(j, semconv.MessageContentType)), "thinking")
			attrs.Str(key(semconv.MessageContentKey(j, semconv.MessageContentText)), b.Thinking)
			j++
		case "tool_use", "server_tool_use":
			input := b.Input
			if b.partial.Len() > 0 {
				input = json.RawMessage(b.partial.String())
			}
			toolCallAttrs(&attrs, key, k, b.ID, b.Name, input)
			k++
		}
	}
	out := strings.Join(text, "")
	attrs.Str(key(semconv.MessageContent), out)
	if out != "" {
		attrs.Str(semconv.OutputValue, out)
		attrs.Str(semconv.OutputMimeType, string(semconv.MimeTypeText))
	}
	u := r.Usage
	if u == nil {
		return attrs
	}
	attrs.Int(semconv.GenAIUsageInputTokens, u.InputTokens)
	attrs.Int(semconv.GenAIUsageOutputTokens, u.OutputTokens)
	attrs.Int(semconv.GenAIUsageTotalTokens, u.InputTokens+u.OutputTokens)
	attrs.PosInt(semconv.GenAIUsageInputTokensCacheRead, u.CacheReadInputTokens)
	attrs.PosInt(semconv.GenAIUsageInputTokensCacheWrite, u.CacheCreationInputTokens)
	return attrs
}

// parseError returns the type and message of an Anthropic error body.
func parseError(body []byte) (typ, msg string) {
	var e apiError
	if json.Unmarshal(body, &e) != nil {
		return "", ""
	}
	return e.Error.Type, e.Error.Message
}

// stream rebuilds a message from the server-sent events of a streamed
// response, so that the span gets the same attributes as a whole response.
type stream struct {
	msg    response
	blocks map[int]*block
	errTyp string
	errMsg string
	done   bool
}

// event takes one event's data; the event name is inside it as "type".
// Events are read with gjson: a stream is mostly small deltas, and
// decoding each into values would cost more than the rest of the call.
func (s *stream) event(data []byte) {
	if !gjson.ValidBytes(data) {
		return
	}
	ev := gjson.ParseBytes(data)
	switch ev.Get("type").String() {
	case "content_block_delta":
		r := gjson.GetManyBytes(data, "index", "delta.type", "delta.text", "delta.thinking", "delta.partial_json")
		b := s.blocks[int(r[0].Int())]
		if b == nil {
			return
		}
		switch r[1].String() {
		case "text_delta":
			b.Text += r[2].String()
		case "thinking_delta":
			b.Thinking += r[3].String()
		case "input_json_delta":
			b.partial.WriteString(r[4].String())
		}
	case "message_start":
		m := ev.Get("message")
		s.msg = response{ID: m.Get("id").String(), Role: m.Get("role").String(), Model: m.Get("model").String()}
		if u := m.Get("usage"); u.IsObject() {
			s.msg.Usage = &usage{}
			s.usage(u)
		}
	case "content_block_start":
		cb := ev.Get("content_block")
		idx := int(ev.Get("index").Int())
		if !cb.IsObject() || idx < 0 {
			return
		}
		if s.blocks == nil {
			s.blocks = map[int]*block{}
		}
		// A tool_use block's input is {} until input_json_delta fills it.
		b := &block{Type: cb.Get("type").String(), Text: cb.Get("text").String(), Thinking: cb.Get("thinking").String(),
			ID: cb.Get("id").String(), Name: cb.Get("name").String()}
		s.blocks[idx] = b
		s.msg.Content = append(s.msg.Content, b)
	case "message_delta":
		if r := ev.Get("delta.stop_reason").String(); r != "" {
			s.msg.StopReason = r
		}
		if u := ev.Get("usage"); u.IsObject() {
			if s.msg.Usage == nil {
				s.msg.Usage = &usage{}
			}
			s.usage(u)
		}
	case "message_stop":
		s.done = true
	case "error":
		s.errTyp, s.errMsg = ev.Get("error.type").String(), ev.Get("error.message").String()
	}
}

// usage takes the counts present in u; message_delta counts are
// cumulative, so a later count replaces an earlier one.
func (s *stream) usage(u gjson.Result) {
	r := gjson.GetMany(u.Raw, "input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens")
	dst := []*int64{&s.msg.Usage.InputTokens, &s.msg.Usage.OutputTokens, &s.msg.Usage.CacheReadInputTokens, &s.msg.Usage.CacheCreationInputTokens}
	for i, v := range r {
		if v.Exists() && (v.Int() > 0 || i == 1) {
			*dst[i] = v.Int()
		}
	}
}

// attrs returns the attributes of what the stream delivered so far.
func (s *stream) attrs() llmparse.Attrs { return s.msg.attrs() }
