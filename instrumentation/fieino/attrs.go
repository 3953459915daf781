package fieino

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/cloudwego/eino/callbacks"
	"github.com/cloudwego/eino/components"
	"github.com/cloudwego/eino/components/embedding"
	"github.com/cloudwego/eino/components/model"
	"github.com/cloudwego/eino/components/prompt"
	"github.com/cloudwego/eino/components/retriever"
	"github.com/cloudwego/eino/components/tool"
	"github.com/cloudwego/eino/compose"
	"github.com/cloudwego/eino/schema"
	"go.opentelemetry.io/otel/attribute"

	"github.com/traceai-go/traceai/fi/semconv"
)

var (
	mimeJSON = semconv.MimeTypeJSON
	mimeText = semconv.MimeTypeText
)

func jsonOf(v any) (string, bool) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", false
	}
	return string(b), true
}

func io2(kvs []attribute.KeyValue, val, mimeKey attribute.Key, s string, mime semconv.MimeType) []attribute.KeyValue {
	return append(kvs, val.String(s), mimeKey.String(string(mime)))
}

// providers maps Eino model implementation types to traceAI provider names.
var providers = map[string]semconv.Provider{
	"openai": semconv.ProviderOpenAI, "azureopenai": semconv.ProviderAzure, "claude": semconv.ProviderAnthropic,
	"anthropic": semconv.ProviderAnthropic, "gemini": semconv.ProviderGoogle, "ollama": semconv.ProviderOllama,
	"deepseek": semconv.ProviderDeepSeek, "mistral": semconv.ProviderMistralAI,
}

func setInput(ctx context.Context, r *run, input callbacks.CallbackInput) {
	var kvs []attribute.KeyValue
	switch string(r.info.Component) {
	case string(components.ComponentOfChatModel):
		in := model.ConvCallbackInput(input)
		if in == nil {
			break
		}
		if p, ok := providers[strings.ToLower(r.info.Type)]; ok {
			kvs = append(kvs, semconv.GenAIProviderName.String(string(p)))
		}
		kvs = appendMessages(kvs, inKey, in.Messages)
		if s, ok := jsonOf(in.Messages); ok {
			kvs = io2(kvs, semconv.InputValue, semconv.InputMimeType, s, mimeJSON)
		}
		for i, t := range in.Tools {
			if t == nil {
				continue
			}
			if s, ok := toolSchema(t); ok {
				kvs = append(kvs, semconv.ToolDefinitionKey(i).String(s))
			}
		}
		kvs = appendConfig(kvs, in.Config)
	case string(components.ComponentOfTool):
		in := tool.ConvCallbackInput(input)
		kvs = append(kvs, semconv.GenAIToolName.String(r.info.Name))
		if id := compose.GetToolCallID(ctx); id != "" {
			kvs = append(kvs, semconv.GenAIToolCallID.String(id))
		}
		if in != nil {
			mime := mimeText
			if json.Valid([]byte(in.ArgumentsInJSON)) {
				mime = mimeJSON
			}
			kvs = io2(kvs, semconv.InputValue, semconv.InputMimeType, in.ArgumentsInJSON, mime)
		}
	case string(components.ComponentOfRetriever):
		in := retriever.ConvCallbackInput(input)
		if in == nil {
			break
		}
		// The query is input.value only, so that HideInputs hides it.
		kvs = io2(kvs, semconv.InputValue, semconv.InputMimeType, in.Query, mimeText)
		if in.TopK > 0 {
			kvs = append(kvs, semconv.GenAIRetrievalTopK.Int(in.TopK))
		}
	case string(components.ComponentOfEmbedding):
		in := embedding.ConvCallbackInput(input)
		if in == nil {
			break
		}
		for i, t := range in.Texts {
			kvs = append(kvs, semconv.EmbeddingKey(i, semconv.EmbeddingText).String(t))
		}
		if in.Config != nil && in.Config.Model != "" {
			kvs = append(kvs, semconv.EmbeddingModelName.String(in.Config.Model), semconv.GenAIRequestModel.String(in.Config.Model))
		}
		if s, ok := jsonOf(in.Texts); ok {
			kvs = io2(kvs, semconv.InputValue, semconv.InputMimeType, s, mimeJSON)
		}
	case string(components.ComponentOfPrompt):
		if in := prompt.ConvCallbackInput(input); in != nil {
			if s, ok := jsonOf(in.Variables); ok {
				kvs = io2(kvs, semconv.InputValue, semconv.InputMimeType, s, mimeJSON)
			}
		}
	default:
		r.span.SetInput(plain(input))
		return
	}
	r.span.SetAttributes(kvs...)
}

