package fiopenai

import (
	"strings"

	"github.com/tidwall/gjson"

	"github.com/traceai-go/traceai/fi/semconv"
	"github.com/traceai-go/traceai/internal/llmparse"
)

// Responses API (POST .../responses). As for chat, bodies are read with
// gjson and never decoded into values.
//
// Request and response are both lists of items (messages, function calls
// and their outputs, reasoning, built-in tool calls); the reference
// flattens each item into one message, which respItem does for both sides.

// parseResponsesRequest returns the start attributes of a Responses API
// request and whether it asks for a stream.
func parseResponsesRequest(body []byte) (attrs llmparse.Attrs, stream, ok bool) {
	if !gjson.ValidBytes(body) {
		return nil, false, false
	}
	root := gjson.ParseBytes(body)
	if !root.IsObject() {
		return nil, false, false
	}
	var model, input, instructions, tools gjson.Result
	root.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "model":
			model = v
		case "input":
			input = v
		case "instructions":
			instructions = v
		case "tools":
			tools = v
		case "stream":
			stream = v.Type == gjson.True
		}
		return true
	})
	attrs = make(llmparse.Attrs, 0, 24)
	attrs.Add(semconv.GenAIOperationName.String("chat"))
	attrs.Str(semconv.GenAIRequestModel, model.String())
	requestParameters(&attrs, body, "input", "instructions", "tools")
	attrs.ToolDefinitions(tools)
	// Instructions are message 0 and the input starts at 1, whether or not
	// instructions came, as in the reference.
	if instructions.Type == gjson.String {
		key := messageKeys(false, 0)
		attrs.Str(key.msg(kRole), "system")
		attrs.Str(key.msg(kContent), instructions.Str)
	}
	var images []string
	switch {
	case input.Type == gjson.String:
		key := messageKeys(false, 1)
		attrs.Str(key.msg(kRole), "user")
		attrs.Str(key.msg(kContent), input.Str)
	case input.IsArray():
		i := 1
		input.ForEach(func(_, v gjson.Result) bool {
			var it respItem
			if it.fill(v) {
				it.attrs(&attrs, messageKeys(false, i))
				for _, p := range it.parts {
					if p.image != "" {
						images = append(images, p.image)
					}
				}
			}
			i++
			return true
		})
	}
	// The whole request, as for chat: a team decision.
	attrs.RequestInput(body, images)
	return attrs, stream, true
}

// respItem is one input or output item flattened as a message.
type respItem struct {
	typ     string
	role    string
	content string // string content, or a tool output's text
	parts   []respPart
	callID  string
	itemID  string
	name    string
	args    strings.Builder
	action  string // a computer call's action, as JSON text
	summary []string
	result  string // an image generation call's base64 image
	status  string

	// Stream bookkeeping: an item announced by output_item.added is filled
	// in by deltas until output_item.done brings it whole.
	index   int
	done    bool
	partial strings.Builder // output_text deltas of an unfinished message
}

// respPart is a content part: text (input_text, output_text, refusal) or
// an input image.
type respPart struct {
	text    string
	image   string
	outText bool // an output_text part: what output.value joins
}

// fill reads item v; false when v is not an object.
func (it *respItem) fill(v gjson.Result) bool {
	if !v.IsObject() {
		return false
	}
	v.ForEach(func(k, x gjson.Result) bool {
		switch k.Str {
		case "type":
			it.typ = x.String()
		case "role":
			it.role = x.String()
		case "content", "output":
			// content: a message's; output: a tool call output's.
			switch {
			case x.Type == gjson.String:
				it.content = x.Str
			case x.IsArray():
				it.parts = it.parts[:0]
				x.ForEach(func(_, p gjson.Result) bool {
					it.parts = append(it.parts, contentPart(p))
					return true
				})
			}
		case "call_id":
			it.callID = x.String()
		case "id":
			it.itemID = x.String()
		case "name":
			it.name = x.String()
		case "arguments", "input":
			// input: the free-form text of a custom tool call.
			if x.Type == gjson.String {
				it.args.Reset()
				it.args.WriteString(x.Str)
			}
		case "action":
			if x.IsObject() {
				it.action = llmparse.PyJSON([]byte(x.Raw))
			}
		case "summary":
			it.summary = it.summary[:0]
			x.ForEach(func(_, s gjson.Result) bool {
				if t := s.Get("text").String(); t != "" {
					it.summary = append(it.summary, t)
				}
				return true
			})
		case "result":
			it.result = x.String()
		case "status":
			it.status = x.String()
		}
		return true
	})
	if it.typ == "" && it.role != "" {
		it.typ = "message" // an EasyInputMessage: {"role","content"}
	}
	return true
}

