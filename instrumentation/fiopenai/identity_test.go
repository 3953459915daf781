package fiopenai_test

import (
	"bytes"
	"io"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"

	"github.com/traceai-go/traceai/instrumentation/fiopenai"
)

// chatResponseFixtures are the recorded chat responses, JSON and SSE.
func chatResponseFixtures(t *testing.T) []string {
	names, _ := filepath.Glob("testdata/chat_*")
	var out []string
	for _, n := range names {
		if !strings.HasSuffix(n, "request.json") {
			out = append(out, n)
		}
	}
	if len(out) < 10 {
		t.Fatalf("only %d fixtures", len(out))
	}
	return out
}

// chatChunked writes body in pieces of random sizes, flushing each, so the
// client sees arbitrary boundaries (inside events, lines and UTF-8).
func chatChunked(w http.ResponseWriter, body []byte, rng *rand.Rand) {
	for len(body) > 0 {
		n := min(1+rng.Intn(97), len(body))
		w.Write(body[:n])
		w.(http.Flusher).Flush()
		body = body[n:]
	}
}

// chatReadRandom reads r with read buffers of random sizes.
func chatReadRandom(r io.Reader, rng *rand.Rand) ([]byte, error) {
	var out []byte
	for {
		buf := make([]byte, 1+rng.Intn(64))
		n, err := r.Read(buf)
		out = append(out, buf[:n]...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

// TestChatBytesIdentical is a property test: for every recorded response,
// under every status, with random server chunkings and random client read
// sizes, the bytes read through NewTransport are exactly those read without
// it, and the server receives the request body unchanged.
func TestChatBytesIdentical(t *testing.T) {
	reqs := [][]byte{chatFixture(t, "chat_request.json"), chatFixture(t, "chat_tools_request.json"), chatFixture(t, "chat_image_request.json")}
	rng := rand.New(rand.NewSource(20261124))
	for _, name := range chatResponseFixtures(t) {
		want, _ := os.ReadFile(name)
		sse := strings.HasSuffix(name, ".sse")
		for round := 0; round < 8; round++ {
			status := []int{200, 200, 200, 400, 429, 500, 201, 200}[round]
			seed := rng.Int63()
			var got []byte
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got, _ = io.ReadAll(r.Body)
				if sse {
					w.Header().Set("Content-Type", "text/event-stream")
				} else {
					w.Header().Set("Content-Type", "application/json")
				}
				w.WriteHeader(status)
				chatChunked(w, want, rand.New(rand.NewSource(seed)))
			}))
			tp, sr := chatRecorder()
			req := reqs[round%len(reqs)]
			var bodies [2][]byte
			for i, rt := range []http.RoundTripper{http.DefaultTransport, fiopenai.NewTransport(nil, fiopenai.WithTracerProvider(tp))} {
				hc := &http.Client{Transport: rt}
				res, err := hc.Post(srv.URL+"/v1/chat/completions", "application/json", bytes.NewReader(req))
				if err != nil {
					t.Fatal(err)
				}
				bodies[i], err = chatReadRandom(res.Body, rng)
				res.Body.Close()
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, req) {
					t.Errorf("%s: request bytes changed", name)
				}
			}
			srv.Close()
			if !bytes.Equal(bodies[0], want) {
				t.Fatalf("%s: the uninstrumented read differs from the fixture", name)
			}
			if !bytes.Equal(bodies[1], bodies[0]) {
				t.Errorf("%s (status %d, seed %d): response bytes changed by the instrumentation", name, status, seed)
			}
			if len(sr.Ended()) != 1 {
				t.Errorf("%s: %d spans", name, len(sr.Ended()))
			}
		}
	}
}

// TestChatFirstChunkUnbuffered: the server sends the first SSE event and
// waits until the client has read it before sending the rest. A transport
// that buffered the stream would never deliver it (the test would time out
// with the server still waiting).
func TestChatFirstChunkUnbuffered(t *testing.T) {
	sse := chatFixture(t, "chat_stream_usage.sse")
	events := bytes.SplitAfter(sse, []byte("\n\n"))
	read := make(chan struct{})
	proceeded := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write(events[0])
		w.(http.Flusher).Flush()
		select {
		case <-read:
		case <-time.After(5 * time.Second):
			return
		}
		close(proceeded)
		for _, e := range events[1:] {
			w.Write(e)
			w.(http.Flusher).Flush()
		}
	}))
	defer srv.Close()
	tp, sr := chatRecorder()
	hc := &http.Client{Transport: fiopenai.NewTransport(nil, fiopenai.WithTracerProvider(tp))}
	res, err := hc.Post(srv.URL+"/v1/chat/completions", "application/json", bytes.NewReader(chatFixture(t, "chat_request.json")))
	if err != nil {
		t.Fatal(err)
	}
	first := make([]byte, len(events[0]))
	if _, err := io.ReadFull(res.Body, first); err != nil {
		t.Fatal(err)
	}
	select {
	case <-proceeded:
		t.Fatal("server went on before the client read the first event")
	default:
	}
	if !bytes.Equal(first, events[0]) {
		t.Fatal("first event changed")
	}
	if len(sr.Ended()) != 0 {
		t.Fatal("span ended before the stream")
	}
	if sp := sr.Started(); len(sp) != 1 {
		t.Fatalf("%d spans started", len(sp))
	}
	close(read)
	rest, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil || !bytes.Equal(append(first, rest...), sse) {
		t.Fatalf("stream bytes changed (err %v)", err)
	}
	sp := chatOneSpan(t, sr)
	if sp.Status().Code != codes.Ok || chatAttrs(sp)["gen_ai.usage.total_tokens"] != "39" {
		t.Errorf("status %v attrs %v", sp.Status(), chatAttrs(sp))
	}
	if ev := sp.Events(); len(ev) != 1 || ev[0].Name != "First Token Stream Event" || ev[0].Time.After(sp.EndTime()) {
		t.Errorf("events %v", ev)
	}
}
