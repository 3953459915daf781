package fiollama

import (
	"net/http"
	"strings"

	"go.opentelemetry.io/otel/attribute"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/fi/semconv"
	"github.com/traceai-go/traceai/internal/llmparse"
)

// ScopeName is the instrumentation scope of the spans.
const ScopeName = "github.com/traceai-go/traceai/instrumentation/fiollama"

// NewTransport returns an http.RoundTripper that traces the Ollama API
// requests (/api/chat, /api/generate, /api/embed) sent through base
// (http.DefaultTransport when nil). Give it to api.NewClient in an
// *http.Client. Other requests pass through untouched.
func NewTransport(base http.RoundTripper, opts ...Option) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{base: base, wire: newWire(opts)}
}

// Middleware returns the same tracing as NewTransport in the middleware
// shape (request, next) used by SDKs that accept one.
func Middleware(opts ...Option) func(*http.Request, func(*http.Request) (*http.Response, error)) (*http.Response, error) {
	return newWire(opts).Do
}

type transport struct {
	base http.RoundTripper
	wire *llmparse.Wire
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	return t.wire.Do(req, t.base.RoundTrip)
}

func newWire(opts []Option) *llmparse.Wire {
	c := newConfig(opts)
	topts := []fi.TracerOption{fi.WithTracerProvider(c.tp), fi.WithInstrumentationName(ScopeName)}
	if c.cfgSet {
		topts = append(topts, fi.WithTraceConfig(c.cfg))
	}
	return llmparse.NewWire(adapter{}, fi.NewTracer(topts...))
}

type adapter struct{}

func endpoint(req *http.Request) string {
	if req.Method != http.MethodPost {
		return ""
	}
	for _, p := range []string{pathChat, pathGenerate, pathEmbed} {
		if strings.HasSuffix(req.URL.Path, p) {
			return p
		}
	}
	return ""
}

func (adapter) Match(req *http.Request) bool { return endpoint(req) != "" }

func (adapter) Start(req *http.Request, body []byte) (llmparse.Call, bool) {
	path := endpoint(req)
	attrs, _ := parseRequest(path, body)
	return &call{path: path, attrs: attrs}, true
}

type call struct {
	path   string
	attrs  llmparse.Attrs
	status int
	lines  bool
	body   []byte
	answer answer
}

func (c *call) Span() (string, semconv.SpanKind, []attribute.KeyValue) {
	switch c.path {
	case pathGenerate:
		return spanGenerate, semconv.SpanKindLLM, c.attrs
	case pathEmbed:
		return spanEmbed, semconv.SpanKindEmbedding, c.attrs
	}
	return spanChat, semconv.SpanKindLLM, c.attrs
}

func (c *call) Response(res *http.Response) llmparse.Framing {
	c.status = res.StatusCode
	if res.StatusCode < 400 && c.path != pathEmbed && strings.HasPrefix(res.Header.Get("Content-Type"), "application/x-ndjson") {
		c.lines = true
		return llmparse.FramingNDJSON
	}
	return llmparse.FramingJSON
}

func (c *call) Body(b []byte)  { c.body = b }
func (c *call) Event(b []byte) { c.answer.add(b) }

func (c *call) End() ([]attribute.KeyValue, error) {
	if c.status >= 400 {
		msg := parseError(c.body)
		if msg == "" {
			msg = http.StatusText(c.status)
		}
		return nil, &llmparse.APIError{Provider: "ollama", StatusCode: c.status, Message: msg}
	}
	if c.path == pathEmbed {
		return parseEmbedResponse(c.body), nil
	}
	if !c.lines && !c.answer.add(c.body) {
		return nil, nil
	}
	attrs := c.answer.attrs()
	if c.answer.err != "" {
		return attrs, &llmparse.APIError{Provider: "ollama", Message: c.answer.err}
	}
	return attrs, nil
}
