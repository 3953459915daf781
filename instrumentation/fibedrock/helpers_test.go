package fibedrock_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/instrumentation/fibedrock"
	"github.com/traceai-go/traceai/internal/eventstream"
)

// Credentials the tests sign with; no attribute may hold them.
const (
	testKeyID   = "AKIDTESTEXAMPLE7Q3Z"
	testSecret  = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYTESTSECRET"
	testSession = "FwoGZXIvYXdzEBYaDTESTSESSIONTOKEN"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSpace(b)
}

func lines(t testing.TB, name string) [][]byte {
	var out [][]byte
	sc := bufio.NewScanner(bytes.NewReader(fixture(t, name)))
	for sc.Scan() {
		out = append(out, append([]byte(nil), sc.Bytes()...))
	}
	return out
}

func frame(t testing.TB, dst []byte, headers []eventstream.Header, payload []byte) []byte {
	t.Helper()
	out, err := eventstream.Append(dst, &eventstream.Message{Headers: headers, Payload: payload})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func eventHeaders(typ string) []eventstream.Header {
	return []eventstream.Header{
		eventstream.String(":event-type", typ),
		eventstream.String(":content-type", "application/json"),
		eventstream.String(":message-type", "event"),
	}
}

// converseStream encodes a .jsonl fixture of [eventType, payload] lines as
// ConverseStream frames.
func converseStream(t testing.TB, name string) []byte {
	var out []byte
	for _, l := range lines(t, name) {
		var ev [2]json.RawMessage
		if err := json.Unmarshal(l, &ev); err != nil {
			t.Fatal(err)
		}
		var typ string
		json.Unmarshal(ev[0], &typ)
		out = frame(t, out, eventHeaders(typ), ev[1])
	}
	return out
}

// invokeStream encodes a .jsonl fixture of model events as
// InvokeModelWithResponseStream chunks.
func invokeStream(t testing.TB, name string) []byte {
	var out []byte
	for _, l := range lines(t, name) {
		p, _ := json.Marshal(map[string]string{"bytes": base64.StdEncoding.EncodeToString(l), "p": "abcdefgh"})
		out = frame(t, out, eventHeaders("chunk"), p)
	}
	return out
}

func exceptionFrame(t testing.TB, dst []byte, typ, msg string) []byte {
	p, _ := json.Marshal(map[string]string{"message": msg})
	return frame(t, dst, []eventstream.Header{
		eventstream.String(":exception-type", typ),
		eventstream.String(":content-type", "application/json"),
		eventstream.String(":message-type", "exception"),
	}, p)
}

// answer is the stand-in's reply to one request.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// standin is a local Bedrock runtime: it replies with answer(path, body)
// and keeps what it received and sent.
type standin struct {
	*httptest.Server
	mu       sync.Mutex
	answer   func(path string, body []byte) answer
	received []*http.Request
	bodies   [][]byte
	sent     [][]byte
}

func newStandin(t testing.TB, answer func(path string, body []byte) answer) *standin {
	s := &standin{answer: answer}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		a := s.answer(r.URL.EscapedPath(), b)
		s.mu.Lock()
		s.received = append(s.received, r)
		s.bodies = append(s.bodies, b)
		s.sent = append(s.sent, a.body)
		s.mu.Unlock()
		for k, v := range a.header {
			w.Header()[k] = v
		}
		if a.status == 0 {
			a.status = 200
		}
		w.WriteHeader(a.status)
		if a.header.Get("Content-Type") != "application/vnd.amazon.eventstream" {
			w.Write(a.body)
			return
		}
		// Streams go out one frame per flush.
		rest := a.body
		for len(rest) > 0 {
			n := 0
			if len(rest) >= 4 {
				n = int(uint32(rest[0])<<24 | uint32(rest[1])<<16 | uint32(rest[2])<<8 | uint32(rest[3]))
			}
			if n <= 0 || n > len(rest) {
				n = len(rest)
			}
			w.Write(rest[:n])
			w.(http.Flusher).Flush()
			rest = rest[n:]
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func jsonAnswer(body []byte) answer {
	return answer{header: http.Header{"Content-Type": {"application/json"}}, body: body}
}

func streamAnswer(body []byte) answer {
	return answer{header: http.Header{"Content-Type": {"application/vnd.amazon.eventstream"}}, body: body}
}

func recorder() (*sdktrace.TracerProvider, *tracetest.SpanRecorder) {
	sr := tracetest.NewSpanRecorder()
	return sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr)), sr
}

func attrs(s sdktrace.ReadOnlySpan) map[string]string {
	m := map[string]string{}
	for _, kv := range s.Attributes() {
		m[string(kv.Key)] = kv.Value.Emit()
	}
	return m
}

// wireLog keeps, for each request, what the application's SDK handed the
// transport (outer) and what reached the network (inner), and the bytes
// of the response the SDK read.
type wireLog struct {
	mu          sync.Mutex
	outerHeader []http.Header
	outerBody   [][]byte
	innerHeader []http.Header
	innerBody   [][]byte
	read        []*bytes.Buffer
}

type rtFunc func(*http.Request) (*http.Response, error)

func (f rtFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// capture reads r's body and puts back an identical one.
func capture(r *http.Request) []byte {
	if r.Body == nil {
		return nil
	}
	b, _ := io.ReadAll(r.Body)
	r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(b))
	return b
}

type teeBody struct {
	io.ReadCloser
	w io.Writer
}

func (t teeBody) Read(p []byte) (int, error) {
	n, err := t.ReadCloser.Read(p)
	t.w.Write(p[:n])
	return n, err
}

// transport wraps the instrumentation between two recorders; base is the
// network (http.DefaultTransport when nil).
func (l *wireLog) transport(base http.RoundTripper, opts ...fibedrock.Option) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	inner := rtFunc(func(r *http.Request) (*http.Response, error) {
		b := capture(r)
		l.mu.Lock()
		l.innerHeader = append(l.innerHeader, r.Header.Clone())
		l.innerBody = append(l.innerBody, b)
		l.mu.Unlock()
		return base.RoundTrip(r)
	})
	mid := fibedrock.NewTransport(inner, opts...)
	return rtFunc(func(r *http.Request) (*http.Response, error) {
		b := capture(r)
		l.mu.Lock()
		l.outerHeader = append(l.outerHeader, r.Header.Clone())
		l.outerBody = append(l.outerBody, b)
		buf := &bytes.Buffer{}
		l.read = append(l.read, buf)
		l.mu.Unlock()
		res, err := mid.RoundTrip(r)
		if res != nil && res.Body != nil {
			res.Body = teeBody{res.Body, buf}
		}
		return res, err
	})
}

