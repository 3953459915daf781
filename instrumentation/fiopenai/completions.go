package fiopenai

import (
	"strings"

	"github.com/tidwall/gjson"

	"github.com/traceai-go/traceai/fi/semconv"
	"github.com/traceai-go/traceai/internal/llmparse"
)

// Legacy Completions (POST .../completions, not .../chat/completions): an
// LLM span named Completion, whole or streamed.

// parseCompletionRequest returns the start attributes of a legacy
// Completions request and whether it asks for a stream.
func parseCompletionRequest(body []byte) (attrs llmparse.Attrs, stream, ok bool) {
	if !gjson.ValidBytes(body) {
		return nil, false, false
	}
	if !gjson.ParseBytes(body).IsObject() {
		return nil, false, false
	}
	f := gjson.GetManyBytes(body, "model", "prompt", "stream")
	prompt := f[1]
	attrs = make(llmparse.Attrs, 0, 10)
	attrs.Add(semconv.GenAIOperationName.String("text_completion"))
	attrs.Str(semconv.GenAIRequestModel, f[0].String())
	requestParameters(&attrs, body, "prompt")
	// gen_ai.prompts: the text prompts; token-id prompts have none.
	var prompts []string
	switch {
	case prompt.Type == gjson.String:
		prompts = append(prompts, prompt.Str)
		// The reference records a single prompt as its JSON text.
		attrs.Str(semconv.InputValue, llmparse.Format([]byte(prompt.Raw)))
	default:
		prompt.ForEach(func(_, p gjson.Result) bool {
			if p.Type == gjson.String {
				prompts = append(prompts, p.Str)
			}
			return true
		})
		attrs.Str(semconv.InputValue, llmparse.Format(body))
	}
	attrs.Str(semconv.InputMimeType, string(semconv.MimeTypeJSON))
	if len(prompts) > 0 {
		attrs.Add(semconv.GenAIPrompts.StringSlice(prompts))
	}
	return attrs, f[2].Type == gjson.True, true
}

// completionResult is a completion, whole or rebuilt from stream chunks.
type completionResult struct {
	answer
	texts []*completionChoice
}

func (r *completionResult) event(b []byte) {
	if len(b) > 0 && b[0] == '{' { // skips "[DONE]"
		r.read(b)
	}
}

func (r *completionResult) whole(b []byte) {
	if gjson.ValidBytes(b) {
		r.read(b)
	}
}

type completionChoice struct {
	index  int
	text   strings.Builder
	finish string
}

func (r *completionResult) read(b []byte) {
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
				f := gjson.GetMany(ch.Raw, "index", "text", "finish_reason")
				c := byIndex(&r.texts, int(f[0].Int()), func(i int) *completionChoice { return &completionChoice{index: i} })
				c.text.WriteString(f[1].String())
				if s := f[2].String(); s != "" {
					c.finish = s
				}
				return true
			})
		case "error":
			f := gjson.GetMany(v.Raw, "message", "type")
			r.errMsg, r.errType = f[0].String(), f[1].String()
			if v.Type == gjson.String {
				r.errMsg = v.Str
			}
			if r.errMsg == "" {
				r.errMsg = "error in stream"
			}
		}
		return true
	})
}

func (c *completionChoice) at() int { return c.index }

func (r *completionResult) attrs() llmparse.Attrs {
	if !r.seen {
		return nil
	}
	attrs := make(llmparse.Attrs, 0, 10)
	r.head(&attrs)
	var finish []string
	for _, c := range r.texts {
		if c.finish != "" {
			finish = append(finish, c.finish)
		}
	}
	if len(finish) > 0 {
		attrs.Add(semconv.GenAIResponseFinishReasons.StringSlice(finish))
	}
	for _, c := range r.texts {
		if c.index == 0 {
			attrs.Str(semconv.OutputValue, c.text.String())
			attrs.Str(semconv.OutputMimeType, string(semconv.MimeTypeText))
		}
	}
	usageAttrs(&attrs, r.usage, chatUsage)
	return attrs
}