func contentPart(p gjson.Result) respPart {
	if !p.IsObject() {
		return respPart{}
	}
	f := gjson.GetMany(p.Raw, "type", "text", "image_url", "refusal")
	switch f[0].Str {
	case "input_text":
		return respPart{text: f[1].String()}
	case "output_text":
		return respPart{text: f[1].String(), outText: true}
	case "refusal":
		return respPart{text: f[3].String()}
	case "input_image":
		return respPart{image: f[2].String()}
	}
	return respPart{}
}

// partAttrs flattens the item's content parts, images and texts.
func (it *respItem) partAttrs(attrs *llmparse.Attrs, key msgKeys) {
	for j, p := range it.parts {
		switch {
		case p.image != "":
			attrs.Str(key.part(j, kType), "image")
			attrs.Str(key.part(j, kImage), p.image)
		case p.text != "":
			attrs.Str(key.part(j, kType), "text")
			attrs.Str(key.part(j, kText), p.text)
		}
	}
}

// attrs flattens the item as message key, as the reference does: items
// of other types leave no keys.
func (it *respItem) attrs(attrs *llmparse.Attrs, key msgKeys) {
	switch it.typ {
	case "message":
		attrs.Str(key.msg(kRole), it.role)
		attrs.Str(key.msg(kContent), it.content)
		it.partAttrs(attrs, key)
	case "reasoning":
		attrs.Str(key.msg(kRole), "assistant")
		for j, s := range it.summary {
			attrs.Str(key.part(j, kType), "text")
			attrs.Str(key.part(j, kText), s)
		}
	case "image_generation_call":
		attrs.Str(key.msg(kRole), "assistant")
		attrs.Str(key.part(0, kType), "image")
		attrs.Str(key.key(semconv.MessageContentKey(0, semconv.MessageContentImage+".status")), it.status)
		attrs.Str(key.part(0, kImage), it.result)
	case "function_call_output", "computer_call_output", "custom_tool_call_output":
		attrs.Str(key.msg(kRole), "tool")
		attrs.Str(key.msg(kToolCallID), it.callID)
		if it.typ != "computer_call_output" {
			attrs.Str(key.msg(kContent), it.content)
			it.partAttrs(attrs, key)
		}
	default:
		if !strings.HasSuffix(it.typ, "_call") {
			return // item_reference and the like
		}
		// function_call, custom_tool_call, mcp_call and the built-in tool
		// calls (web_search_call, file_search_call, computer_call, ...): a
		// tool call named by its function, or else by its item type.
		attrs.Str(key.msg(kRole), "assistant")
		id, name := it.callID, it.name
		if id == "" {
			id = it.itemID
		}
		if name == "" {
			name = it.typ
		}
		args := it.args.String()
		if args == "" {
			args = it.action
		}
		if args == "{}" {
			args = "" // as the reference
		}
		toolCallAttrs(attrs, key, 0, id, name, args)
	}
}

// respResult is a response, whether it arrived whole or was rebuilt from
// stream events.
type respResult struct {
	answer // its streamError: an error event's, or a failed response's
	status string
	items  []*respItem
	raw    string // the whole response object, when one came
}

// maxRespItems bounds the output items kept, against absurd input.
const maxRespItems = 128

func (r *respResult) whole(b []byte) {
	if gjson.ValidBytes(b) {
		r.response(gjson.ParseBytes(b), true)
	}
}

// response reads a Response object; with output, its output list
// replaces the items seen so far (unless it is empty: a stream's final
// response then keeps what the events brought).
func (r *respResult) response(v gjson.Result, output bool) {
	if !v.IsObject() {
		return
	}
	r.seen = true
	if output {
		r.raw = v.Raw
	}
	v.ForEach(func(k, x gjson.Result) bool {
		if r.field(k.Str, x) {
			return true
		}
		switch k.Str {
		case "status":
			if s := x.String(); s != "" {
				r.status = s
			}
		case "error":
			if x.IsObject() {
				f := gjson.GetMany(x.Raw, "message", "code", "type")
				r.errMsg, r.errType = f[0].String(), f[1].String()
				if r.errType == "" {
					r.errType = f[2].String()
				}
			}
		case "output":
			if !output || !x.IsArray() {
				return true
			}
			var items []*respItem
			x.ForEach(func(_, o gjson.Result) bool {
				if len(items) >= maxRespItems {
					return false
				}
				it := &respItem{index: len(items), done: true}
				it.fill(o)
				items = append(items, it)
				return true
			})
			if len(items) > 0 {
				r.items = items
			}
		}
		return true
	})
}