func setOutput(r *run, output callbacks.CallbackOutput) {
	var kvs []attribute.KeyValue
	switch string(r.info.Component) {
	case string(components.ComponentOfChatModel):
		out := model.ConvCallbackOutput(output)
		if out == nil {
			break
		}
		kvs = modelOutput(kvs, out.Message, out.Config, usageOf(out))
	case string(components.ComponentOfTool):
		out := tool.ConvCallbackOutput(output)
		if out == nil {
			break
		}
		mime := mimeText
		if t := strings.TrimSpace(out.Response); strings.HasPrefix(t, "{") && json.Valid([]byte(t)) {
			mime = mimeJSON
		}
		kvs = io2(kvs, semconv.OutputValue, semconv.OutputMimeType, out.Response, mime)
	case string(components.ComponentOfRetriever):
		out := retriever.ConvCallbackOutput(output)
		if out == nil {
			break
		}
		kvs = appendDocuments(kvs, out.Docs)
	case string(components.ComponentOfEmbedding):
		out := embedding.ConvCallbackOutput(output)
		if out == nil {
			break
		}
		for i, v := range out.Embeddings {
			kvs = append(kvs, semconv.EmbeddingKey(i, semconv.EmbeddingVector).Float64Slice(v))
		}
		if out.TokenUsage != nil {
			kvs = appendUsage(kvs, out.TokenUsage.PromptTokens, out.TokenUsage.CompletionTokens, out.TokenUsage.TotalTokens, 0)
		}
	case string(components.ComponentOfPrompt):
		if out := prompt.ConvCallbackOutput(output); out != nil {
			if s, ok := jsonOf(out.Result); ok {
				kvs = io2(kvs, semconv.OutputValue, semconv.OutputMimeType, s, mimeJSON)
			}
		}
	default:
		r.span.SetOutput(plain(output))
		return
	}
	r.span.SetAttributes(kvs...)
}

// plain unwraps what graphs and lambdas pass around for SetInput/SetOutput:
// a message reads as its text.
func plain(v any) any {
	if m, ok := v.(*schema.Message); ok && m != nil && len(m.ToolCalls) == 0 {
		return m.Content
	}
	return v
}

type usage struct{ in, out, total, cached int }

func usageOf(out *model.CallbackOutput) *usage {
	if out.TokenUsage != nil {
		u := out.TokenUsage
		return &usage{u.PromptTokens, u.CompletionTokens, u.TotalTokens, u.PromptTokenDetails.CachedTokens}
	}
	if out.Message != nil && out.Message.ResponseMeta != nil && out.Message.ResponseMeta.Usage != nil {
		u := out.Message.ResponseMeta.Usage
		return &usage{u.PromptTokens, u.CompletionTokens, u.TotalTokens, u.PromptTokenDetails.CachedTokens}
	}
	return nil
}

func appendUsage(kvs []attribute.KeyValue, in, out, total, cached int) []attribute.KeyValue {
	if total == 0 {
		total = in + out
	}
	kvs = append(kvs, semconv.GenAIUsageInputTokens.Int(in), semconv.GenAIUsageOutputTokens.Int(out), semconv.GenAIUsageTotalTokens.Int(total))
	if cached > 0 {
		kvs = append(kvs, semconv.GenAIUsageInputTokensCacheRead.Int(cached))
	}
	return kvs
}

