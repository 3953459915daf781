package fibedrock

import (
	"encoding/base64"
	"strings"

	"github.com/tidwall/gjson"
	"go.opentelemetry.io/otel/attribute"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/fi/semconv"
	"github.com/traceai-go/traceai/internal/llmparse"
)

// InvokeModel bodies are each model family's own format. The family is
// told by the body's shape rather than by the model id, which an
// application inference profile's ARN does not reveal.

func (c *call) invokeRequest(body []byte, root gjson.Result) {
	vendor := vendorSystem(c.model)
	msgs := root.Get("messages")
	switch {
	case root.Get("anthropic_version").Exists() || (vendor == "anthropic" && msgs.IsArray()):
		c.chatRequest(body, root, "system")
	case root.Get("schemaVersion").Exists() || root.Get("inferenceConfig").Exists() || (vendor == "amazon" && msgs.IsArray()):
		c.converseRequest(body, root)
	case msgs.IsArray():
		c.chatRequest(body, root, "")
	case root.Get("message").Type == gjson.String:
		c.cohereChatRequest(body, root)
	case root.Get("prompt").Type == gjson.String || root.Get("inputText").Type == gjson.String:
		c.promptRequest(body, root)
	default:
		c.attrs.Str(semconv.InputValue, redactBytes(llmparse.Format(body)))
		c.attrs.Str(semconv.InputMimeType, string(semconv.MimeTypeJSON))
	}
}

// chatRequest records a body with a messages list: Claude's Messages
// format (system from systemKey), or the OpenAI-like chat of Mistral and
// others.
func (c *call) chatRequest(body []byte, root gjson.Result, systemKey string) {
	c.attrs.Add(semconv.GenAIOperationName.String("chat"))
	c.opSet = true
	if params, ok := llmparse.Select(body, func(k string) bool { return k != "messages" }); ok {
		c.attrs.Str(semconv.GenAIRequestParameters, params)
	}
	c.attrs.ToolDefinitions(root.Get("tools"))
	i := 0
	if systemKey != "" {
		if s := root.Get(systemKey); s.Exists() && s.Type != gjson.Null {
			c.attrs.Str(messageKey(false, 0, semconv.MessageRole), "system")
			if s.Type == gjson.String {
				c.attrs.Str(messageKey(false, 0, semconv.MessageContent), s.Str)
			} else {
				c.attrs.Str(messageKey(false, 0, semconv.MessageContent), toolResultText(s))
			}
			i++
		}
	}
	var images []string
	root.Get("messages").ForEach(func(_, m gjson.Result) bool {
		images = chatMessage(&c.attrs, i, m, images)
		i++
		return true
	})
	if len(images) > 0 {
		c.attrs.Str(semconv.InputImages, stringList(images))
	}
	c.attrs.Str(semconv.InputValue, redactBytes(llmparse.Format(body)))
	c.attrs.Str(semconv.InputMimeType, string(semconv.MimeTypeJSON))
}

// chatMessage flattens a Claude or OpenAI-like message.
func chatMessage(attrs *llmparse.Attrs, i int, m gjson.Result, images []string) []string {
	key := msgRef{i: i}
	attrs.Str(key.key(semconv.MessageRole), m.Get("role").String())
	attrs.Str(key.key(semconv.MessageToolCallID), m.Get("tool_call_id").String())
	k := 0
	m.Get("tool_calls").ForEach(func(_, tc gjson.Result) bool {
		toolCall(attrs, key, k, tc.Get("id").String(), tc.Get("function.name").String(), tc.Get("function.arguments"))
		k++
		return true
	})
	content := m.Get("content")
	if content.Type == gjson.String {
		attrs.Str(key.key(semconv.MessageContent), content.Str)
		return images
	}
	j := 0
	content.ForEach(func(_, b gjson.Result) bool {
		ck := func(sub attribute.Key) attribute.Key { return key.part(j, sub) }
		switch b.Get("type").String() {
		case "text":
			attrs.Str(ck(semconv.MessageContentType), "text")
			attrs.Str(ck(semconv.MessageContentText), b.Get("text").String())
			j++
		case "thinking":
			attrs.Str(ck(semconv.MessageContentType), "thinking")
			attrs.Str(ck(semconv.MessageContentText), b.Get("thinking").String())
			j++
		case "image", "image_url":
			img := b.Get("source.url").String()
			if img == "" {
				img = b.Get("image_url.url").String()
			}
			if img == "" || strings.HasPrefix(img, "data:") || b.Get("source.data").Exists() {
				img = fi.RedactedValue
			}
			attrs.Str(ck(semconv.MessageContentType), "image")
			attrs.Str(ck(semconv.MessageContentImage), img)
			if img != fi.RedactedValue {
				images = append(images, img)
			}
			j++
		case "tool_use":
			toolCall(attrs, key, k, b.Get("id").String(), b.Get("name").String(), b.Get("input"))
			k++
		case "tool_result":
			attrs.Str(key.key(semconv.MessageToolCallID), b.Get("tool_use_id").String())
			attrs.Str(key.key(semconv.MessageContent), toolResultText(b.Get("content")))
		}
		return true
	})
	return images
}

