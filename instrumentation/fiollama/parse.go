package fiollama

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/tidwall/gjson"

	"go.opentelemetry.io/otel/attribute"

	"github.com/traceai-go/traceai/fi/semconv"
	"github.com/traceai-go/traceai/internal/llmparse"
)

// Ollama-specific keys the reference's Ollama instrumentation emits; they
// are not traceAI semantic conventions, so they live here.
const (
	keyTotalDuration      attribute.Key = "ollama.total_duration_ns"
	keyLoadDuration       attribute.Key = "ollama.load_duration_ns"
	keyPromptEvalDuration attribute.Key = "ollama.prompt_eval_duration_ns"
	keyEvalDuration       attribute.Key = "ollama.eval_duration_ns"
	keyDoneReason         attribute.Key = "ollama.done_reason"
)

// Ollama endpoints this package traces, and the span name of each, as the
// reference names them.
const (
	pathChat     = "/api/chat"
	pathGenerate = "/api/generate"
	pathEmbed    = "/api/embed"
	spanChat     = "ollama.chat"
	spanGenerate = "ollama.generate"
	spanEmbed    = "ollama.embed"
)

// paramKeys are the top-level request fields the reference records as
// gen_ai.request.parameters, in its order; "options" follows them.
var paramKeys = []string{
	"temperature", "top_p", "top_k", "num_predict", "num_ctx",
	"stop", "repeat_penalty", "presence_penalty", "frequency_penalty",
	"seed", "num_gpu", "num_thread", "format", "think", "options",
}

type message struct {
	Role      string     `json:"role"`
	Content   string     `json:"content"`
	Thinking  string     `json:"thinking"`
	Images    []string   `json:"images"`
	ToolCalls []toolCall `json:"tool_calls"`
	ToolName  string     `json:"tool_name"`
	ToolCall  string     `json:"tool_call_id"`
}

type toolCall struct {
	ID       string `json:"id"`
	Function struct {
		Name      string          `json:"name"`
		Arguments json.RawMessage `json:"arguments"`
	} `json:"function"`
}

type request struct {
	Model    string            `json:"model"`
	Messages []message         `json:"messages"`
	Prompt   *string           `json:"prompt"`
	System   string            `json:"system"`
	Input    json.RawMessage   `json:"input"`
	Stream   *bool             `json:"stream"`
	Tools    []json.RawMessage `json:"tools"`
}

// parseRequest returns the attributes of a request to path and whether the
// server will stream the answer (Ollama streams unless "stream": false).
func parseRequest(path string, body []byte) (attrs llmparse.Attrs, stream bool) {
	var r request
	ok := json.Unmarshal(body, &r) == nil
	attrs.Add(semconv.GenAIProviderName.String(string(semconv.ProviderOllama)))
	switch path {
	case pathEmbed:
		attrs.Add(semconv.GenAIOperationName.String("embeddings"))
		attrs.Str(semconv.EmbeddingModelName, r.Model)
	case pathGenerate:
		attrs.Add(semconv.GenAIOperationName.String("text_completion"))
		attrs.Str(semconv.GenAIRequestModel, r.Model)
	default:
		attrs.Add(semconv.GenAIOperationName.String("chat"))
		attrs.Str(semconv.GenAIRequestModel, r.Model)
	}
	if !ok {
		return attrs, false
	}
	if p := params(body); p != "" {
		attrs.Str(semconv.GenAIRequestParameters, p)
	}
	if len(r.Tools) > 0 {
		all, _ := json.Marshal(r.Tools)
		attrs.Str(semconv.GenAIToolDefinitions, llmparse.Format(all))
		for i, t := range r.Tools {
			attrs.Str(semconv.ToolDefinitionKey(i), llmparse.Format(t))
		}
	}
	switch path {
	case pathChat:
		for i, m := range r.Messages {
			inputMessage(&attrs, i, m)
		}
		var raw struct {
			Messages json.RawMessage `json:"messages"`
		}
		if json.Unmarshal(body, &raw) == nil && llmparse.IsJSON(raw.Messages) {
			attrs.Str(semconv.InputValue, llmparse.Format(llmparse.Object([]llmparse.Field{{Key: "messages", Raw: raw.Messages}})))
			attrs.Str(semconv.InputMimeType, string(semconv.MimeTypeJSON))
		}
	case pathGenerate:
		i := 0
		if r.System != "" {
			attrs.Str(semconv.InputMessageKey(i, semconv.MessageRole), "system")
			attrs.Str(semconv.InputMessageKey(i, semconv.MessageContent), r.System)
			i++
		}
		if r.Prompt != nil {
			attrs.Str(semconv.InputMessageKey(i, semconv.MessageRole), "user")
			attrs.Str(semconv.InputMessageKey(i, semconv.MessageContent), *r.Prompt)
			attrs.Str(semconv.InputValue, *r.Prompt)
			attrs.Str(semconv.InputMimeType, string(semconv.MimeTypeText))
		}
	case pathEmbed:
		if s := llmparse.String(r.Input); s != "" {
			attrs.Str(semconv.EmbeddingKey(0, semconv.EmbeddingText), s)
			attrs.Str(semconv.InputValue, s)
			attrs.Str(semconv.InputMimeType, string(semconv.MimeTypeText))
		} else {
			var texts []string
			if json.Unmarshal(r.Input, &texts) == nil {
				for i, s := range texts {
					attrs.Str(semconv.EmbeddingKey(i, semconv.EmbeddingText), s)
				}
			}
			if llmparse.IsJSON(r.Input) {
				attrs.Str(semconv.InputValue, llmparse.Format(r.Input))
				attrs.Str(semconv.InputMimeType, string(semconv.MimeTypeJSON))
			}
		}
		return attrs, false
	}
	return attrs, r.Stream == nil || *r.Stream
}