func modelOutput(kvs []attribute.KeyValue, msg *schema.Message, cfg *model.Config, u *usage) []attribute.KeyValue {
	if msg != nil {
		kvs = appendMessages(kvs, outKey, []*schema.Message{msg})
		if len(msg.ToolCalls) == 0 {
			kvs = io2(kvs, semconv.OutputValue, semconv.OutputMimeType, msg.Content, mimeText)
		} else if s, ok := jsonOf(msg); ok {
			kvs = io2(kvs, semconv.OutputValue, semconv.OutputMimeType, s, mimeJSON)
		}
	}
	if cfg != nil && cfg.Model != "" {
		kvs = append(kvs, semconv.GenAIResponseModel.String(cfg.Model))
	}
	if u != nil {
		kvs = appendUsage(kvs, u.in, u.out, u.total, u.cached)
	}
	return kvs
}

func appendConfig(kvs []attribute.KeyValue, c *model.Config) []attribute.KeyValue {
	if c == nil {
		return kvs
	}
	if c.Model != "" {
		kvs = append(kvs, semconv.GenAIRequestModel.String(c.Model))
	}
	params := map[string]any{}
	if c.MaxTokens > 0 {
		params["max_tokens"] = c.MaxTokens
	}
	if c.Temperature != 0 {
		params["temperature"] = c.Temperature
	}
	if c.TopP != 0 {
		params["top_p"] = c.TopP
	}
	if len(c.Stop) > 0 {
		params["stop"] = c.Stop
	}
	if len(params) > 0 {
		if s, ok := jsonOf(params); ok {
			kvs = append(kvs, semconv.GenAIRequestParameters.String(s))
		}
	}
	return kvs
}

// cachedMsgs is how many message indexes have their role and content keys
// built once, so that flattening a conversation allocates no key strings.
const cachedMsgs = 64

var msgKeys = func() (keys [2][cachedMsgs][2]attribute.Key) {
	for i := range cachedMsgs {
		keys[0][i] = [2]attribute.Key{semconv.InputMessageKey(i, semconv.MessageRole), semconv.InputMessageKey(i, semconv.MessageContent)}
		keys[1][i] = [2]attribute.Key{semconv.OutputMessageKey(i, semconv.MessageRole), semconv.OutputMessageKey(i, semconv.MessageContent)}
	}
	return keys
}()

func cachedKey(dir, i int, sub attribute.Key, build func(int, attribute.Key) attribute.Key) attribute.Key {
	if i < cachedMsgs {
		switch sub {
		case semconv.MessageRole:
			return msgKeys[dir][i][0]
		case semconv.MessageContent:
			return msgKeys[dir][i][1]
		}
	}
	return build(i, sub)
}

func inKey(i int, sub attribute.Key) attribute.Key {
	return cachedKey(0, i, sub, semconv.InputMessageKey)
}
func outKey(i int, sub attribute.Key) attribute.Key {
	return cachedKey(1, i, sub, semconv.OutputMessageKey)
}

// appendMessages flattens msgs as the OpenAI instrumentation does:
// role, content, name, tool call id and tool calls per message index.
func appendMessages(kvs []attribute.KeyValue, key func(int, attribute.Key) attribute.Key, msgs []*schema.Message) []attribute.KeyValue {
	for i, m := range msgs {
		if m == nil {
			continue
		}
		kvs = append(kvs, key(i, semconv.MessageRole).String(string(m.Role)))
		if m.Content != "" {
			kvs = append(kvs, key(i, semconv.MessageContent).String(m.Content))
		}
		for j, p := range m.UserInputMultiContent {
			if p.Type == schema.ChatMessagePartTypeText {
				kvs = append(kvs, key(i, semconv.MessageContentKey(j, semconv.MessageContentType)).String("text"),
					key(i, semconv.MessageContentKey(j, semconv.MessageContentText)).String(p.Text))
			}
		}
		if m.Name != "" {
			kvs = append(kvs, key(i, semconv.MessageName).String(m.Name))
		}
		if m.ToolCallID != "" {
			kvs = append(kvs, key(i, semconv.MessageToolCallID).String(m.ToolCallID))
		}
		for k, tc := range m.ToolCalls {
			if tc.ID != "" {
				kvs = append(kvs, key(i, semconv.MessageToolCallKey(k, semconv.ToolCallID)).String(tc.ID))
			}
			kvs = append(kvs, key(i, semconv.MessageToolCallKey(k, semconv.ToolCallFunctionName)).String(tc.Function.Name),
				key(i, semconv.MessageToolCallKey(k, semconv.ToolCallFunctionArgumentsJSON)).String(tc.Function.Arguments))
		}
	}
	return kvs
}

