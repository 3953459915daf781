package fiopenai

import (
	"net/http"
	"strings"

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