func params(body []byte) string {
	fields, ok := llmparse.Fields(body)
	if !ok {
		return ""
	}
	var kept []llmparse.Field
	for _, k := range paramKeys {
		for _, f := range fields {
			if f.Key == k && llmparse.IsJSON(f.Raw) {
				kept = append(kept, f)
			}
		}
	}
	if len(kept) == 0 {
		return ""
	}
	return llmparse.Format(llmparse.Object(kept))
}

func inputMessage(attrs *llmparse.Attrs, i int, m message) {
	key := func(sub attribute.Key) attribute.Key { return semconv.InputMessageKey(i, sub) }
	attrs.Str(key(semconv.MessageRole), m.Role)
	attrs.Str(key(semconv.MessageContent), m.Content)
	for j, img := range m.Images {
		attrs.Str(key(semconv.MessageContentKey(j, semconv.MessageContentType)), "image")
		attrs.Str(key(semconv.MessageContentKey(j, semconv.MessageContentImage)), imageURL(img))
	}
	toolCalls(attrs, key, m.ToolCalls)
	attrs.Str(key(semconv.MessageName), m.ToolName)
	attrs.Str(key(semconv.MessageToolCallID), m.ToolCall)
}

// imageURL makes the base64 image Ollama takes a data URL; Ollama sniffs
// the format, and so does every viewer of a data URL, so image/png is only
// a label.
func imageURL(b64 string) string {
	if strings.HasPrefix(b64, "data:") {
		return b64
	}
	mime := "image/png"
	if strings.HasPrefix(b64, "/9j/") {
		mime = "image/jpeg"
	}
	return "data:" + mime + ";base64," + b64
}

func toolCalls(attrs *llmparse.Attrs, key func(attribute.Key) attribute.Key, calls []toolCall) {
	for k, tc := range calls {
		attrs.Str(key(semconv.MessageToolCallKey(k, semconv.ToolCallID)), tc.ID)
		attrs.Str(key(semconv.MessageToolCallKey(k, semconv.ToolCallFunctionName)), tc.Function.Name)
		if llmparse.IsJSON(tc.Function.Arguments) {
			attrs.Str(key(semconv.MessageToolCallKey(k, semconv.ToolCallFunctionArgumentsJSON)), llmparse.Format(tc.Function.Arguments))
		}
	}
}

// chunk is one /api/chat or /api/generate response object: the whole answer,
// or one line of a stream.
type chunk struct {
	Model              string   `json:"model"`
	Message            *message `json:"message"`
	Response           *string  `json:"response"`
	Thinking           string   `json:"thinking"`
	Done               bool     `json:"done"`
	DoneReason         string   `json:"done_reason"`
	TotalDuration      int64    `json:"total_duration"`
	LoadDuration       int64    `json:"load_duration"`
	PromptEvalCount    int64    `json:"prompt_eval_count"`
	PromptEvalDuration int64    `json:"prompt_eval_duration"`
	EvalCount          int64    `json:"eval_count"`
	EvalDuration       int64    `json:"eval_duration"`
	Error              string   `json:"error"`
}

// answer accumulates the response objects of one call.
type answer struct {
	role     string
	text     strings.Builder
	thinking strings.Builder
	calls    []toolCall
	final    chunk
	done     bool
	err      string
}

