package llmparse

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/traceai-go/traceai/fi"

	"github.com/traceai-go/traceai/fi/semconv"
	"github.com/traceai-go/traceai/internal/eventstream"
)

type messageAdapter struct{ recordingAdapter }

func (a *messageAdapter) Start(*http.Request, []byte) (Call, bool) { return a, true }

// runCall is run for any adapter.
func runCall(t *testing.T, a Adapter, body string, chunk int) (*tracetest.SpanRecorder, string) {
	t.Helper()
	sr := tracetest.NewSpanRecorder()
	w := NewWire(a, fi.NewTracer(fi.WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr)))))
	req, _ := http.NewRequest("POST", "http://x/", strings.NewReader(`{}`))
	res, err := w.Do(req, func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader(body))}, nil
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

func (a *messageAdapter) Message(m *eventstream.Message) {
	a.events = append(a.events, m.Get(":event-type")+"="+string(m.Payload))
}

func frames(t *testing.T, n int) string {
	var b []byte
	for i := range n {
		var err error
		b, err = eventstream.Append(b, &eventstream.Message{
			Headers: []eventstream.Header{eventstream.String(":event-type", "e")},
			Payload: []byte(strings.Repeat("x", i+1)),
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return string(b)
}

func TestEventStreamFraming(t *testing.T) {
	in := frames(t, 3)
	for _, chunk := range []int{1, 5, 4096} {
		a := &messageAdapter{recordingAdapter{framing: FramingEventStream}}
		sr, got := runCall(t, a, in, chunk)
		if got != in {
			t.Fatalf("chunk %d: bytes changed", chunk)
		}
		if strings.Join(a.events, "|") != "e=x|e=xx|e=xxx" {
			t.Fatalf("chunk %d: %q", chunk, a.events)
		}
		s := sr.Ended()[0]
		if s.Status().Code == codes.Error || len(s.Events()) != 1 || s.Events()[0].Name != semconv.FirstTokenStreamEvent {
			t.Fatalf("chunk %d: status %v events %v", chunk, s.Status(), s.Events())
		}
	}
	// Cut off inside the last message, and a flipped byte: status ERROR.
	for name, body := range map[string]string{"cut": in[:len(in)-2], "crc": in[:len(in)-1] + "!"} {
		a := &messageAdapter{recordingAdapter{framing: FramingEventStream}}
		sr, got := runCall(t, a, body, 7)
		if got != body {
			t.Fatalf("%s: bytes changed", name)
		}
		s := sr.Ended()[0]
		want := map[string]error{"cut": eventstream.ErrTruncated, "crc": eventstream.ErrMessageCRC}[name]
		if s.Status().Code != codes.Error || !strings.Contains(s.Status().Description, want.Error()) || len(a.events) != 2 {
			t.Fatalf("%s: status %v, %d messages", name, s.Status(), len(a.events))
		}
	}
}
