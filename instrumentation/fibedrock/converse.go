package fibedrock

import (
	"strings"

	"github.com/tidwall/gjson"
	"go.opentelemetry.io/otel/attribute"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/fi/semconv"
	"github.com/traceai-go/traceai/internal/llmparse"
)

// converseRequest records a Converse or ConverseStream body, and Amazon
// Nova's InvokeModel body, which has the same messages, system and
// inferenceConfig.
func (c *call) converseRequest(body []byte, root gjson.Result) {
	c.attrs.Add(semconv.GenAIOperationName.String("chat"))
	c.opSet = true
	// One pass over the top level instead of a search per field.
	var r [5]gjson.Result
	root.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "system":
			r[0] = v
		case "messages":
			r[1] = v
		case "inferenceConfig":
			r[2] = v
		case "toolConfig":
			r[3] = v.Get("tools")
		case "guardrailConfig":
			r[4] = v.Get("guardrailIdentifier")
		}
		return true
	})
	if r[2].IsObject() {
		c.attrs.Str(semconv.GenAIRequestParameters, llmparse.Format([]byte(r[2].Raw)))
	}
	c.attrs.ToolDefinitions(r[3])
	if g := r[4].String(); g != "" && !hasKey(c.attrs, semconv.GenAIGuardrailName) {
		c.attrs.Str(semconv.GenAIGuardrailName, g)
	}
	i := 0
	// The system prompts are message 0, role system, their texts joined
	// with spaces, as the reference writes them.
	if r[0].IsArray() {
		var texts []string
		r[0].ForEach(func(_, b gjson.Result) bool {
			if t := b.Get("text"); t.Exists() {
				texts = append(texts, t.String())
			}
			return true
		})
		if len(texts) > 0 {
			key := msgRef{}
			c.attrs.Str(key.key(semconv.MessageRole), "system")
			c.attrs.Str(key.part(0, semconv.MessageContentType), "text")
			c.attrs.Str(key.part(0, semconv.MessageContentText), strings.Join(texts, " "))
			i++
		}
	} else if r[0].Type == gjson.String {
		c.attrs.Str(messageKey(false, 0, semconv.MessageRole), "system")
		c.attrs.Str(messageKey(false, 0, semconv.MessageContent), r[0].Str)
		i++
	}
	var images []string
	r[1].ForEach(func(_, m gjson.Result) bool {
		images = converseMessage(&c.attrs, i, m, images)
		i++
		return true
	})
	if len(images) > 0 {
		c.attrs.Str(semconv.InputImages, stringList(images))
	}
	c.attrs.Str(semconv.InputValue, redactBytes(llmparse.Format(body)))
	c.attrs.Str(semconv.InputMimeType, string(semconv.MimeTypeJSON))
}

// stringList is llmparse.Marshal(list) without reflection for the usual
// case, URIs of printable ASCII with nothing to escape.
func stringList(list []string) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, s := range list {
		for j := 0; j < len(s); j++ {
			if c := s[j]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
				return llmparse.Marshal(list)
			}
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('"')
		b.WriteString(s)
		b.WriteByte('"')
	}
	b.WriteByte(']')
	return b.String()
}

// converseMessage flattens one Converse message (content blocks text,
// image, toolUse, toolResult, reasoningContent, guardContent) into input
// message i, and returns images with the URIs of its referenced images.
func converseMessage(attrs *llmparse.Attrs, i int, m gjson.Result, images []string) []string {
	key := msgRef{i: i}
	var content gjson.Result
	m.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "role":
			attrs.Str(key.key(semconv.MessageRole), v.String())
		case "content":
			content = v
		}
		return true
	})
	j, k := 0, 0
	content.ForEach(func(_, b gjson.Result) bool {
		ck := func(sub attribute.Key) attribute.Key { return key.part(j, sub) }
		b.ForEach(func(kind, v gjson.Result) bool {
			switch kind.Str {
			case "text":
				attrs.Str(ck(semconv.MessageContentType), "text")
				attrs.Str(ck(semconv.MessageContentText), v.String())
				j++
			case "guardContent":
				attrs.Str(ck(semconv.MessageContentType), "text")
				attrs.Str(ck(semconv.MessageContentText), v.Get("text.text").String())
				j++
			case "reasoningContent":
				attrs.Str(ck(semconv.MessageContentType), "thinking")
				attrs.Str(ck(semconv.MessageContentText), v.Get("reasoningText.text").String())
				j++
			case "image":
				img := imageRef(v)
				attrs.Str(ck(semconv.MessageContentType), "image")
				attrs.Str(ck(semconv.MessageContentImage), img)
				if img != fi.RedactedValue && img != "" {
					images = append(images, img)
				}
				j++
			case "toolUse":
				toolCall(attrs, key, k, v.Get("toolUseId").String(), v.Get("name").String(), v.Get("input"))
				k++
			case "toolResult":
				attrs.Str(key.key(semconv.MessageToolCallID), v.Get("toolUseId").String())
				attrs.Str(key.key(semconv.MessageContent), toolResultText(v.Get("content")))
			}
			return true
		})
		return true
	})
	return images
}

// imageRef is an image block by reference: its S3 URI, or, for bytes sent
// inline, fi.RedactedValue (the bytes are never recorded).
func imageRef(img gjson.Result) string {
	src := img.Get("source")
	if u := src.Get("s3Location.uri").String(); u != "" {
		return u
	}
	if src.Get("bytes").Exists() {
		return fi.RedactedValue
	}
	return ""
}