// cohereChatRequest records Cohere Command R's chat body: preamble,
// chat_history and message.
func (c *call) cohereChatRequest(body []byte, root gjson.Result) {
	c.attrs.Add(semconv.GenAIOperationName.String("chat"))
	c.opSet = true
	skip := map[string]bool{"message": true, "chat_history": true, "preamble": true, "documents": true, "tools": true, "tool_results": true}
	if params, ok := llmparse.Select(body, func(k string) bool { return !skip[k] }); ok {
		c.attrs.Str(semconv.GenAIRequestParameters, params)
	}
	c.attrs.ToolDefinitions(root.Get("tools"))
	i := 0
	msg := func(role, content string) {
		c.attrs.Str(messageKey(false, i, semconv.MessageRole), role)
		c.attrs.Str(messageKey(false, i, semconv.MessageContent), content)
		i++
	}
	if p := root.Get("preamble").String(); p != "" {
		msg("system", p)
	}
	root.Get("chat_history").ForEach(func(_, m gjson.Result) bool {
		role := strings.ToLower(m.Get("role").String())
		if role == "chatbot" {
			role = "assistant"
		}
		msg(role, m.Get("message").String())
		return true
	})
	msg("user", root.Get("message").String())
	c.attrs.Str(semconv.InputValue, llmparse.Format(body))
	c.attrs.Str(semconv.InputMimeType, string(semconv.MimeTypeJSON))
}

// promptRequest records a text-completion body (Llama, Mistral's
// instruct models, Cohere Command, Titan): the prompt as input.value and
// as a user message, the rest as parameters, as the reference does.
func (c *call) promptRequest(body []byte, root gjson.Result) {
	c.attrs.Add(semconv.GenAIOperationName.String("text_completion"))
	c.opSet = true
	pk := "prompt"
	if !root.Get(pk).Exists() {
		pk = "inputText"
	}
	if params, ok := llmparse.Select(body, func(k string) bool { return k != pk }); ok {
		c.attrs.Str(semconv.GenAIRequestParameters, params)
	}
	p := root.Get(pk).String()
	c.attrs.Str(messageKey(false, 0, semconv.MessageRole), "user")
	c.attrs.Str(messageKey(false, 0, semconv.MessageContent), p)
	c.attrs.Str(semconv.InputValue, p)
	c.attrs.Str(semconv.InputMimeType, string(semconv.MimeTypeText))
}

// chunkBytes decodes the base64 "bytes" of an InvokeModelWithResponseStream
// chunk: one event of the model family's own stream.
func chunkBytes(ev gjson.Result) ([]byte, bool) {
	s := ev.Get("bytes").String()
	if s == "" {
		return nil, false
	}
	b, err := base64.StdEncoding.DecodeString(s)
	return b, err == nil && gjson.ValidBytes(b)
}

// invokeBody takes a whole InvokeModel response.
func (o *output) invokeBody(body []byte) {
	root := llmparse.Parse(body)
	switch {
	case root.Get("output.message").Exists():
		o.converseResponse(root)
	case root.Get("type").String() == "message" || (root.Get("content").IsArray() && root.Get("stop_reason").Exists()):
		o.claudeMessage(root)
	case root.Get("choices").IsArray():
		o.chatChoice(root)
	case root.Get("generations").IsArray():
		g := root.Get("generations.0")
		o.text.WriteString(g.Get("text").String())
		o.stopReason = g.Get("finish_reason").String()
		o.id = root.Get("id").String()
	case root.Get("results").IsArray():
		o.text.WriteString(root.Get("results.0.outputText").String())
		o.stopReason = root.Get("results.0.completionReason").String()
		o.setUsage(root.Get("inputTextTokenCount").Int(), root.Get("results.0.tokenCount").Int())
	case root.Get("event_type").Exists(), root.Get("is_finished").Exists():
		o.cohereEvent(root)
	default:
		// Llama, Mistral's outputs, Cohere Command R's text: the same
		// fields whole as in a stream's chunks.
		o.familyChunk(root)
		if root.Get("text").Exists() {
			o.cohereResponse(root)
		}
	}
	o.bedrockFields(root)
}

