package figenai_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"google.golang.org/genai"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/instrumentation/figenai"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
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

// newServer answers the Gemini API methods with the recorded fixtures, or
// with the error fixture and status when status is not 200.
func newServer(t testing.TB, status int) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if status != 200 {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			w.Write(fixture(t, "error_response.json"))
			return
		}
		var name string
		switch {
		case strings.HasSuffix(r.URL.Path, ":streamGenerateContent"):
			w.Header().Set("Content-Type", "text/event-stream")
			w.Write(fixture(t, "stream_response.sse"))
			return
		case strings.HasSuffix(r.URL.Path, ":generateContent"):
			name = "generate_response.json"
		case strings.HasSuffix(r.URL.Path, ":batchEmbedContents"):
			name = "batch_embed_response.json"
		case strings.HasSuffix(r.URL.Path, ":embedContent"):
			name = "embed_response.json"
		default:
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(fixture(t, name))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func client(t testing.TB, url string, opts ...figenai.Option) *genai.Client {
	c, err := genai.NewClient(context.Background(), &genai.ClientConfig{
		APIKey:      "AIza-test-secret",
		Backend:     genai.BackendGeminiAPI,
		HTTPClient:  &http.Client{Transport: figenai.NewTransport(nil, opts...)},
		HTTPOptions: genai.HTTPOptions{BaseURL: url},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func sessionCtx() context.Context {
	return fi.UsingUser(fi.UsingSession(context.Background(), "sess-1"), "user-1")
}

func config() *genai.GenerateContentConfig {
	return &genai.GenerateContentConfig{
		SystemInstruction: genai.NewContentFromText("You are a weather assistant.", genai.RoleUser),
		Temperature:       genai.Ptr[float32](0.5),
		Tools: []*genai.Tool{{FunctionDeclarations: []*genai.FunctionDeclaration{{
			Name: "get_forecast", Description: "Forecast for a city",
			Parameters: &genai.Schema{Type: genai.TypeObject, Properties: map[string]*genai.Schema{"location": {Type: genai.TypeString}}},
		}}}},
	}
}

func TestSDKGenerateContent(t *testing.T) {
	tp, sr := recorder()
	c := client(t, newServer(t, 200).URL, figenai.WithTracerProvider(tp))
	res, err := c.Models.GenerateContent(sessionCtx(), "gemini-2.5-flash", genai.Text("Weather in Paris?"), config())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(res.Text(), "It is 21°C") {
		t.Fatalf("SDK text %q", res.Text())
	}
	spans := sr.Ended()
	if len(spans) != 1 {
		t.Fatalf("%d spans", len(spans))
	}
	sp := spans[0]
	if sp.Name() != "GenerateContent" || sp.Status().Code != codes.Ok {
		t.Errorf("name %q status %v", sp.Name(), sp.Status())
	}
	a := attrs(sp)
	for k, v := range map[string]string{
		"gen_ai.span.kind":                        "LLM",
		"gen_ai.provider.name":                    "google",
		"session.id":                              "sess-1",
		"user.id":                                 "user-1",
		"gen_ai.request.model":                    "gemini-2.5-flash",
		"gen_ai.input.messages.0.message.role":    "system",
		"gen_ai.input.messages.0.message.content": "You are a weather assistant.",
		"gen_ai.input.messages.1.message.role":    "user",
		"gen_ai.input.messages.1.message.contents.0.message_content.text":       "Weather in Paris?",
		"gen_ai.tool.definitions.0.tool.json_schema":                            `{"name": "get_forecast", "description": "Forecast for a city", "parameters": {"properties": {"location": {"type": "STRING"}}, "type": "OBJECT"}}`,
		"gen_ai.output.messages.0.message.tool_calls.0.tool_call.function.name": "get_forecast",
		"gen_ai.usage.input_tokens":                                             "96",
		"gen_ai.usage.output_tokens":                                            "58",
		"gen_ai.usage.output_tokens.reasoning":                                  "40",
	} {
		if a[k] != v {
			t.Errorf("%s = %q, want %q", k, a[k], v)
		}
	}
	for k, v := range a {
		if strings.Contains(v, "AIza-test-secret") {
			t.Errorf("API key recorded in %s", k)
		}
	}
}

func TestSDKStream(t *testing.T) {
	tp, sr := recorder()
	c := client(t, newServer(t, 200).URL, figenai.WithTracerProvider(tp))
	var text strings.Builder
	for res, err := range c.Models.GenerateContentStream(sessionCtx(), "gemini-2.5-flash", genai.Text("Weather in Paris, briefly."), nil) {
		if err != nil {
			t.Fatal(err)
		}
		text.WriteString(res.Text())
	}
	if text.String() != "Sunny and 21°C in Paris." {
		t.Fatalf("SDK text %q", text.String())
	}
	spans := sr.Ended()
	if len(spans) != 1 {
		t.Fatalf("%d spans", len(spans))
	}
	a := attrs(spans[0])
	if spans[0].Name() != "GenerateContentStream" || spans[0].Status().Code != codes.Ok {
		t.Errorf("name %q status %v", spans[0].Name(), spans[0].Status())
	}
	for k, v := range map[string]string{
		"session.id": "sess-1",
		"gen_ai.output.messages.0.message.content": "Sunny and 21°C in Paris.",
		"gen_ai.usage.input_tokens":                "9",
		"gen_ai.usage.output_tokens":               "27",
		"gen_ai.usage.total_tokens":                "36",
	} {
		if a[k] != v {
			t.Errorf("%s = %q, want %q", k, a[k], v)
		}
	}
}

func TestSDKEmbed(t *testing.T) {
	tp, sr := recorder()
	c := client(t, newServer(t, 200).URL, figenai.WithTracerProvider(tp))
	res, err := c.Models.EmbedContent(sessionCtx(), "text-embedding-004", []*genai.Content{genai.NewContentFromText("hello", genai.RoleUser), genai.NewContentFromText("world", genai.RoleUser)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Embeddings) != 2 {
		t.Fatalf("SDK got %d embeddings", len(res.Embeddings))
	}
	spans := sr.Ended()
	if len(spans) != 1 {
		t.Fatalf("%d spans", len(spans))
	}
	a := attrs(spans[0])
	for k, v := range map[string]string{
		"gen_ai.span.kind":                        "EMBEDDING",
		"embedding.model_name":                    "text-embedding-004",
		"embedding.embeddings.1.embedding.text":   "world",
		"embedding.embeddings.1.embedding.vector": "[-0.75,0.0625,1]",
		"user.id": "user-1",
	} {
		if a[k] != v {
			t.Errorf("%s = %q, want %q", k, a[k], v)
		}
	}
}

func TestSDKError(t *testing.T) {
	tp, sr := recorder()
	c := client(t, newServer(t, 400).URL, figenai.WithTracerProvider(tp))
	_, err := c.Models.GenerateContent(sessionCtx(), "gemini-2.5-flash", genai.Text("hi"), nil)
	if err == nil {
		t.Fatal("no error")
	}
	spans := sr.Ended()
	if len(spans) != 1 {
		t.Fatalf("%d spans", len(spans))
	}
	if spans[0].Status().Code != codes.Error || !strings.Contains(spans[0].Status().Description, "API key not valid") {
		t.Errorf("status %v", spans[0].Status())
	}
	if attrs(spans[0])["session.id"] != "sess-1" {
		t.Error("no session.id on error span")
	}
}

func TestSuppressTracing(t *testing.T) {
	tp, sr := recorder()
	c := client(t, newServer(t, 200).URL, figenai.WithTracerProvider(tp))
	if _, err := c.Models.GenerateContent(fi.SuppressTracing(sessionCtx()), "gemini-2.5-flash", genai.Text("hi"), nil); err != nil {
		t.Fatal(err)
	}
	if len(sr.Started()) != 0 {
		t.Fatal("span under SuppressTracing")
	}
}

func TestMasking(t *testing.T) {
	tp, sr := recorder()
	cfg := fi.TraceConfig{HideInputMessages: true, HideEmbeddingVectors: true}
	c := client(t, newServer(t, 200).URL, figenai.WithTracerProvider(tp), figenai.WithTraceConfig(cfg))
	if _, err := c.Models.GenerateContent(sessionCtx(), "gemini-2.5-flash", genai.Text("hi"), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Models.EmbedContent(sessionCtx(), "text-embedding-004", genai.Text("hi"), nil); err != nil {
		t.Fatal(err)
	}
	for _, sp := range sr.Ended() {
		for k := range attrs(sp) {
			if strings.HasPrefix(k, "gen_ai.input.messages") || strings.HasSuffix(k, "embedding.vector") {
				t.Errorf("%s: hidden %s kept", sp.Name(), k)
			}
		}
	}
}

// TestPassThroughBytes checks, for every fixture, that what the application
// reads through the transport is byte-for-byte what the server sent, and
// that the request reaches the server unchanged.
func TestPassThroughBytes(t *testing.T) {
	names, _ := filepath.Glob("testdata/*")
	reqBody := fixture(t, "generate_request.json")
	for _, name := range names {
		want, _ := os.ReadFile(name)
		for _, path := range []string{":generateContent", ":streamGenerateContent?alt=sse", ":batchEmbedContents"} {
			var got []byte
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got, _ = io.ReadAll(r.Body)
				w.Write(want)
			}))
			tp, _ := recorder()
			hc := &http.Client{Transport: figenai.NewTransport(nil, figenai.WithTracerProvider(tp))}
			res, err := hc.Post(srv.URL+"/v1beta/models/gemini-2.5-flash"+path, "application/json", bytes.NewReader(reqBody))
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
			res.Body.Close()
			srv.Close()
			if err != nil || !bytes.Equal(body, want) {
				t.Errorf("%s via %s: response bytes changed (%v)", name, path, err)
			}
			if !bytes.Equal(got, reqBody) {
				t.Errorf("%s via %s: request bytes changed", name, path)
			}
		}
	}
}

// TestStreamNotBuffered: the server waits for the application to read the
// first chunk before sending the rest; buffering would deadlock.
func TestStreamNotBuffered(t *testing.T) {
	events := bytes.SplitAfter(fixture(t, "stream_response.sse"), []byte("\r\n\r\n"))
	got := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write(events[0])
		w.(http.Flusher).Flush()
		select {
		case <-got:
		case <-time.After(5 * time.Second):
			return
		}
		for _, e := range events[1:] {
			w.Write(e)
		}
	}))
	defer srv.Close()
	tp, sr := recorder()
	hc := &http.Client{Transport: figenai.NewTransport(nil, figenai.WithTracerProvider(tp))}
	res, err := hc.Post(srv.URL+"/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", "application/json", bytes.NewReader(fixture(t, "stream_request.json")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(res.Body, make([]byte, len(events[0]))); err != nil {
		t.Fatal(err)
	}
	if len(sr.Ended()) != 0 {
		t.Fatal("span ended before the stream")
	}
	close(got)
	io.ReadAll(res.Body)
	res.Body.Close()
	if len(sr.Ended()) != 1 || attrs(sr.Ended()[0])["gen_ai.usage.total_tokens"] != "36" {
		t.Fatal("span not ended with usage at EOF")
	}
}

func TestStreamClosedEarly(t *testing.T) {
	tp, sr := recorder()
	srv := newServer(t, 200)
	hc := &http.Client{Transport: figenai.NewTransport(nil, figenai.WithTracerProvider(tp))}
	res, err := hc.Post(srv.URL+"/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", "application/json", bytes.NewReader(fixture(t, "stream_request.json")))
	if err != nil {
		t.Fatal(err)
	}
	io.ReadFull(res.Body, make([]byte, 10))
	res.Body.Close()
	if len(sr.Ended()) != 1 {
		t.Fatalf("%d spans ended after Close", len(sr.Ended()))
	}
}

func TestStreamErrorChunk(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		first := bytes.SplitAfter(fixture(t, "stream_response.sse"), []byte("\r\n\r\n"))[0]
		w.Write(first)
		w.Write([]byte("data: {\"error\": {\"code\": 503, \"message\": \"The model is overloaded.\", \"status\": \"UNAVAILABLE\"}}\r\n\r\n"))
	}))
	defer srv.Close()
	tp, sr := recorder()
	c := client(t, srv.URL, figenai.WithTracerProvider(tp))
	for _, err := range c.Models.GenerateContentStream(sessionCtx(), "gemini-2.5-flash", genai.Text("hi"), nil) {
		if err != nil {
			break
		}
	}
	spans := sr.Ended()
	if len(spans) != 1 || spans[0].Status().Code != codes.Error || !strings.Contains(spans[0].Status().Description, "overloaded") {
		t.Fatalf("spans %d %v", len(spans), spans[0].Status())
	}
	if got := attrs(spans[0])["gen_ai.output.messages.0.message.content"]; got != "Sunny" {
		t.Errorf("partial output %q", got)
	}
}
