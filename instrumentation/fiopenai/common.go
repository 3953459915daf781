package fiopenai

import (
	"net/http"
	"strings"

	"github.com/tidwall/gjson"
	"go.opentelemetry.io/otel/attribute"

	"github.com/traceai-go/traceai/fi/semconv"
	"github.com/traceai-go/traceai/internal/llmparse"
)

// Helpers every endpoint's request parser shares.

// requestParameters adds gen_ai.request.parameters: the request's fields
// other than those named in exclude (its inputs), as Python-layout JSON in
// document order, as the reference records them.
func requestParameters(attrs *llmparse.Attrs, body []byte, exclude ...string) {
	params, ok := llmparse.Select(body, func(k string) bool {
		for _, e := range exclude {
			if k == e {
				return false
			}
		}
		return true
	})
	if ok && params != "{}" {
		attrs.Str(semconv.GenAIRequestParameters, params)
	}
}

// llmCall is one traced chat, Responses or legacy completions request: an
// LLM span named name, whose response acc reads.
type llmCall struct {
	exchange
	name  string
	attrs llmparse.Attrs
	acc   result
}

// result is the response side of an llmCall: the events of a stream, or a
// whole body, read into attributes and the error the response reported.
type result interface {
	event(b []byte)
	whole(b []byte)
	attrs() llmparse.Attrs
	err(provider string) error
}

func (c *llmCall) Span() (string, semconv.SpanKind, []attribute.KeyValue) {
	return c.name, semconv.SpanKindLLM, c.attrs
}

func (c *llmCall) Event(b []byte) { c.acc.event(b) }

func (c *llmCall) End() ([]attribute.KeyValue, error) {
	if err := c.httpError(); err != nil {
		return nil, err
	}
	if !c.sse {
		c.acc.whole(c.body)
	}
	return c.acc.attrs(), c.acc.err(c.provider)
}

// answer is what every LLM response says of itself, whole or streamed: its
// id, model and usage, and an error it reported.
type answer struct {
	id, model string
	usage     gjson.Result // the usage object, when one came
	seen      bool         // a response, chunk or event was read
	streamError
}

// field keeps id and model (the last non-empty ones) and usage (an
// object), and reports whether k names one of them.
func (a *answer) field(k string, v gjson.Result) bool {
	switch k {
	case "id":
		if s := v.String(); s != "" {
			a.id = s
		}
	case "model":
		if s := v.String(); s != "" {
			a.model = s
		}
	case "usage":
		if v.IsObject() {
			a.usage = v
		}
	default:
		return false
	}
	return true
}

// head adds the response's model, over the request model too (the
// reference overwrites it), and the response id.
func (a *answer) head(attrs *llmparse.Attrs) {
	attrs.Str(semconv.GenAIRequestModel, a.model)
	attrs.Str(semconv.GenAIResponseModel, a.model)
	attrs.Str(semconv.GenAIResponseID, a.id)
}

// maxIndexed bounds the choices and tool calls kept of one response.
const maxIndexed = 128

// byIndex returns the element of *list whose index is idx, appending the
// one mk makes when there is none. Past maxIndexed elements (an absurd n)
// the new element is not kept, so that memory stays bounded.
func byIndex[T interface{ at() int }](list *[]T, idx int, mk func(idx int) T) T {
	for _, e := range *list {
		if e.at() == idx {
			return e
		}
	}
	e := mk(idx)
	if len(*list) < maxIndexed {
		*list = append(*list, e)
	}
	return e
}

// streamError is an error a response reported in its body: an error event
// in a stream, or an error object.
type streamError struct{ errType, errMsg string }

func (e *streamError) err(provider string) error {
	if e.errType == "" && e.errMsg == "" {
		return nil
	}
	return &llmparse.APIError{Provider: provider, Type: e.errType, Message: e.errMsg}
}

// exchange is what every Call keeps of the HTTP exchange: whether the
// request asked for a stream, the response's status and framing, and the
// body of a whole response. Calls embed it for their Response and Body.
type exchange struct {
	stream   bool
	provider string

	status int
	sse    bool
	body   []byte
}

// Response frames an error response as JSON, and a response as SSE when it
// says so or, without a Content-Type, when the request asked for a stream.
func (e *exchange) Response(res *http.Response) llmparse.Framing {
	e.status = res.StatusCode
	if res.StatusCode >= 400 {
		return llmparse.FramingJSON
	}
	ct := res.Header.Get("Content-Type")
	if strings.HasPrefix(ct, "text/event-stream") || (ct == "" && e.stream) {
		e.sse = true
		return llmparse.FramingSSE
	}
	return llmparse.FramingJSON
}

func (e *exchange) Body(b []byte) { e.body = b }

// httpError is the error of an HTTP error response, nil for a success.
func (e *exchange) httpError() error {
	if e.status >= 400 {
		return apiError(e.provider, e.status, e.body)
	}
	return nil
}

// usageKeys names the fields of a usage object: Chat Completions and
// legacy Completions count prompt and completion tokens, the Responses API
// input and output tokens, and records no audio tokens.
type usageKeys struct {
	in, out, inDetails, outDetails string
	audio                          bool
}

var (
	chatUsage = usageKeys{"prompt_tokens", "completion_tokens", "prompt_tokens_details", "completion_tokens_details", true}
	respUsage = usageKeys{"input_tokens", "output_tokens", "input_tokens_details", "output_tokens_details", false}
)

// usageAttrs adds the token counts of usage object u, named as keys says
// (nothing when u is not an object); a missing total is input plus output.
func usageAttrs(attrs *llmparse.Attrs, u gjson.Result, keys usageKeys) {
	if !u.IsObject() {
		return
	}
	// One pass over usage and its details (GetMany would rescan it per path).
	var in, out, total, cached, reasoning, inAudio, outAudio int64
	hasTotal := false
	u.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case keys.in:
			in = v.Int()
		case keys.out:
			out = v.Int()
		case "total_tokens":
			total, hasTotal = v.Int(), true
		case keys.inDetails:
			cached, inAudio = detailTokens(v, "cached_tokens")
		case keys.outDetails:
			reasoning, outAudio = detailTokens(v, "reasoning_tokens")
		}
		return true
	})
	if !hasTotal {
		total = in + out
	}
	attrs.Int(semconv.GenAIUsageInputTokens, in)
	attrs.Int(semconv.GenAIUsageOutputTokens, out)
	attrs.Int(semconv.GenAIUsageTotalTokens, total)
	attrs.PosInt(semconv.GenAIUsageInputTokensCacheRead, cached)
	attrs.PosInt(semconv.GenAIUsageOutputTokensReasoning, reasoning)
	if keys.audio {
		attrs.PosInt(semconv.GenAIUsageInputTokensAudio, inAudio)
		attrs.PosInt(semconv.GenAIUsageOutputTokensAudio, outAudio)
	}
}

// detailTokens reads a usage details object: the count named name, and
// audio_tokens.
func detailTokens(details gjson.Result, name string) (n, audio int64) {
	details.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case name:
			n = v.Int()
		case "audio_tokens":
			audio = v.Int()
		}
		return true
	})
	return n, audio
}
