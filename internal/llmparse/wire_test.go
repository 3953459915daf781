package llmparse

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/fi/semconv"
)

// recordingAdapter records what the Wire hands it.
type recordingAdapter struct {
	framing Framing
	events  []string
	body    string
	panicOn string
}

func (a *recordingAdapter) Match(req *http.Request) bool {
	return !strings.HasPrefix(req.URL.Path, "/upload")
}

func (a *recordingAdapter) Start(req *http.Request, body []byte) (Call, bool) {
	if a.panicOn == "start" {
		panic("adapter bug")
	}
	return a, true
}
func (a *recordingAdapter) Span() (string, semconv.SpanKind, []attribute.KeyValue) {
	return "call", semconv.SpanKindLLM, []attribute.KeyValue{semconv.InputValue.String("in")}
}
func (a *recordingAdapter) Response(*http.Response) Framing { return a.framing }
func (a *recordingAdapter) Body(b []byte)                   { a.body = string(b) }
func (a *recordingAdapter) Event(b []byte) {
	if a.panicOn == "event" {
		panic("adapter bug")
	}
	a.events = append(a.events, string(b))
}
func (a *recordingAdapter) End() ([]attribute.KeyValue, error) {
	return []attribute.KeyValue{semconv.OutputValue.String(strings.Join(a.events, "|") + a.body)}, nil
}

func run(t *testing.T, a *recordingAdapter, body string, chunk int) (*tracetest.SpanRecorder, string) {
	t.Helper()
	sr := tracetest.NewSpanRecorder()
	w := NewWire(a, fi.NewTracer(fi.WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr)))))
	req, _ := http.NewRequest("POST", "http://x/", strings.NewReader(`{}`))
	res, err := w.Do(req, func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Body: io.NopCloser(bytes.NewReader([]byte(body)))}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []byte
	buf := make([]byte, chunk)
	for {
		n, err := res.Body.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			break
		}
	}
	res.Body.Close()
	return sr, string(got)
}

func TestSSEFraming(t *testing.T) {
	in := ": comment\r\nevent: a\r\ndata: one\r\n\r\nevent: b\ndata:two\ndata: lines\n\nid: 3\n\ndata: {\"last\":1}"
	for _, chunk := range []int{1, 3, 7, 4096} {
		a := &recordingAdapter{framing: FramingSSE}
		sr, got := run(t, a, in, chunk)
		if got != in {
			t.Fatalf("chunk %d: bytes changed", chunk)
		}
		if want := []string{"one", "two\nlines", `{"last":1}`}; strings.Join(a.events, "|") != strings.Join(want, "|") {
			t.Fatalf("chunk %d: events %q", chunk, a.events)
		}
		s := sr.Ended()[0]
		if len(s.Events()) != 1 || s.Events()[0].Name != semconv.FirstTokenStreamEvent {
			t.Errorf("events %v", s.Events())
		}
	}
}

func TestNDJSONAndJSONFraming(t *testing.T) {
	a := &recordingAdapter{framing: FramingNDJSON}
	if _, got := run(t, a, "{\"a\":1}\n\n{\"b\":2}\r\n{\"c\":3}", 5); got != "{\"a\":1}\n\n{\"b\":2}\r\n{\"c\":3}" {
		t.Fatal("bytes changed")
	}
	if strings.Join(a.events, "|") != `{"a":1}|{"b":2}|{"c":3}` {
		t.Fatalf("lines %q", a.events)
	}
	j := &recordingAdapter{framing: FramingJSON}
	run(t, j, `{"whole": "body"}`, 2)
	if j.body != `{"whole": "body"}` || len(j.events) != 0 {
		t.Fatalf("body %q events %q", j.body, j.events)
	}
}

// A panicking adapter must cost the application nothing: the bytes pass,
// the span ends, the panic goes to the OpenTelemetry error handler.
func TestAdapterPanicIsContained(t *testing.T) {
	var handled []error
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { handled = append(handled, err) }))
	defer otel.SetErrorHandler(otel.ErrorHandlerFunc(func(error) {}))
	for _, where := range []string{"start", "event"} {
		handled = nil
		a := &recordingAdapter{framing: FramingNDJSON, panicOn: where}
		sr, got := run(t, a, "{\"a\":1}\n", 64)
		if got != "{\"a\":1}\n" {
			t.Fatalf("%s: bytes changed", where)
		}
		if len(sr.Started()) != len(sr.Ended()) {
			t.Fatalf("%s: span left open", where)
		}
		if len(handled) == 0 {
			t.Fatalf("%s: panic not reported", where)
		}
	}
}

func TestTransportErrorRecorded(t *testing.T) {
	sr := tracetest.NewSpanRecorder()
	w := NewWire(&recordingAdapter{}, fi.NewTracer(fi.WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr)))))
	req, _ := http.NewRequest("POST", "http://x/", strings.NewReader(`{}`))
	boom := errors.New("connection refused")
	if _, err := w.Do(req, func(*http.Request) (*http.Response, error) { return nil, boom }); err != boom {
		t.Fatalf("error changed: %v", err)
	}
	s := sr.Ended()[0]
	if s.Status().Code != codes.Error || !strings.Contains(s.Status().Description, "connection refused") {
		t.Fatalf("status %v", s.Status())
	}
}

func TestAPIErrorText(t *testing.T) {
	e := &APIError{Provider: "anthropic", StatusCode: 529, Type: "overloaded_error", Message: "Overloaded"}
	if e.Error() != "anthropic: 529 overloaded_error: Overloaded" {
		t.Fatal(e.Error())
	}
	if (&APIError{Provider: "ollama", Message: "x"}).Error() != "ollama: x" {
		t.Fatal("stream error text")
	}
}

// Requests the adapter does not match stream through: the Wire does not
// read their bodies.
func TestUnmatchedBodyNotRead(t *testing.T) {
	w := NewWire(&recordingAdapter{}, fi.NewTracer())
	body := io.NopCloser(strings.NewReader("big upload"))
	req, _ := http.NewRequest("POST", "http://x/upload/file", body)
	req.Body = body
	w.Do(req, func(r *http.Request) (*http.Response, error) {
		if r.Body != body {
			t.Error("body replaced")
		}
		return &http.Response{StatusCode: 200, Body: http.NoBody}, nil
	})
}

// Exceptions are named after the status as the Python SDKs name theirs, so
// that grouping by exception.type tells 429 from 401 from 5xx.
func TestAPIErrorTypeByStatus(t *testing.T) {
	for status, want := range map[int]string{
		0: "openai.APIError", 400: "openai.BadRequestError", 401: "openai.AuthenticationError",
		403: "openai.PermissionDeniedError", 404: "openai.NotFoundError", 409: "openai.ConflictError",
		422: "openai.UnprocessableEntityError", 429: "openai.RateLimitError", 500: "openai.InternalServerError",
		503: "openai.InternalServerError", 529: "openai.InternalServerError", 418: "openai.APIStatusError",
	} {
		if got := (&APIError{Provider: "openai", StatusCode: status}).ErrorType(); got != want {
			t.Errorf("status %d: %q, want %q", status, got, want)
		}
	}
}