// invokeChunk takes one event of InvokeModelWithResponseStream.
func (o *output) invokeChunk(b []byte) {
	root := llmparse.Parse(b)
	if typ := root.Get("type").String(); typ != "" {
		o.claudeEvent(typ, root)
	} else if root.Get("event_type").Exists() || root.Get("is_finished").Exists() {
		o.cohereEvent(root)
	} else if root.Get("choices").IsArray() {
		o.chatChoice(root)
	} else {
		handled := false
		root.ForEach(func(k, v gjson.Result) bool {
			switch k.Str {
			case "messageStart", "contentBlockStart", "contentBlockDelta", "contentBlockStop", "messageStop", "metadata":
				o.converseEvent(k.Str, v)
				handled = true
			}
			return true
		})
		if !handled {
			o.familyChunk(root)
		}
	}
	o.bedrockFields(root)
}

// familyChunk takes Llama's generation, Mistral's outputs, Titan's
// outputText and Cohere Command's generations, whole or a stream's piece.
func (o *output) familyChunk(root gjson.Result) {
	r := gjson.GetMany(root.Raw, "generation", "prompt_token_count", "generation_token_count", "stop_reason", "outputs", "outputText", "completionReason", "generations")
	switch {
	case r[0].Exists():
		o.text.WriteString(r[0].String())
		if r[1].Exists() && r[1].Type != gjson.Null {
			o.usage, o.in = true, r[1].Int()
		}
		if r[2].Exists() && r[2].Type != gjson.Null {
			o.usage, o.outTok = true, r[2].Int()
		}
		if r[3].Type == gjson.String {
			o.stopReason = r[3].Str
		}
	case r[4].IsArray():
		r[4].ForEach(func(_, out gjson.Result) bool {
			o.text.WriteString(out.Get("text").String())
			if s := out.Get("stop_reason").String(); s != "" {
				o.stopReason = s
			}
			return true
		})
	case r[5].Exists():
		o.text.WriteString(r[5].String())
		if s := r[6].String(); s != "" {
			o.stopReason = s
		}
	case r[7].IsArray():
		g := r[7].Get("0")
		o.text.WriteString(g.Get("text").String())
		if s := g.Get("finish_reason").String(); s != "" {
			o.stopReason = s
		}
	}
}

// bedrockFields takes what Bedrock adds to every family's body: the
// invocation metrics (token counts) and the guardrail's action and trace.
func (o *output) bedrockFields(root gjson.Result) {
	r := gjson.GetMany(root.Raw, "amazon-bedrock-invocationMetrics", "amazon-bedrock-guardrailAction", "amazon-bedrock-trace.guardrail")
	if m := r[0]; m.IsObject() && !o.usage {
		o.setUsage(m.Get("inputTokenCount").Int(), m.Get("outputTokenCount").Int())
	}
	if r[2].IsObject() {
		o.guardrailTrace(r[2])
	}
	if a := r[1].String(); a != "" {
		o.guardrail = a
	}
}

func (o *output) setUsage(in, out int64) { o.usage, o.in, o.outTok = true, in, out }

// claudeMessage takes a whole Anthropic Messages response.
func (o *output) claudeMessage(root gjson.Result) {
	o.id, o.model, o.role = root.Get("id").String(), root.Get("model").String(), root.Get("role").String()
	root.Get("content").ForEach(func(_, b gjson.Result) bool {
		switch b.Get("type").String() {
		case "text":
			o.text.WriteString(b.Get("text").String())
		case "thinking":
			o.thinking.WriteString(b.Get("thinking").String())
		case "tool_use":
			t := o.tool(-1)
			t.id, t.name = b.Get("id").String(), b.Get("name").String()
			t.args.WriteString(b.Get("input").Raw)
		}
		return true
	})
	o.stopReason = root.Get("stop_reason").String()
	o.claudeUsage(root.Get("usage"))
}

