package fibedrock

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/traceai-go/traceai/fi/semconv"
	"github.com/traceai-go/traceai/internal/llmparse"
)

// output is the model's answer, whole or gathered from a stream, in
// whichever family's format it came.
type output struct {
	model      string // the model that answered, when the body names it
	id         string
	role       string
	text       strings.Builder
	thinking   strings.Builder
	tools      []*toolUse
	stopReason string

	usage                 bool
	in, outTok, total     int64
	cacheRead, cacheWrite int64

	guardrail  string // INTERVENED or NONE, when a guardrail ran
	categories []string
}

type toolUse struct {
	index    int // the content block's index in a stream, -1 for whole bodies
	id, name string
	args     strings.Builder
}

// tool returns the tool call of content block index, adding it; index -1
// always adds one.
func (o *output) tool(index int) *toolUse {
	if index >= 0 {
		for _, t := range o.tools {
			if t.index == index {
				return t
			}
		}
	}
	t := &toolUse{index: index}
	o.tools = append(o.tools, t)
	return t
}

func (o *output) hasText() bool { return o.text.Len() > 0 }

// headerUsage takes InvokeModel's token counts from the response headers
// when the body had none.
func (o *output) headerUsage(h http.Header) {
	if o.usage || h == nil {
		return
	}
	in, err1 := strconv.ParseInt(h.Get("X-Amzn-Bedrock-Input-Token-Count"), 10, 64)
	out, err2 := strconv.ParseInt(h.Get("X-Amzn-Bedrock-Output-Token-Count"), 10, 64)
	if err1 == nil && err2 == nil {
		o.usage, o.in, o.outTok = true, in, out
	}
}

// guardrailTrace collects the policies that acted in a guardrail trace:
// the name or type of every assessment entry whose action is not NONE
// (never the text a policy matched, which may be personal data).
func (o *output) guardrailTrace(g gjson.Result) {
	if o.guardrail == "" {
		o.guardrail = "NONE"
	}
	var walk func(v gjson.Result)
	walk = func(v gjson.Result) {
		if v.IsObject() {
			if a := v.Get("action").String(); a != "" && a != "NONE" {
				name := v.Get("name").String() // a denied topic or regex
				if name == "" {
					name = v.Get("type").String() // a content filter, PII entity
				}
				if name != "" && !contains(o.categories, name) {
					o.categories = append(o.categories, name)
				}
			}
		}
		if v.IsObject() || v.IsArray() {
			v.ForEach(func(_, c gjson.Result) bool { walk(c); return true })
		}
	}
	walk(g)
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// attrs returns the output's attributes; model is the request's.
func (o *output) attrs(model string) llmparse.Attrs {
	attrs := make(llmparse.Attrs, 0, 24)
	if o.model != "" {
		model = o.model
	}
	attrs.Str(semconv.GenAIResponseModel, model)
	attrs.Str(semconv.GenAIResponseID, o.id)
	if o.stopReason != "" {
		attrs.Add(semconv.GenAIResponseFinishReasons.StringSlice([]string{o.stopReason}))
		if o.stopReason == "guardrail_intervened" {
			o.guardrail = "INTERVENED"
		}
	}
	if o.guardrail != "" {
		attrs.Str(semconv.GenAIGuardrailResult, o.guardrail)
		if len(o.categories) > 0 {
			attrs.Add(semconv.GenAIGuardrailCategories.StringSlice(o.categories))
		}
		if o.guardrail == "INTERVENED" {
			attrs.Str(semconv.GenAIGuardrailModifiedOutput, o.text.String())
		}
	}
	empty := o.text.Len() == 0 && o.thinking.Len() == 0 && len(o.tools) == 0
	if !empty || o.role != "" {
		role := o.role
		if role == "" {
			role = "assistant"
		}
		key := msgRef{out: true}
		attrs.Str(key.key(semconv.MessageRole), role)
		if o.thinking.Len() > 0 {
			attrs.Str(key.part(0, semconv.MessageContentType), "thinking")
			attrs.Str(key.part(0, semconv.MessageContentText), o.thinking.String())
		}
		for k, t := range o.tools {
			var args gjson.Result
			if s := t.args.String(); gjson.Valid(s) {
				args = gjson.Parse(s)
			} else if s != "" {
				args = gjson.Result{Type: gjson.String, Str: s}
			}
			toolCall(&attrs, key, k, t.id, t.name, args)
		}
		out := o.text.String()
		attrs.Str(key.key(semconv.MessageContent), out)
		if out != "" {
			attrs.Str(semconv.OutputValue, out)
			attrs.Str(semconv.OutputMimeType, string(semconv.MimeTypeText))
		}
	}
	if o.usage {
		total := o.total
		if total == 0 {
			total = o.in + o.outTok
		}
		attrs.Int(semconv.GenAIUsageInputTokens, o.in)
		attrs.Int(semconv.GenAIUsageOutputTokens, o.outTok)
		attrs.Int(semconv.GenAIUsageTotalTokens, total)
		attrs.PosInt(semconv.GenAIUsageInputTokensCacheRead, o.cacheRead)
		attrs.PosInt(semconv.GenAIUsageInputTokensCacheWrite, o.cacheWrite)
	}
	return attrs
}