// check fails t unless every request reached the network as the SDK built
// it, header and body, and the SDK read exactly what the stand-in sent.
func (l *wireLog) check(t testing.TB, s *standin) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.outerBody) == 0 || len(l.outerBody) != len(l.innerBody) {
		t.Fatalf("%d requests in, %d out", len(l.outerBody), len(l.innerBody))
	}
	for i := range l.outerBody {
		if !bytes.Equal(l.outerBody[i], l.innerBody[i]) || !sameHeader(l.outerHeader[i], l.innerHeader[i]) {
			t.Fatalf("request %d changed on its way", i)
		}
		if l.innerHeader[i].Get("Authorization") == "" || l.innerHeader[i].Get("X-Amz-Security-Token") != testSession {
			t.Fatalf("request %d not signed: %v", i, l.innerHeader[i])
		}
	}
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.sent {
		if i < len(l.read) && !bytes.Equal(l.read[i].Bytes(), s.sent[i]) {
			t.Fatalf("response %d: the SDK read %d bytes, the stand-in sent %d", i, l.read[i].Len(), len(s.sent[i]))
		}
	}
}

func sameHeader(a, b http.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if strings.Join(v, "\x00") != strings.Join(b[k], "\x00") {
			return false
		}
	}
	return true
}

// client is a bedrockruntime client signing with the test credentials,
// sending through rt to url, with attempts tries and no backoff.
func client(url string, rt http.RoundTripper, attempts int) *bedrockruntime.Client {
	return bedrockruntime.New(bedrockruntime.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider(testKeyID, testSecret, testSession),
		HTTPClient:   &http.Client{Transport: rt},
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = attempts
			o.RateLimiter = ratelimit.None
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		}),
	})
}

func sessionCtx() context.Context {
	return fi.UsingUser(fi.UsingSession(context.Background(), "sess-1"), "user-1")
}

// noSecrets fails t if an attribute of the spans holds a credential.
func noSecrets(t testing.TB, spans []sdktrace.ReadOnlySpan) {
	t.Helper()
	for _, s := range spans {
		for _, kv := range s.Attributes() {
			v := kv.Value.Emit()
			for _, secret := range []string{testKeyID, testSecret, testSession, "AWS4-HMAC-SHA256", "Signature="} {
				if strings.Contains(v, secret) || strings.Contains(strings.ToLower(string(kv.Key)), "authorization") {
					t.Errorf("%s holds a credential", kv.Key)
				}
			}
		}
	}
}

func want(t testing.TB, a map[string]string, kv map[string]string) {
	t.Helper()
	for k, v := range kv {
		if a[k] != v {
			t.Errorf("%s = %q, want %q", k, a[k], v)
		}
	}
}

// memStream is a network that answers every request with stream, read in
// two pieces cut at byte cut (and in reads no larger than the reader asks).
func memStream(stream []byte, cut int) http.RoundTripper {
	return rtFunc(func(r *http.Request) (*http.Response, error) {
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
		return &http.Response{StatusCode: 200, Request: r,
			Header: http.Header{"Content-Type": {"application/vnd.amazon.eventstream"}},
			Body:   io.NopCloser(&cutReader{b: stream, cut: cut})}, nil
	})
}

type cutReader struct {
	b   []byte
	off int
	cut int
}

func (c *cutReader) Read(p []byte) (int, error) {
	if c.off >= len(c.b) {
		return 0, io.EOF
	}
	end := len(c.b)
	if c.off < c.cut {
		end = c.cut
	}
	n := copy(p, c.b[c.off:end])
	c.off += n
	return n, nil
}

// exceptionEvent fails t unless events hold an exception of type typ.
func exceptionEvent(t testing.TB, events []sdktrace.Event, typ string) {
	t.Helper()
	for _, e := range events {
		if e.Name != "exception" {
			continue
		}
		for _, kv := range e.Attributes {
			if kv.Key == "exception.type" && kv.Value.AsString() == typ {
				return
			}
		}
	}
	t.Errorf("no exception event of type %s in %v", typ, events)
}
