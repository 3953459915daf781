package fibedrock

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
	"go.opentelemetry.io/otel/attribute"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/fi/semconv"
	"github.com/traceai-go/traceai/internal/eventstream"
	"github.com/traceai-go/traceai/internal/llmparse"
)

// ScopeName is the instrumentation scope of the spans.
const ScopeName = "github.com/traceai-go/traceai/instrumentation/fibedrock"

// NewTransport returns an http.RoundTripper that traces the Bedrock
// runtime calls sent through base (http.DefaultTransport when nil): use it
// as the Transport of bedrockruntime.Options.HTTPClient. Other requests
// pass through untouched.
func NewTransport(base http.RoundTripper, opts ...Option) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	c := newConfig(opts)
	tracer := fi.NewTracer(fi.WithTracerProvider(c.tp), fi.WithInstrumentationName(ScopeName), fi.WithTraceConfig(c.cfg))
	return &transport{base: base, wire: llmparse.NewWire(adapter{}, tracer)}
}

type transport struct {
	base http.RoundTripper
	wire *llmparse.Wire
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	return t.wire.Do(req, t.base.RoundTrip)
}

// op is one of the four runtime operations.
type op int

const (
	opConverse op = iota
	opConverseStream
	opInvoke
	opInvokeStream
)

var ops = []struct {
	suffix string
	name   string
}{
	opConverse:       {"/converse", "bedrock.converse"},
	opConverseStream: {"/converse-stream", "bedrock.converse_stream"},
	opInvoke:         {"/invoke", "bedrock.invoke_model"},
	opInvokeStream:   {"/invoke-with-response-stream", "bedrock.invoke_model_with_response_stream"},
}

// parsePath finds the operation and the model id, URL-decoded, in a path
// /model/{modelId}/{operation}. The id is taken from the escaped path, so
// that an ARN's slashes (sent as %2F) stay inside it.
func parsePath(u *url.URL) (o op, model string, ok bool) {
	p := u.EscapedPath()
	i := strings.Index(p, "/model/")
	if i < 0 {
		return 0, "", false
	}
	rest := p[i+len("/model/"):]
	j := strings.LastIndexByte(rest, '/')
	if j <= 0 {
		return 0, "", false
	}
	for k, d := range ops {
		if rest[j:] == d.suffix {
			id, err := url.PathUnescape(rest[:j])
			if err != nil {
				return 0, "", false
			}
			return op(k), id, true
		}
	}
	return 0, "", false
}

type adapter struct{}

func (adapter) Match(req *http.Request) bool {
	if req.Method != http.MethodPost {
		return false
	}
	_, _, ok := parsePath(req.URL)
	return ok
}

func (adapter) SpanName(req *http.Request) (string, semconv.SpanKind) {
	o, _, _ := parsePath(req.URL)
	return ops[o].name, semconv.SpanKindLLM
}

func (adapter) Start(req *http.Request, body []byte) (llmparse.Call, bool) {
	o, model, ok := parsePath(req.URL)
	if !ok {
		return nil, false
	}
	// Room for the request's attributes and the response's, which the
	// Wire appends to them: about one per 100 bytes of a typical body.
	c := &call{op: o, model: model, attrs: make(llmparse.Attrs, 0, min(32+len(body)/100, 256))}
	c.attrs.Add(semconv.GenAIProviderName.String(string(semconv.ProviderAws)))
	c.attrs.Str(semconv.GenAIRequestModel, model)
	if s := vendorSystem(model); s != "" {
		c.attrs.Add(semconv.GenAISystem.String(s))
	}
	// The SDK numbers its attempts in this header: "attempt=2; max=3".
	if a := req.Header.Get("Amz-Sdk-Request"); a != "" {
		if n := attempt(a); n > 1 {
			c.attrs.Int(semconv.LLMRetryAttempt, int64(n-1))
		}
	}
	if g := req.Header.Get("X-Amzn-Bedrock-Guardrailidentifier"); g != "" {
		c.attrs.Str(semconv.GenAIGuardrailName, g)
	}
	if gjson.ValidBytes(body) {
		root := llmparse.Parse(body)
		if root.IsObject() {
			if o == opConverse || o == opConverseStream {
				c.converseRequest(body, root)
			} else {
				c.invokeRequest(body, root)
			}
		}
	}
	if !c.opSet {
		c.attrs.Add(semconv.GenAIOperationName.String("chat"))
	}
	return c, true
}

// attempt reads the attempt number of an amz-sdk-request header.
func attempt(h string) int {
	for _, f := range strings.Split(h, ";") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(f), "attempt="); ok {
			n, _ := strconv.Atoi(v)
			return n
		}
	}
	return 0
}

