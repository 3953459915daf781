package fiopenai

import (
	"net/http"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/attribute"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/fi/semconv"
	"github.com/traceai-go/traceai/internal/llmparse"
)

// ScopeName is the instrumentation scope of the spans.
const ScopeName = "github.com/traceai-go/traceai/instrumentation/fiopenai"

// Middleware returns a middleware that traces each OpenAI API request it
// sends. Its type is the one openai-go's option.Middleware aliases (in v1,
// v2 and v3), so it plugs in with option.WithMiddleware(Middleware()).
//
// openai-go calls its middleware once per attempt, so a retried call makes
// one span per attempt; the retries carry gen_ai.request.retry_attempt (1, 2, ...),
// read from the X-Stainless-Retry-Count header the SDK sends.
func Middleware(opts ...Option) func(*http.Request, func(*http.Request) (*http.Response, error)) (*http.Response, error) {
	return newWire(opts).Do
}

// NewTransport returns an http.RoundTripper that traces the OpenAI API
// requests sent through base (http.DefaultTransport when nil), for
// clients that accept an *http.Client, such as go-openai's HTTPClient.
func NewTransport(base http.RoundTripper, opts ...Option) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{base: base, wire: newWire(opts)}
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
	tracer := fi.NewTracer(topts...)
	return llmparse.NewWire(adapter{}, tracer)
}

// endpoint is one traced API operation: the path suffix that names it and
// the parser of its requests.
type endpoint struct {
	suffix string
	name   string // the span name, the reference's response type name
	kind   semconv.SpanKind
	start  func(req *http.Request, body []byte) (llmparse.Call, bool)
}

// endpoints are tried in order; "/chat/completions" comes before
// "/completions", which it ends with.
var endpoints = []endpoint{
	llmEndpoint("/chat/completions", "ChatCompletion", parseChatRequest, func() result { return &chatResult{} }),
	llmEndpoint("/completions", "Completion", parseCompletionRequest, func() result { return &completionResult{} }),
	{"/embeddings", "CreateEmbeddingResponse", semconv.SpanKindEmbedding, startEmbeddings},
	llmEndpoint("/responses", "Response", parseResponsesRequest, func() result { return &respResult{} }),
}

// llmEndpoint is an endpoint of LLM spans named name: parse reads its
// requests (their start attributes and whether they ask for a stream; a
// body it refuses passes through untraced), a result from newResult its
// responses.
func llmEndpoint(suffix, name string, parse func(body []byte) (attrs llmparse.Attrs, stream, ok bool), newResult func() result) endpoint {
	return endpoint{suffix, name, semconv.SpanKindLLM, func(req *http.Request, body []byte) (llmparse.Call, bool) {
		attrs, stream, ok := parse(body)
		if !ok {
			return nil, false
		}
		return &llmCall{exchange: exchange{stream: stream, provider: provider(req)}, name: name, attrs: attrs, acc: newResult()}, true
	}}
}

func lookup(path string) *endpoint {
	path = strings.TrimSuffix(path, "/")
	for i := range endpoints {
		if strings.HasSuffix(path, endpoints[i].suffix) {
			return &endpoints[i]
		}
	}
	return nil
}

type adapter struct{}

func (adapter) Match(req *http.Request) bool {
	return req.Method == http.MethodPost && lookup(req.URL.Path) != nil
}

// SpanName names the span of a matching request before its body is read,
// so that unsampled requests are not parsed.
func (adapter) SpanName(req *http.Request) (string, semconv.SpanKind) {
	if ep := lookup(req.URL.Path); ep != nil {
		return ep.name, ep.kind
	}
	return "OpenAI", semconv.SpanKindLLM
}

func (a adapter) Start(req *http.Request, body []byte) (llmparse.Call, bool) {
	ep := lookup(req.URL.Path)
	if ep == nil {
		return nil, false
	}
	call, ok := ep.start(req, body)
	if !ok {
		return nil, false
	}
	common := []attribute.KeyValue{semconv.GenAIProviderName.String(provider(req))}
	// openai-go numbers its retries in this header; the first attempt sends 0.
	if n, err := strconv.Atoi(req.Header.Get("X-Stainless-Retry-Count")); err == nil && n > 0 {
		common = append(common, semconv.LLMRetryAttempt.Int64(int64(n)))
	}
	return withCommon{Call: call, common: common}, true
}

// provider names the service from the request's host. The Python reference
// means to do the same (api.openai.com -> openai, *.openai.azure.com ->
// azure) but overwrites the result with "openai"; we keep the detection so
// Azure spans say azure. Every other host (OpenAI-compatible servers
// included) is "openai": the protocol's owner.
func provider(req *http.Request) string {
	host := strings.ToLower(req.URL.Hostname())
	switch {
	case strings.HasSuffix(host, ".openai.azure.com"), strings.HasSuffix(host, ".cognitiveservices.azure.com"):
		return string(semconv.ProviderAzure)
	default:
		return string(semconv.ProviderOpenAI)
	}
}

// withCommon adds the attributes every endpoint shares to a Call's start
// attributes.
type withCommon struct {
	llmparse.Call
	common []attribute.KeyValue
}

func (w withCommon) Span() (string, semconv.SpanKind, []attribute.KeyValue) {
	name, kind, attrs := w.Call.Span()
	// Appended to the call's slice, which has room to spare, not copied.
	return name, kind, append(attrs, w.common...)
}
