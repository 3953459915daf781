package fiopenai

import (
	"net/http"
	"strings"
	"sync"

	"github.com/tidwall/gjson"
	"go.opentelemetry.io/otel/attribute"

	"github.com/traceai-go/traceai/fi/semconv"
	"github.com/traceai-go/traceai/internal/llmparse"
)

// Chat Completions (POST .../chat/completions). Bodies are read with gjson,
// never decoded into values: the span must cost little next to the call.

// parseChatRequest returns the start attributes of a Chat Completions
// request and whether it asks for a stream.
func parseChatRequest(body []byte) (attrs llmparse.Attrs, stream, ok bool) {
	if !gjson.ValidBytes(body) {
		return nil, false, false
	}
	root := llmparse.Parse(body)
	if !root.IsObject() {
		return nil, false, false
	}
	var model, messages, tools gjson.Result
	// gen_ai.request.parameters: the other non-null fields in document
	// order, gathered in the same pass (as requestParameters would, without
	// a second scan of the body).
	params := make([]byte, 1, 256)
	params[0] = '{'
	root.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "messages":
			messages = v
			return true
		case "tools":
			tools = v
			return true
		case "functions":
			return true
		case "model":
			model = v
		case "stream":
			stream = v.Type == gjson.True
		}
		if v.Type != gjson.Null {
			if len(params) > 1 {
				params = append(params, ',')
			}
			params = append(params, k.Raw...)
			params = append(params, ':')
			params = append(params, v.Raw...)
		}
		return true
	})
	// Room for the usual request and, appended by the Wire, the response:
	// one allocation for the whole span.
	attrs = make(llmparse.Attrs, 0, 64)
	attrs.Add(semconv.GenAIOperationName.String("chat"))
	attrs.Str(semconv.GenAIRequestModel, model.String())
	if len(params) > 1 {
		attrs.Str(semconv.GenAIRequestParameters, llmparse.Format(append(params, '}')))
	}
	attrs.ToolDefinitions(tools)
	var images []string
	i := 0
	messages.ForEach(func(_, m gjson.Result) bool {
		images = inputMessage(&attrs, i, m, images)
		i++
		return true
	})
	// The whole request, where the reference ends up with the first
	// message's text under a JSON mime type: a team decision.
	attrs.RequestInput(body, images)
	return attrs, stream, true
}

// inputMessage flattens request message i as the reference does, keeping
// its truthy fields, and returns images with the message's image URLs added.
func inputMessage(attrs *llmparse.Attrs, i int, m gjson.Result, images []string) []string {
	if !m.IsObject() {
		return images
	}
	key := messageKeys(false, i)
	m.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "role":
			attrs.Str(key.msg(kRole), v.String())
		case "name":
			attrs.Str(key.msg(kName), v.String())
		case "tool_call_id":
			attrs.Str(key.msg(kToolCallID), v.String())
		case "content":
			images = inputContent(attrs, key, v, images)
		case "function_call":
			fn := gjson.GetMany(v.Raw, "name", "arguments")
			attrs.Str(key.msg(kFnName), fn[0].String())
			attrs.Str(key.msg(kFnArgs), fn[1].String())
		case "tool_calls":
			n := 0
			v.ForEach(func(_, tc gjson.Result) bool {
				f := gjson.GetMany(tc.Raw, "id", "function.name", "function.arguments")
				toolCallAttrs(attrs, key, n, f[0].String(), f[1].String(), f[2].String())
				n++
				return true
			})
		}
		return true
	})
	return images
}

// inputContent records a message's content: a string as message.content,
// a list of parts as message.contents.<j>.message_content.*, and a list of
// anything else as its JSON text.
func inputContent(attrs *llmparse.Attrs, key msgKeys, c gjson.Result, images []string) []string {
	switch {
	case c.Type == gjson.String:
		attrs.Str(key.msg(kContent), c.Str)
		return images
	case !c.IsArray():
		return images
	}
	parts := true
	c.ForEach(func(_, p gjson.Result) bool {
		parts = p.IsObject()
		return parts
	})
	if !parts {
		attrs.Str(key.msg(kContent), llmparse.Format([]byte(c.Raw)))
		return images
	}
	j := 0
	c.ForEach(func(_, p gjson.Result) bool {
		f := gjson.GetMany(p.Raw, "type", "text", "image_url.url", "image_url", "input_audio.data")
		switch f[0].Str {
		case "text":
			attrs.Str(key.part(j, kType), "text")
			attrs.Str(key.part(j, kText), f[1].String())
		case "image_url":
			url := f[2].String()
			if url == "" && f[3].Type == gjson.String {
				url = f[3].Str // some compatible servers take the URL itself
			}
			attrs.Str(key.part(j, kType), "image")
			attrs.Str(key.part(j, kImage), url)
			if url != "" {
				images = append(images, url)
			}
		case "input_audio":
			attrs.Str(key.part(j, kType), "audio")
			attrs.Str(key.part(j, kAudio), f[4].String())
		}
		j++
		return true
	})
	return images
}