// vendorSystem is gen_ai.system for a model id such as
// "us.anthropic.claude-sonnet-4-20250514-v1:0", or "" when the id (an
// application inference profile's ARN, say) does not tell.
func vendorSystem(model string) string {
	if i := strings.LastIndexByte(model, '/'); i >= 0 {
		model = model[i+1:]
	}
	parts := strings.SplitN(model, ".", 3)
	for _, p := range parts[:len(parts)-1] {
		switch p {
		case "anthropic":
			return string(semconv.SystemAnthropic)
		case "cohere":
			return string(semconv.SystemCohere)
		case "mistral":
			return string(semconv.SystemMistralAI)
		case "meta", "amazon", "ai21", "deepseek", "writer", "qwen", "openai":
			return p
		}
	}
	return ""
}

// call is one traced runtime call.
type call struct {
	op    op
	model string
	attrs llmparse.Attrs
	opSet bool

	status  int
	errType string
	stream  bool
	body    []byte
	header  http.Header
	out     output
	excType string
	excMsg  string
}

func (c *call) Span() (string, semconv.SpanKind, []attribute.KeyValue) {
	return ops[c.op].name, semconv.SpanKindLLM, c.attrs
}

func (c *call) Response(res *http.Response) llmparse.Framing {
	c.status = res.StatusCode
	c.header = res.Header
	if res.StatusCode >= 400 {
		c.errType, _, _ = strings.Cut(res.Header.Get("X-Amzn-Errortype"), ":")
		return llmparse.FramingJSON
	}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/vnd.amazon.eventstream") {
		c.stream = true
		return llmparse.FramingEventStream
	}
	return llmparse.FramingJSON
}

func (c *call) Body(b []byte) { c.body = b }
func (c *call) Event([]byte)  {}

// Message takes one event-stream message: an event of ConverseStream, a
// chunk of InvokeModelWithResponseStream, or an exception.
func (c *call) Message(m *eventstream.Message) {
	switch m.Get(":message-type") {
	case "exception":
		c.excType = exceptionName(m.Get(":exception-type"))
		c.excMsg = gjson.GetBytes(m.Payload, "message").String()
		return
	case "error":
		c.excType, c.excMsg = m.Get(":error-code"), m.Get(":error-message")
		return
	}
	if !gjson.ValidBytes(m.Payload) {
		return
	}
	ev := llmparse.Parse(m.Payload)
	switch c.op {
	case opConverseStream:
		c.out.converseEvent(m.Get(":event-type"), ev)
	case opInvokeStream:
		if m.Get(":event-type") == "chunk" {
			if b, ok := chunkBytes(ev); ok {
				c.out.invokeChunk(b)
			}
		}
	}
}

func (c *call) End() ([]attribute.KeyValue, error) {
	if c.status >= 400 {
		r := gjson.GetManyBytes(c.body, "message", "Message", "__type")
		msg := r[0].String()
		if msg == "" {
			msg = r[1].String()
		}
		typ := c.errType
		if typ == "" {
			typ = r[2].String()
			if i := strings.LastIndexByte(typ, '#'); i >= 0 {
				typ = typ[i+1:]
			}
		}
		if msg == "" {
			msg = http.StatusText(c.status)
		}
		return nil, &awsError{code: typ, message: msg, status: c.status}
	}
	if !c.stream {
		if !gjson.ValidBytes(c.body) {
			return nil, nil
		}
		root := llmparse.Parse(c.body)
		if c.op == opConverse {
			c.out.converseResponse(root)
		} else {
			c.out.invokeBody(c.body)
		}
	}
	c.out.headerUsage(c.header)
	attrs := c.out.attrs(c.model)
	if !c.stream && !c.out.hasText() && isObject(c.body) {
		// No text (a tool call only): the whole response, as the reference records it.
		attrs.Str(semconv.OutputValue, llmparse.Format(c.body))
		attrs.Str(semconv.OutputMimeType, string(semconv.MimeTypeJSON))
	}
	if c.excType != "" || c.excMsg != "" {
		return attrs, &awsError{code: c.excType, message: c.excMsg}
	}
	return attrs, nil
}

func isObject(b []byte) bool {
	return len(b) > 0 && gjson.ValidBytes(b) && llmparse.Parse(b).IsObject()
}

// exceptionName turns the stream's ":exception-type" (throttlingException)
// into the name the HTTP API uses for it (ThrottlingException).
func exceptionName(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// awsError is an error Bedrock reported: its code (ThrottlingException)
// names the exception in the span.
type awsError struct {
	code    string
	message string
	status  int
}

func (e *awsError) ErrorType() string {
	if e.code == "" {
		return "bedrock.APIError"
	}
	return e.code
}

func (e *awsError) Error() string {
	if e.message == "" {
		return e.ErrorType()
	}
	return e.message
}