// add takes one response object; it reports false for text that is not one.
func (a *answer) add(data []byte) bool {
	// Most lines of a stream are one token: read them without decoding.
	if !bytes.Contains(data, []byte(`"tool_calls"`)) && !bytes.Contains(data, []byte(`"error"`)) && gjson.ValidBytes(data) {
		r := gjson.GetManyBytes(data, "done", "message.role", "message.content", "message.thinking", "response", "thinking", "model")
		if r[0].Exists() && !r[0].Bool() {
			if r[1].Exists() {
				a.role = r[1].String()
			}
			a.text.WriteString(r[2].String())
			a.thinking.WriteString(r[3].String())
			a.text.WriteString(r[4].String())
			a.thinking.WriteString(r[5].String())
			if m := r[6].String(); m != "" {
				a.final.Model = m
			}
			return true
		}
	}
	var c chunk
	if json.Unmarshal(data, &c) != nil {
		return false
	}
	if c.Error != "" {
		a.err = c.Error
		return true
	}
	if m := c.Message; m != nil {
		if m.Role != "" {
			a.role = m.Role
		}
		a.text.WriteString(m.Content)
		a.thinking.WriteString(m.Thinking)
		a.calls = append(a.calls, m.ToolCalls...)
	}
	if c.Response != nil {
		a.text.WriteString(*c.Response)
	}
	a.thinking.WriteString(c.Thinking)
	if c.Model != "" {
		a.final.Model = c.Model
	}
	if c.Done {
		a.done = true
		a.final = c
	}
	return true
}

func (a *answer) attrs() llmparse.Attrs {
	var attrs llmparse.Attrs
	f := &a.final
	attrs.Str(semconv.GenAIRequestModel, f.Model)
	attrs.Str(semconv.GenAIResponseModel, f.Model)
	if a.done {
		attrs.Int(semconv.GenAIUsageInputTokens, f.PromptEvalCount)
		attrs.Int(semconv.GenAIUsageOutputTokens, f.EvalCount)
		attrs.PosInt(semconv.GenAIUsageTotalTokens, f.PromptEvalCount+f.EvalCount)
		attrs.PosInt(keyTotalDuration, f.TotalDuration)
		attrs.PosInt(keyLoadDuration, f.LoadDuration)
		attrs.PosInt(keyPromptEvalDuration, f.PromptEvalDuration)
		attrs.PosInt(keyEvalDuration, f.EvalDuration)
		if f.DoneReason != "" {
			attrs.Str(keyDoneReason, f.DoneReason)
			attrs.Add(semconv.GenAIResponseFinishReasons.StringSlice([]string{f.DoneReason}))
		}
	}
	role := a.role
	if role == "" {
		role = "assistant"
	}
	key := func(sub attribute.Key) attribute.Key { return semconv.OutputMessageKey(0, sub) }
	attrs.Str(key(semconv.MessageRole), role)
	text := a.text.String()
	attrs.Add(key(semconv.MessageContent).String(text))
	if th := a.thinking.String(); th != "" {
		attrs.Str(key(semconv.MessageContentKey(0, semconv.MessageContentType)), "thinking")
		attrs.Str(key(semconv.MessageContentKey(0, semconv.MessageContentText)), th)
	}
	toolCalls(&attrs, key, a.calls)
	if text != "" {
		attrs.Str(semconv.OutputValue, text)
		attrs.Str(semconv.OutputMimeType, string(semconv.MimeTypeText))
	}
	return attrs
}

// parseEmbedResponse returns the attributes of an /api/embed response.
func parseEmbedResponse(body []byte) llmparse.Attrs {
	var r struct {
		Model           string      `json:"model"`
		Embeddings      [][]float64 `json:"embeddings"`
		PromptEvalCount int64       `json:"prompt_eval_count"`
		TotalDuration   int64       `json:"total_duration"`
		LoadDuration    int64       `json:"load_duration"`
	}
	if json.Unmarshal(body, &r) != nil {
		return nil
	}
	var attrs llmparse.Attrs
	attrs.Str(semconv.EmbeddingModelName, r.Model)
	for i, v := range r.Embeddings {
		attrs.Add(semconv.EmbeddingKey(i, semconv.EmbeddingVector).Float64Slice(v))
	}
	attrs.PosInt(semconv.GenAIUsageInputTokens, r.PromptEvalCount)
	attrs.PosInt(semconv.GenAIUsageTotalTokens, r.PromptEvalCount)
	attrs.PosInt(keyTotalDuration, r.TotalDuration)
	attrs.PosInt(keyLoadDuration, r.LoadDuration)
	return attrs
}

// parseError returns the message of an Ollama error body.
func parseError(body []byte) string {
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	return e.Error
}