func toolCallAttrs(attrs *llmparse.Attrs, key msgKeys, k int, id, name, args string) {
	attrs.Str(key.call(k, kCallID), id)
	attrs.Str(key.call(k, kCallName), name)
	attrs.Str(key.call(k, kCallArgs), args)
}

// apiError is the error of an HTTP error response: OpenAI's
// {"error":{"message","type","code","param"}}, the {"object":"error",
// "message","type"} of vLLM-like servers, or {"error":"text"}.
func apiError(provider string, status int, body []byte) error {
	e := &llmparse.APIError{Provider: provider, StatusCode: status}
	if gjson.ValidBytes(body) {
		f := gjson.GetManyBytes(body, "error.message", "error.type", "error.code", "error", "message", "type")
		e.Message, e.Type = f[0].String(), f[1].String()
		if e.Type == "" && f[2].Type == gjson.String {
			e.Type = f[2].Str
		}
		if e.Message == "" && f[3].Type == gjson.String {
			e.Message = f[3].Str
		}
		if e.Message == "" && f[4].Type == gjson.String {
			e.Message, e.Type = f[4].Str, f[5].String()
		}
	}
	if e.Message == "" {
		e.Message = http.StatusText(status)
	}
	return e
}

// chatResult is a chat completion, whether it arrived whole or was
// rebuilt from stream chunks, so that both give the same attributes.
type chatResult struct {
	answer
	choices []*chatChoice
}

type chatChoice struct {
	index   int
	role    string
	content strings.Builder
	refusal strings.Builder
	finish  string
	fnName  string
	fnArgs  strings.Builder
	calls   []*chatToolCall
	audio   string
	transc  strings.Builder
	// thinking is reasoning text some compatible servers return
	// (reasoning_content, reasoning, thinking parts); OpenAI does not.
	thinking strings.Builder
}

// partText is the text of a thinking part: a string, or the texts of its
// text parts.
func partText(r gjson.Result) string {
	if r.Type == gjson.String {
		return r.Str
	}
	var b strings.Builder
	r.ForEach(func(_, p gjson.Result) bool {
		b.WriteString(p.Get("text").String())
		return true
	})
	return b.String()
}

type chatToolCall struct {
	index int
	id    string
	name  string
	args  strings.Builder
}

// event takes one stream chunk and whole a whole completion; read parses
// both: the same fields, with choices[].message in a whole completion and
// choices[].delta in a chunk.
//
// Stream chunks are not validated first: gjson never panics on malformed
// input, and a check would double the cost of each chunk. A whole body is.
func (r *chatResult) event(b []byte) {
	if len(b) == 0 || b[0] != '{' { // "[DONE]" and junk
		return
	}
	r.read(b)
}

func (r *chatResult) whole(b []byte) {
	if gjson.ValidBytes(b) {
		r.read(b)
	}
}

func (r *chatResult) read(b []byte) {
	root := llmparse.Parse(b)
	if !root.IsObject() {
		return
	}
	r.seen = true
	root.ForEach(func(k, v gjson.Result) bool {
		if r.field(k.Str, v) {
			return true
		}
		switch k.Str {
		case "choices":
			v.ForEach(func(_, ch gjson.Result) bool {
				r.choice(ch)
				return true
			})
		case "error":
			f := gjson.GetMany(v.Raw, "message", "type", "code")
			r.errMsg, r.errType = f[0].String(), f[1].String()
			if v.Type == gjson.String {
				r.errMsg = v.Str
			}
			if r.errType == "" && f[2].Type == gjson.String {
				r.errType = f[2].Str
			}
			if r.errMsg == "" && r.errType == "" {
				r.errMsg = "error in stream"
			}
		}
		return true
	})
}