func toolCall(attrs *llmparse.Attrs, key msgRef, k int, id, name string, input gjson.Result) {
	attrs.Str(key.tool(k, semconv.ToolCallID), id)
	attrs.Str(key.tool(k, semconv.ToolCallFunctionName), name)
	switch {
	case input.Type == gjson.String:
		attrs.Str(key.tool(k, semconv.ToolCallFunctionArgumentsJSON), llmparse.PyJSON([]byte(input.Str)))
	case input.Exists() && input.Type != gjson.Null:
		attrs.Str(key.tool(k, semconv.ToolCallFunctionArgumentsJSON), llmparse.Format([]byte(input.Raw)))
	}
}

// toolResultText is a tool result's content: a string, or its text
// blocks and JSON blocks, one per line.
func toolResultText(c gjson.Result) string {
	if c.Type == gjson.String {
		return c.Str
	}
	var parts []string
	c.ForEach(func(_, b gjson.Result) bool {
		switch {
		case b.Get("text").Exists():
			parts = append(parts, b.Get("text").String())
		case b.Get("json").Exists():
			parts = append(parts, llmparse.Format([]byte(b.Get("json").Raw)))
		case b.Get("type").String() == "text": // Claude's tool_result blocks
			parts = append(parts, b.Get("text").String())
		}
		return true
	})
	return strings.Join(parts, "\n")
}

// redactBytes replaces the values of "bytes" members (inline images,
// documents and videos) in Python-layout JSON by fi.RedactedValue.
func redactBytes(js string) string {
	const key = `"bytes": "`
	if !strings.Contains(js, key) {
		return js
	}
	var b strings.Builder
	b.Grow(len(js))
	for {
		i := strings.Index(js, key)
		if i < 0 {
			break
		}
		start := i + len(key)
		end := start
		for end < len(js) && js[end] != '"' {
			if js[end] == '\\' {
				end++
			}
			end++
		}
		b.WriteString(js[:start])
		b.WriteString(fi.RedactedValue)
		js = js[min(end, len(js)):]
	}
	b.WriteString(js)
	return b.String()
}

func hasKey(kvs []attribute.KeyValue, k attribute.Key) bool {
	for _, kv := range kvs {
		if kv.Key == k {
			return true
		}
	}
	return false
}

// converseResponse takes a whole Converse response (or Nova's InvokeModel
// response, the same shape).
func (o *output) converseResponse(root gjson.Result) {
	// One pass over the top level instead of a search per field.
	var msg gjson.Result
	root.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "output":
			msg = v.Get("message")
		case "stopReason":
			o.stopReason = v.String()
		case "usage":
			o.converseUsage(v)
		case "trace":
			o.converseTrace(v)
		}
		return true
	})
	o.role = msg.Get("role").String()
	msg.Get("content").ForEach(func(_, b gjson.Result) bool {
		b.ForEach(func(kind, v gjson.Result) bool {
			switch kind.Str {
			case "text":
				o.text.WriteString(v.String())
			case "reasoningContent":
				o.thinking.WriteString(v.Get("reasoningText.text").String())
			case "toolUse":
				t := o.tool(-1)
				t.id, t.name = v.Get("toolUseId").String(), v.Get("name").String()
				t.args.WriteString(v.Get("input").Raw)
			}
			return true
		})
		return true
	})
}

// converseEvent takes one ConverseStream event, or one event of Nova's
// InvokeModelWithResponseStream (named by its only member).
func (o *output) converseEvent(typ string, ev gjson.Result) {
	switch typ {
	case "contentBlockDelta":
		// The most frequent event: one pass over it, none over the body.
		var index int
		var delta gjson.Result
		ev.ForEach(func(k, v gjson.Result) bool {
			switch k.Str {
			case "contentBlockIndex":
				index = int(v.Int())
			case "delta":
				delta = v
			}
			return true
		})
		delta.ForEach(func(k, v gjson.Result) bool {
			switch k.Str {
			case "text":
				o.text.WriteString(v.String())
			case "toolUse":
				o.tool(index).args.WriteString(v.Get("input").String())
			case "reasoningContent":
				o.thinking.WriteString(v.Get("text").String())
			}
			return true
		})
	case "messageStart":
		o.role = ev.Get("role").String()
	case "contentBlockStart":
		if tu := ev.Get("start.toolUse"); tu.Exists() {
			t := o.tool(int(ev.Get("contentBlockIndex").Int()))
			t.id, t.name = tu.Get("toolUseId").String(), tu.Get("name").String()
		}
	case "messageStop":
		o.stopReason = ev.Get("stopReason").String()
	case "metadata":
		o.converseUsage(ev.Get("usage"))
		o.converseTrace(ev.Get("trace"))
	}
}

func (o *output) converseUsage(u gjson.Result) {
	if !u.IsObject() {
		return
	}
	o.usage = true
	o.in, o.outTok, o.total, o.cacheRead, o.cacheWrite = 0, 0, 0, 0, 0
	u.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "inputTokens":
			o.in = v.Int()
		case "outputTokens":
			o.outTok = v.Int()
		case "totalTokens":
			o.total = v.Int()
		case "cacheReadInputTokens", "cacheReadInputTokenCount": // Converse, Nova
			o.cacheRead = v.Int()
		case "cacheWriteInputTokens", "cacheWriteInputTokenCount":
			o.cacheWrite = v.Int()
		}
		return true
	})
}

// converseTrace takes a response's trace: the guardrail's assessments and
// the model a prompt router chose.
func (o *output) converseTrace(t gjson.Result) {
	if m := t.Get("promptRouter.invokedModelId").String(); m != "" {
		o.model = m
	}
	if g := t.Get("guardrail"); g.IsObject() {
		o.guardrailTrace(g)
	}
}
