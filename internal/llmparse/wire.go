package llmparse

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/fi/semconv"
	"github.com/traceai-go/traceai/internal/eventstream"
)

// Framing is how a response body is cut into the units a Call parses.
type Framing int

const (
	// FramingJSON: the whole body is one JSON document, given to Call.Body.
	FramingJSON Framing = iota
	// FramingSSE: server-sent events; the data of each event goes to Call.Event.
	FramingSSE
	// FramingNDJSON: one JSON document per line, each given to Call.Event.
	FramingNDJSON
	// FramingEventStream: AWS event-stream messages, each given to the
	// Call's Message method (see MessageCall).
	FramingEventStream
)

// MessageCall is implemented by Calls whose responses may be
// FramingEventStream: Message takes each decoded message, whose slices the
// Call may keep.
type MessageCall interface {
	Message(m *eventstream.Message)
}

// maxBody bounds how much of a non-streamed body is kept for parsing; the
// application still reads all of it.
const maxBody = 16 << 20

// Adapter is one provider's protocol: it decides which requests are traced
// and parses them.
type Adapter interface {
	// Match reports, from the method and URL alone, whether req may be
	// traced; the Wire reads the body of matching requests only, so that
	// uploads and other requests stream through untouched.
	Match(req *http.Request) bool
	// Start returns the Call of a matching request whose body is body, or
	// false to let the request through untraced.
	Start(req *http.Request, body []byte) (Call, bool)
}

// Namer is implemented by Adapters that know a request's span name and kind
// from its method and URL. The Wire then starts the span before parsing the
// body, and skips the parsing when the span is not sampled.
type Namer interface {
	SpanName(req *http.Request) (name string, kind semconv.SpanKind)
}

// Call is one traced request.
type Call interface {
	// Span returns the span name, the traceAI span kind and the attributes
	// known from the request, in a slice the Wire may modify.
	Span() (name string, kind semconv.SpanKind, attrs []attribute.KeyValue)
	// Response sees the response head and says how its body is framed.
	Response(res *http.Response) Framing
	// Body takes the whole body of a FramingJSON response.
	Body(b []byte)
	// Event takes one SSE event's data or one NDJSON line.
	Event(b []byte)
	// End returns the attributes of the response, in a slice the Wire may
	// modify, and the error it reported, if any (an HTTP error status, an
	// error event).
	End() ([]attribute.KeyValue, error)
}

// Wire runs Adapters over HTTP: it tees the request body, starts the span,
// and follows the response body as the application reads it, never
// buffering it ahead of the application.
type Wire struct {
	adapter Adapter
	tracer  *fi.Tracer
	// Adopt, when set, returns a span that already stands for the call
	// (such as an SDK's own span for it): the call's attributes go on that
	// span, whose owner ends it, instead of on a new span.
	Adopt func(ctx context.Context) trace.Span
}

// NewWire returns a Wire for adapter whose spans come from tracer.
func NewWire(adapter Adapter, tracer *fi.Tracer) *Wire {
	return &Wire{adapter: adapter, tracer: tracer}
}

// Do sends req through next, tracing it when the adapter wants it.
func (w *Wire) Do(req *http.Request, next func(*http.Request) (*http.Response, error)) (*http.Response, error) {
	if req == nil || req.Body == nil || req.Body == http.NoBody || fi.IsTracingSuppressed(req.Context()) || !w.match(req) {
		return next(req)
	}
	body, err := readAll(req.Body, req.ContentLength)
	req.Body.Close()
	if err != nil {
		// What was read goes on; the error surfaces as the transport's would.
		out := req.WithContext(req.Context())
		out.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), errReader{err}))
		out.GetBody = nil
		return next(out)
	}
	call, span := w.start(req, body)
	ctx := req.Context()
	if s, ok := span.(*ours); ok {
		ctx = trace.ContextWithSpan(ctx, s.span)
	}
	// A shallow copy, as WithContext makes: the request's header and URL
	// are shared, never changed.
	out := req.WithContext(ctx)
	out.Body = io.NopCloser(bytes.NewReader(body))
	out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	if span == nil {
		return next(out)
	}
	res, err := next(out)
	if err != nil {
		span.fail(err)
		span.end()
		return res, err
	}
	framing := FramingJSON
	guard(func() { framing = call.Response(res) })
	t := &tracked{ReadCloser: res.Body, call: call, span: span, framing: framing}
	if framing == FramingJSON && res.ContentLength > 0 && res.ContentLength <= maxBody {
		t.buf = make([]byte, 0, res.ContentLength)
	}
	if res.Body == nil || res.Body == http.NoBody {
		t.finish(nil)
		return res, nil
	}
	res.Body = t
	// A body the application never reads to the end still ends the span
	// when the request's context ends.
	t.stop = context.AfterFunc(req.Context(), func() { t.finish(req.Context().Err()) })
	return res, nil
}