func (r *chatResult) choice(ch gjson.Result) {
	if !ch.IsObject() {
		return
	}
	var msg gjson.Result
	idx := -1
	var finish string
	ch.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "index":
			idx = int(v.Int())
		case "message", "delta":
			msg = v
		case "finish_reason":
			finish = v.String()
		}
		return true
	})
	if idx < 0 {
		idx = len(r.choices)
	}
	c := byIndex(&r.choices, idx, func(i int) *chatChoice { return &chatChoice{index: i} })
	if finish != "" {
		c.finish = finish
	}
	if !msg.IsObject() {
		return
	}
	msg.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "role":
			if s := v.String(); s != "" {
				c.role = s
			}
		case "content":
			switch {
			case v.Type == gjson.String:
				c.content.WriteString(v.Str)
			case v.IsArray():
				// Some compatible servers (Mistral) answer with content parts.
				v.ForEach(func(_, p gjson.Result) bool {
					f := gjson.GetMany(p.Raw, "type", "text", "thinking")
					switch f[0].Str {
					case "text":
						c.content.WriteString(f[1].String())
					case "thinking":
						c.thinking.WriteString(partText(f[2]))
					}
					return true
				})
			}
		case "reasoning_content", "reasoning":
			// The reasoning text of DeepSeek, vLLM, Groq and OpenRouter.
			if v.Type == gjson.String {
				c.thinking.WriteString(v.Str)
			}
		case "refusal":
			if v.Type == gjson.String {
				c.refusal.WriteString(v.Str)
			}
		case "function_call":
			f := gjson.GetMany(v.Raw, "name", "arguments")
			if s := f[0].String(); s != "" {
				c.fnName = s
			}
			c.fnArgs.WriteString(f[1].String())
		case "tool_calls":
			n := 0
			v.ForEach(func(_, tc gjson.Result) bool {
				f := gjson.GetMany(tc.Raw, "index", "id", "function.name", "function.arguments")
				ti := n // a whole message's calls have no index
				if f[0].Exists() {
					ti = int(f[0].Int())
				}
				t := byIndex(&c.calls, ti, func(i int) *chatToolCall { return &chatToolCall{index: i} })
				if s := f[1].String(); s != "" {
					t.id = s
				}
				if s := f[2].String(); s != "" {
					t.name = s
				}
				t.args.WriteString(f[3].String())
				n++
				return true
			})
		case "audio":
			f := gjson.GetMany(v.Raw, "data", "transcript")
			c.audio += f[0].String()
			c.transc.WriteString(f[1].String())
		}
		return true
	})
}

func (c *chatChoice) at() int   { return c.index }
func (t *chatToolCall) at() int { return t.index }

// attrs returns the output attributes of the completion.
func (r *chatResult) attrs() llmparse.Attrs {
	if !r.seen {
		return nil
	}
	attrs := make(llmparse.Attrs, 0, 16)
	r.head(&attrs)
	var finish []string
	for _, c := range r.choices {
		if c.finish != "" {
			finish = append(finish, c.finish)
		}
		c.attrs(&attrs)
	}
	if len(finish) > 0 {
		attrs.Add(semconv.GenAIResponseFinishReasons.StringSlice(finish))
	}
	if len(r.choices) > 0 {
		if out := r.choices[0].outputValue(); out != "" {
			attrs.Str(semconv.OutputValue, out)
			attrs.Str(semconv.OutputMimeType, string(semconv.MimeTypeText))
		}
	}
	usageAttrs(&attrs, r.usage, chatUsage)
	return attrs
}

func (c *chatChoice) attrs(attrs *llmparse.Attrs) {
	key := messageKeys(true, c.index)
	role := c.role
	if role == "" {
		role = "assistant"
	}
	attrs.Str(key.msg(kRole), role)
	content := c.content.String()
	if content == "" {
		// A refusal is the model's answer: keep it where the answer goes.
		content = c.refusal.String()
	}
	attrs.Str(key.msg(kContent), content)
	if c.audio != "" || c.transc.Len() > 0 {
		// Python's key for an audio answer: "message.content.0.…", not
		// the "contents" list input parts use.
		attrs.Str(key.audio(kType), "audio")
		attrs.Str(key.audio(kAudio), c.audio)
		attrs.Str(key.audio(kTranscript), c.transc.String())
	}
	if c.thinking.Len() > 0 {
		// As fianthropic records Claude's thinking blocks.
		attrs.Str(key.part(0, kType), "thinking")
		attrs.Str(key.part(0, kText), c.thinking.String())
	}
	attrs.Str(key.msg(kFnName), c.fnName)
	attrs.Str(key.msg(kFnArgs), c.fnArgs.String())
	for k, t := range c.calls {
		toolCallAttrs(attrs, key, k, t.id, t.name, t.args.String())
	}
}

// outputValue is the reference's output.value of a choice: its function
// calls as "Function: name(arguments)" lines joined by " \n ", else its
// text (else, our addition, its refusal or transcript).
func (c *chatChoice) outputValue() string {
	if len(c.calls) > 0 || c.fnName != "" {
		var lines []string
		for _, t := range c.calls {
			lines = append(lines, "Function: "+t.name+"("+t.args.String()+")")
		}
		if c.fnName != "" && len(c.calls) == 0 {
			lines = append(lines, "Function: "+c.fnName+"("+c.fnArgs.String()+")")
		}
		return strings.Join(lines, " \n ")
	}
	if c.content.Len() > 0 {
		return c.content.String()
	}
	if c.refusal.Len() > 0 {
		return c.refusal.String()
	}
	return c.transc.String()
}