func toolSchema(t *schema.ToolInfo) (string, bool) {
	fn := map[string]any{"name": t.Name}
	if t.Desc != "" {
		fn["description"] = t.Desc
	}
	if t.ParamsOneOf != nil {
		if js, err := t.ParamsOneOf.ToJSONSchema(); err == nil && js != nil {
			fn["parameters"] = js
		}
	}
	return jsonOf(map[string]any{"type": "function", "function": fn})
}

func appendDocuments(kvs []attribute.KeyValue, docs []*schema.Document) []attribute.KeyValue {
	for i, d := range docs {
		if d == nil {
			continue
		}
		if d.ID != "" {
			kvs = append(kvs, semconv.RetrievalDocumentKey(i, semconv.DocumentID).String(d.ID))
		}
		kvs = append(kvs, semconv.RetrievalDocumentKey(i, semconv.DocumentContent).String(d.Content))
		if s := d.Score(); s != 0 {
			kvs = append(kvs, semconv.RetrievalDocumentKey(i, semconv.DocumentScore).Float64(s))
		}
		if len(d.MetaData) > 0 {
			if s, ok := jsonOf(d.MetaData); ok {
				kvs = append(kvs, semconv.RetrievalDocumentKey(i, semconv.DocumentMetadata).String(s))
			}
		}
	}
	if s, ok := jsonOf(docs); ok {
		kvs = io2(kvs, semconv.OutputValue, semconv.OutputMimeType, s, mimeJSON)
	}
	return kvs
}

// streamAcc gathers a streamed output: chat model chunks merged into one
// message, other chunks kept up to maxStreamChunks.
type streamAcc struct {
	kind   semconv.SpanKind
	n      int
	msgs   []*schema.Message
	cfg    *model.Config
	usage  *usage
	chunks []any
}

func newStreamAcc(kind semconv.SpanKind) *streamAcc { return &streamAcc{kind: kind} }

func (a *streamAcc) add(chunk callbacks.CallbackOutput) {
	a.n++
	if a.kind == semconv.SpanKindLLM {
		out := model.ConvCallbackOutput(chunk)
		if out == nil {
			return
		}
		if out.Message != nil {
			a.msgs = append(a.msgs, out.Message)
		}
		if out.Config != nil {
			a.cfg = out.Config
		}
		if u := usageOf(out); u != nil {
			a.usage = u
		}
		return
	}
	if len(a.chunks) < maxStreamChunks {
		a.chunks = append(a.chunks, chunk)
	}
}

func (a *streamAcc) finish(r *run) {
	if a.kind == semconv.SpanKindLLM {
		var msg *schema.Message
		if len(a.msgs) > 0 {
			if m, err := schema.ConcatMessages(a.msgs); err == nil {
				msg = m
			}
		}
		r.span.SetAttributes(modelOutput(nil, msg, a.cfg, a.usage)...)
		return
	}
	var msgs []*schema.Message
	for _, c := range a.chunks {
		if m, ok := c.(*schema.Message); ok && m != nil {
			msgs = append(msgs, m)
		}
	}
	if len(msgs) == len(a.chunks) && len(msgs) > 0 {
		if m, err := schema.ConcatMessages(msgs); err == nil {
			r.span.SetOutput(plain(m))
			return
		}
	}
	if len(a.chunks) > 0 {
		r.span.SetOutput(a.chunks)
	}
}