// sink is where a call's telemetry goes: a span of ours, or one adopted.
type sink interface {
	set(kvs []attribute.KeyValue)
	event(name string)
	fail(err error)
	end()
}

// ours is a span the Wire started. The request's attributes wait in
// pending and go in with the response's in one SetAttributes at the end:
// each call to the SDK grows the span's attribute slice again.
type ours struct {
	span    *fi.Span
	cfg     *fi.TraceConfig
	pending []attribute.KeyValue
}

func (o *ours) set(kvs []attribute.KeyValue) {
	if len(o.pending) > 0 {
		kvs = append(o.pending, kvs...)
		o.pending = nil
	}
	// kvs is the Wire's own (built for this call, as Call.Span and
	// Call.End promise), so it is masked in place, without fi.Span's copy.
	if kvs = o.cfg.MaskAll(kvs); len(kvs) > 0 {
		o.span.Span.SetAttributes(kvs...)
	}
}
func (o *ours) event(name string) { o.span.AddEvent(name) }
func (o *ours) fail(err error)    { o.span.RecordError(err) }
func (o *ours) end() {
	if len(o.pending) > 0 {
		o.set(nil)
	}
	o.span.End()
}

// adopted fills a span someone else started and ends: attributes only,
// masked like ours; its owner sets its status and ends it.
type adopted struct {
	span trace.Span
	cfg  *fi.TraceConfig
}

func (a adopted) set(kvs []attribute.KeyValue) {
	if kvs = a.cfg.MaskAll(append([]attribute.KeyValue(nil), kvs...)); len(kvs) > 0 {
		a.span.SetAttributes(kvs...)
	}
}
func (a adopted) event(name string) { a.span.AddEvent(name) }
func (a adopted) fail(error)        {}
func (a adopted) end()              {}

func (w *Wire) start(req *http.Request, body []byte) (call Call, span sink) {
	defer func() {
		if r := recover(); r != nil {
			otel.Handle(fmt.Errorf("traceai: instrumentation panic, call not traced: %v", r))
			call, span = nil, nil
		}
	}()
	if n, ok := w.adapter.(Namer); ok && w.Adopt == nil {
		return w.startNamed(n, req, body)
	}
	call, ok := w.adapter.Start(req, body)
	if !ok {
		return nil, nil
	}
	name, kind, attrs := call.Span()
	attrs = MaskImages(w.tracer.TraceConfig(), attrs)
	if w.Adopt != nil {
		if s := w.Adopt(req.Context()); s != nil && s.IsRecording() {
			a := adopted{span: s, cfg: w.tracer.TraceConfig()}
			a.set(append(attrs, kind.Attribute()))
			a.set(fi.ContextAttributes(req.Context()))
			return call, a
		}
	}
	_, s := w.tracer.Start(req.Context(), name, kind, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	if !s.IsRecording() {
		return nil, nil
	}
	return call, &ours{span: s, cfg: w.tracer.TraceConfig()}
}

// startNamed starts the span first and parses the request only when the
// span records. A body the adapter cannot parse still gets its span, with
// the name, kind and context attributes only.
func (w *Wire) startNamed(n Namer, req *http.Request, body []byte) (Call, sink) {
	name, kind := n.SpanName(req)
	_, s := w.tracer.Start(req.Context(), name, kind, trace.WithSpanKind(trace.SpanKindClient))
	if !s.IsRecording() {
		return nil, nil
	}
	o := &ours{span: s, cfg: w.tracer.TraceConfig()}
	var call Call
	ok := false
	guard(func() {
		if call, ok = w.adapter.Start(req, body); ok {
			_, _, attrs := call.Span()
			o.pending = MaskImages(o.cfg, attrs)
		}
	})
	if !ok {
		return &opaque{}, o
	}
	return call, o
}

// opaque is the Call of a request whose body could not be parsed: of the
// response, only an HTTP error status is recorded.
type opaque struct{ status int }

func (*opaque) Span() (string, semconv.SpanKind, []attribute.KeyValue) { return "", "", nil }
func (o *opaque) Response(res *http.Response) Framing {
	o.status = res.StatusCode
	return FramingJSON
}
func (*opaque) Body([]byte)  {}
func (*opaque) Event([]byte) {}
func (o *opaque) End() ([]attribute.KeyValue, error) {
	if o.status >= 400 {
		return nil, &APIError{Provider: "http", StatusCode: o.status, Message: http.StatusText(o.status)}
	}
	return nil, nil
}

func (w *Wire) match(req *http.Request) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			otel.Handle(fmt.Errorf("traceai: instrumentation panic, call not traced: %v", r))
			ok = false
		}
	}()
	return w.adapter.Match(req)
}