// Flattened keys of the first messages, content parts and tool calls,
// built once on first use: most calls stay within them and then build no
// key strings (a per-call allocation each otherwise).
const (
	cachedInMsgs  = 32
	cachedOutMsgs = 4
	cachedParts   = 4
	cachedCalls   = 4
)

// Fields of a message, of a content part, of a tool call.
const (
	kRole = iota
	kContent
	kName
	kToolCallID
	kFnName
	kFnArgs
	kMsgFields
)

const (
	kType = iota
	kText
	kImage
	kAudio
	kTranscript
	kPartFields
)

const (
	kCallID = iota
	kCallName
	kCallArgs
	kCallFields
)

var (
	msgSubs  = [kMsgFields]attribute.Key{semconv.MessageRole, semconv.MessageContent, semconv.MessageName, semconv.MessageToolCallID, semconv.MessageFunctionCallName, semconv.MessageFunctionCallArgumentsJSON}
	partSubs = [kPartFields]attribute.Key{semconv.MessageContentType, semconv.MessageContentText, semconv.MessageContentImage, semconv.MessageContentAudio, semconv.MessageAudioTranscript}
	callSubs = [kCallFields]attribute.Key{semconv.ToolCallID, semconv.ToolCallFunctionName, semconv.ToolCallFunctionArgumentsJSON}
)

type keyTable struct {
	msg  [kMsgFields]attribute.Key
	part [cachedParts][kPartFields]attribute.Key
	// audio is part 0 under "message.content", an audio answer's keys.
	audio [kPartFields]attribute.Key
	call  [cachedCalls][kCallFields]attribute.Key
}

var (
	keysOnce sync.Once
	inKeys   *[cachedInMsgs]keyTable
	outKeys  *[cachedOutMsgs]keyTable
)

func buildKeys() {
	in, out := new([cachedInMsgs]keyTable), new([cachedOutMsgs]keyTable)
	for i := range in {
		in[i] = msgKeys{i: i}.table()
	}
	for i := range out {
		out[i] = msgKeys{i: i, out: true}.table()
	}
	inKeys, outKeys = in, out
}

// msgKeys names the fields of input or output message i.
type msgKeys struct {
	t   *keyTable // nil when i is past the cached messages
	i   int
	out bool
}

func messageKeys(out bool, i int) msgKeys {
	keysOnce.Do(buildKeys)
	k := msgKeys{i: i, out: out}
	switch {
	case i < 0:
	case out && i < cachedOutMsgs:
		k.t = &outKeys[i]
	case !out && i < cachedInMsgs:
		k.t = &inKeys[i]
	}
	return k
}

func (k msgKeys) table() keyTable {
	var t keyTable
	for f := range t.msg {
		t.msg[f] = k.key(msgSubs[f])
	}
	for j := range t.part {
		for f := range t.part[j] {
			t.part[j][f] = k.key(semconv.MessageContentKey(j, partSubs[f]))
		}
	}
	for f := range t.audio {
		t.audio[f] = k.key(semconv.MessageContentPartKey(0, partSubs[f]))
	}
	for j := range t.call {
		for f := range t.call[j] {
			t.call[j][f] = k.key(semconv.MessageToolCallKey(j, callSubs[f]))
		}
	}
	return t
}

func (k msgKeys) key(sub attribute.Key) attribute.Key {
	if k.out {
		return semconv.OutputMessageKey(k.i, sub)
	}
	return semconv.InputMessageKey(k.i, sub)
}

func (k msgKeys) msg(f int) attribute.Key {
	if k.t != nil {
		return k.t.msg[f]
	}
	return k.key(msgSubs[f])
}

func (k msgKeys) part(j, f int) attribute.Key {
	if k.t != nil && j < cachedParts {
		return k.t.part[j][f]
	}
	return k.key(semconv.MessageContentKey(j, partSubs[f]))
}

func (k msgKeys) audio(f int) attribute.Key {
	if k.t != nil {
		return k.t.audio[f]
	}
	return k.key(semconv.MessageContentPartKey(0, partSubs[f]))
}

func (k msgKeys) call(j, f int) attribute.Key {
	if k.t != nil && j < cachedCalls {
		return k.t.call[j][f]
	}
	return k.key(semconv.MessageToolCallKey(j, callSubs[f]))
}