func (o *output) claudeUsage(u gjson.Result) {
	if !u.IsObject() {
		return
	}
	r := gjson.GetMany(u.Raw, "input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens")
	o.usage = true
	// Counts in a later event replace earlier ones (message_delta's are
	// cumulative); an absent count leaves what was there.
	for i, dst := range []*int64{&o.in, &o.outTok, &o.cacheRead, &o.cacheWrite} {
		if r[i].Exists() && (r[i].Int() > 0 || i == 1) {
			*dst = r[i].Int()
		}
	}
}

// claudeEvent takes one event of Anthropic's Messages stream.
func (o *output) claudeEvent(typ string, ev gjson.Result) {
	switch typ {
	case "content_block_delta":
		r := gjson.GetMany(ev.Raw, "index", "delta.type", "delta.text", "delta.thinking", "delta.partial_json")
		switch r[1].String() {
		case "text_delta":
			o.text.WriteString(r[2].String())
		case "thinking_delta":
			o.thinking.WriteString(r[3].String())
		case "input_json_delta":
			o.tool(int(r[0].Int())).args.WriteString(r[4].String())
		}
	case "message_start":
		m := ev.Get("message")
		o.id, o.model, o.role = m.Get("id").String(), m.Get("model").String(), m.Get("role").String()
		o.claudeUsage(m.Get("usage"))
	case "content_block_start":
		cb := ev.Get("content_block")
		switch cb.Get("type").String() {
		case "tool_use":
			t := o.tool(int(ev.Get("index").Int()))
			t.id, t.name = cb.Get("id").String(), cb.Get("name").String()
		case "text":
			o.text.WriteString(cb.Get("text").String())
		}
	case "message_delta":
		if s := ev.Get("delta.stop_reason").String(); s != "" {
			o.stopReason = s
		}
		o.claudeUsage(ev.Get("usage"))
	case "message":
		o.claudeMessage(ev)
	}
}

// chatChoice takes an OpenAI-like choices list (Mistral's chat), whole or
// streamed.
func (o *output) chatChoice(root gjson.Result) {
	ch := root.Get("choices.0")
	msg := ch.Get("message")
	if !msg.Exists() {
		msg = ch.Get("delta")
	}
	if r := msg.Get("role").String(); r != "" {
		o.role = r
	}
	o.text.WriteString(msg.Get("content").String())
	msg.Get("tool_calls").ForEach(func(_, tc gjson.Result) bool {
		t := o.tool(-1)
		t.id, t.name = tc.Get("id").String(), tc.Get("function.name").String()
		t.args.WriteString(tc.Get("function.arguments").String())
		return true
	})
	for _, k := range []string{"stop_reason", "finish_reason"} {
		if s := ch.Get(k).String(); s != "" {
			o.stopReason = s
		}
	}
	if u := root.Get("usage"); u.IsObject() {
		o.setUsage(u.Get("prompt_tokens").Int(), u.Get("completion_tokens").Int())
	}
	o.id = root.Get("id").String()
}

// cohereEvent takes an event of Cohere Command R's stream.
func (o *output) cohereEvent(ev gjson.Result) {
	switch ev.Get("event_type").String() {
	case "text-generation":
		o.text.WriteString(ev.Get("text").String())
	case "stream-end":
		o.stopReason = ev.Get("finish_reason").String()
		if r := ev.Get("response"); r.IsObject() {
			o.cohereMeta(r)
			o.id = r.Get("response_id").String()
		}
	default:
		if ev.Get("is_finished").Bool() {
			o.stopReason = ev.Get("finish_reason").String()
		} else {
			o.text.WriteString(ev.Get("text").String())
		}
	}
}

// cohereResponse takes a whole Command R response.
func (o *output) cohereResponse(root gjson.Result) {
	o.text.WriteString(root.Get("text").String())
	o.stopReason = root.Get("finish_reason").String()
	o.id = root.Get("response_id").String()
	root.Get("tool_calls").ForEach(func(_, tc gjson.Result) bool {
		t := o.tool(-1)
		t.name = tc.Get("name").String()
		t.args.WriteString(tc.Get("parameters").Raw)
		return true
	})
	o.cohereMeta(root)
}

func (o *output) cohereMeta(r gjson.Result) {
	if b := r.Get("meta.billed_units"); b.IsObject() {
		o.setUsage(b.Get("input_tokens").Int(), b.Get("output_tokens").Int())
	}
}