func guard(f func()) {
	defer func() {
		if r := recover(); r != nil {
			otel.Handle(fmt.Errorf("traceai: instrumentation panic: %v", r))
		}
	}()
	f()
}

// readAll reads r to its end in one allocation when size (a
// Content-Length, -1 when unknown) is right.
func readAll(r io.Reader, size int64) ([]byte, error) {
	if size <= 0 || size > maxBody {
		return io.ReadAll(r)
	}
	var b bytes.Buffer
	b.Grow(int(size) + bytes.MinRead) // ReadFrom grows unless MinRead bytes are free
	_, err := b.ReadFrom(r)
	return b.Bytes(), err
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// tracked is a response body that feeds what the application reads to the
// Call and ends the span with the body.
type tracked struct {
	io.ReadCloser
	call    Call
	span    sink
	framing Framing
	stop    func() bool

	mu        sync.Mutex
	buf       []byte // JSON body so far, or the unfinished line of a stream
	data      []byte // data lines of the SSE event being read
	es        eventstream.Decoder
	onMessage func(*eventstream.Message)
	first     bool
	done      bool
	eof       bool // the body was read to its end
}

func (t *tracked) Read(p []byte) (int, error) {
	n, err := t.ReadCloser.Read(p)
	if n > 0 {
		t.feed(p[:n])
	}
	switch {
	case err == io.EOF:
		t.mu.Lock()
		t.eof = true
		t.mu.Unlock()
		t.finish(nil)
	case err != nil:
		t.finish(err)
	}
	return n, err
}

func (t *tracked) Close() error {
	t.finish(nil)
	return t.ReadCloser.Close()
}

func (t *tracked) feed(b []byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done {
		return
	}
	if t.framing == FramingJSON {
		if len(t.buf)+len(b) <= maxBody {
			t.buf = append(t.buf, b...)
		}
		return
	}
	if t.framing == FramingEventStream {
		if t.onMessage == nil {
			t.onMessage = t.message // one method value, not one per read
		}
		t.es.Feed(b, t.onMessage)
		return
	}
	if !t.first {
		t.first = true
		t.span.event(semconv.FirstTokenStreamEvent)
	}
	t.buf = append(t.buf, b...)
	for {
		i := bytes.IndexByte(t.buf, '\n')
		if i < 0 {
			break
		}
		line := bytes.TrimSuffix(t.buf[:i], []byte("\r"))
		t.line(line)
		t.buf = t.buf[i+1:]
	}
	if len(t.buf) > maxBody {
		t.buf = t.buf[:0] // a line this long is not one we can use
	}
	if len(t.buf) == 0 {
		t.buf = nil
	}
}

// message takes one event-stream message; the first event (not an
// exception or error) is the first token.
func (t *tracked) message(m *eventstream.Message) {
	if mt := m.Get(":message-type"); !t.first && mt != "exception" && mt != "error" {
		t.first = true
		t.span.event(semconv.FirstTokenStreamEvent)
	}
	if mc, ok := t.call.(MessageCall); ok {
		guard(func() { mc.Message(m) })
	}
}

// line takes one line of a stream, without its end of line.
func (t *tracked) line(l []byte) {
	if t.framing == FramingNDJSON {
		if len(bytes.TrimSpace(l)) > 0 {
			guard(func() { t.call.Event(l) })
		}
		return
	}
	switch {
	case len(l) == 0:
		t.dispatch()
	case bytes.HasPrefix(l, []byte("data:")):
		d := bytes.TrimPrefix(l[5:], []byte(" "))
		if t.data == nil {
			t.data = make([]byte, 0, len(d))
		} else {
			t.data = append(t.data, '\n')
		}
		t.data = append(t.data, d...)
	}
}

func (t *tracked) dispatch() {
	if t.data == nil {
		return
	}
	d := t.data
	t.data = nil
	guard(func() { t.call.Event(d) })
}

// finish ends the span once: err is a read error (or the context's),
// nil at the end of the body or when the application closes it.
func (t *tracked) finish(err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done {
		return
	}
	t.done = true
	if t.stop != nil {
		t.stop()
	}
	var attrs []attribute.KeyValue
	var apiErr error
	guard(func() {
		switch t.framing {
		case FramingJSON:
			t.call.Body(t.buf)
		case FramingEventStream:
		default:
			if len(t.buf) > 0 {
				t.line(t.buf)
			}
			t.dispatch()
		}
		attrs, apiErr = t.call.End()
	})
	t.buf, t.data = nil, nil
	t.span.set(attrs)
	if t.framing == FramingEventStream && err == nil && apiErr == nil {
		// A malformed frame, or a body that ended inside a message (a
		// Close before the end is the application's choice, not an error).
		if err = t.es.Err(); err == nil && t.eof {
			err = t.es.Close()
		}
	}
	switch {
	case err != nil:
		t.span.fail(err)
	case apiErr != nil:
		t.span.fail(apiErr)
	}
	t.span.end()
}

// APIError is an error a provider reported: an HTTP error status with the
// provider's error body, or an error event inside a stream.
type APIError struct {
	Provider   string
	StatusCode int    // 0 for an error inside a stream
	Type       string // the provider's error type or status, when it gave one
	Message    string
}

// ErrorType names the error as the Python SDKs name their exceptions,
// after the HTTP status, so that grouping by exception.type tells a rate
// limit from a bad key from an outage: "openai.RateLimitError",
// "anthropic.InternalServerError" (see StatusErrorName and
// fi.Span.RecordError).
func (e *APIError) ErrorType() string { return e.Provider + "." + StatusErrorName(e.StatusCode) }

// StatusErrorName is the name the OpenAI and Anthropic Python SDKs give the
// exception of an HTTP error status; "APIError" for status 0 (an error
// reported inside a stream).
func StatusErrorName(status int) string {
	switch {
	case status == 0:
		return "APIError"
	case status == 400:
		return "BadRequestError"
	case status == 401:
		return "AuthenticationError"
	case status == 403:
		return "PermissionDeniedError"
	case status == 404:
		return "NotFoundError"
	case status == 409:
		return "ConflictError"
	case status == 422:
		return "UnprocessableEntityError"
	case status == 429:
		return "RateLimitError"
	case status >= 500:
		return "InternalServerError"
	}
	return "APIStatusError"
}

// Error reads like "anthropic: 529 overloaded_error: Overloaded".
func (e *APIError) Error() string {
	head := e.Provider
	if e.StatusCode != 0 {
		head += " " + strconv.Itoa(e.StatusCode)
	}
	if e.Type != "" {
		head += " " + e.Type
	}
	if e.Message == "" {
		return head
	}
	if e.StatusCode == 0 && e.Type == "" {
		return head + ": " + e.Message
	}
	return strings.Replace(head, " ", ": ", 1) + ": " + e.Message
}