// event takes the data of one stream event. Events are not validated
// first (gjson never panics on malformed input), except the final one,
// whose text becomes output.value.
func (r *respResult) event(b []byte) {
	if len(b) == 0 || b[0] != '{' {
		return
	}
	var typ, resp, item, delta, errObj, code, msg gjson.Result
	idx := -1
	llmparse.Parse(b).ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "type":
			typ = v
		case "response":
			resp = v
		case "item":
			item = v
		case "output_index":
			idx = int(v.Int())
		case "delta":
			delta = v
		case "error":
			errObj = v
		case "code":
			code = v
		case "message":
			msg = v
		}
		return true
	})
	switch typ.Str {
	case "response.created", "response.in_progress", "response.queued":
		r.response(resp, false)
	case "response.completed", "response.failed", "response.incomplete":
		r.response(resp, gjson.ValidBytes(b))
	case "response.output_item.added", "response.output_item.done":
		r.seen = true
		it := r.item(idx)
		if it == nil || it.done {
			return
		}
		it.fill(item)
		it.done = typ.Str == "response.output_item.done"
	case "response.output_text.delta":
		if it := r.item(idx); it != nil && !it.done {
			it.partial.WriteString(delta.String())
		}
	case "response.function_call_arguments.delta":
		if it := r.item(idx); it != nil && !it.done {
			it.args.WriteString(delta.String())
		}
	case "error":
		// Documented as {"type":"error","code","message","param"}; some
		// servers nest them in an error object.
		r.seen = true
		if errObj.IsObject() {
			f := gjson.GetMany(errObj.Raw, "message", "code", "type")
			msg, code = f[0], f[1]
			if code.String() == "" {
				code = f[2]
			}
		}
		r.errType, r.errMsg = code.String(), msg.String()
		if r.errType == "" && r.errMsg == "" {
			r.errMsg = "error in stream"
		}
	}
}

// item returns the stream item at output index idx, creating it.
func (r *respResult) item(idx int) *respItem {
	if idx < 0 {
		return nil
	}
	for _, it := range r.items {
		if it.index == idx {
			return it
		}
	}
	if len(r.items) >= maxRespItems {
		return nil
	}
	it := &respItem{index: idx}
	r.items = append(r.items, it)
	return it
}

// err is the error the response reported: an error event or a failed
// response. Whole and streamed responses follow the same rule. An
// incomplete response (cut short by max_output_tokens or the content
// filter) is not an error, as a chat completion that stops for "length" is
// not: its finish reason says "incomplete".
func (r *respResult) err(provider string) error {
	if err := r.streamError.err(provider); err != nil {
		return err
	}
	if r.status == "failed" {
		return &llmparse.APIError{Provider: provider, Type: "failed", Message: "response failed"}
	}
	return nil
}

// attrs returns the output attributes of the response.
func (r *respResult) attrs() llmparse.Attrs {
	if !r.seen {
		return nil
	}
	attrs := make(llmparse.Attrs, 0, 16)
	r.head(&attrs)
	if r.status != "" && r.status != "in_progress" && r.status != "queued" {
		// Not in the reference: the final status (completed, incomplete,
		// failed, cancelled) stands for the finish reason the Responses
		// API does not have.
		attrs.Add(semconv.GenAIResponseFinishReasons.StringSlice([]string{r.status}))
	}
	var text []string
	for _, it := range r.items {
		if !it.done && it.partial.Len() > 0 {
			it.parts = append(it.parts, respPart{text: it.partial.String(), outText: true})
			it.partial.Reset()
		}
		if it.typ == "message" && it.role == "" {
			it.role = "assistant"
		}
		it.attrs(&attrs, messageKeys(true, it.index))
		for _, p := range it.parts {
			if p.outText && p.text != "" {
				text = append(text, p.text)
			}
		}
	}
	// The reference's stream rule (its whole responses get the Python
	// repr of the object): the texts joined by spaces, else the JSON.
	switch {
	case len(text) > 0:
		attrs.Str(semconv.OutputValue, strings.Join(text, " "))
		attrs.Str(semconv.OutputMimeType, string(semconv.MimeTypeText))
	case r.raw != "":
		attrs.Str(semconv.OutputValue, llmparse.Format([]byte(r.raw)))
		attrs.Str(semconv.OutputMimeType, string(semconv.MimeTypeJSON))
	}
	usageAttrs(&attrs, r.usage, respUsage)
	return attrs
}
