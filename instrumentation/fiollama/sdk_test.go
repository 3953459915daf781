package fiollama_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ollama/ollama/api"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/instrumentation/fiollama"
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

// newServer answers like Ollama: NDJSON streams unless "stream": false.
func newServer(t testing.TB, status int) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if status != 200 {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			w.Write(fixture(t, "error_response.json"))
			return
		}
		stream := !bytes.Contains(b, []byte(`"stream":false`))
		var name string
		switch r.URL.Path {
		case "/api/chat":
			name = "chat_tools_response.json"
			if stream {
				name = "chat_stream.ndjson"
			}
		case "/api/generate":
			name = "generate_response.json"
			if stream {
				name = "generate_stream.ndjson"
			}
		case "/api/embed":
			name = "embed_response.json"
		default:
			http.NotFound(w, r)
			return
		}
		if strings.HasSuffix(name, ".ndjson") {
			w.Header().Set("Content-Type", "application/x-ndjson")
		} else {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
		}
		w.Write(fixture(t, name))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func client(t testing.TB, base string, opts ...fiollama.Option) *api.Client {
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	return api.NewClient(u, &http.Client{Transport: fiollama.NewTransport(nil, opts...)})
}

func sessionCtx() context.Context {
	return fi.UsingUser(fi.UsingSession(context.Background(), "sess-1"), "user-1")
}

func TestSDKChatStream(t *testing.T) {
	tp, sr := recorder()
	c := client(t, newServer(t, 200).URL, fiollama.WithTracerProvider(tp))
	var text strings.Builder
	err := c.Chat(sessionCtx(), &api.ChatRequest{
		Model:    "llama3.2",
		Messages: []api.Message{{Role: "system", Content: "You are a weather assistant."}, {Role: "user", Content: "Weather in Paris?"}},
		Options:  map[string]any{"temperature": 0.2},
	}, func(r api.ChatResponse) error {
		text.WriteString(r.Message.Content)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if text.String() != "It is 21°C and sunny." {
		t.Fatalf("SDK text %q", text.String())
	}
	spans := sr.Ended()
	if len(spans) != 1 {
		t.Fatalf("%d spans", len(spans))
	}
	sp := spans[0]
	if sp.Name() != "ollama.chat" || sp.Status().Code != codes.Ok {
		t.Errorf("name %q status %v", sp.Name(), sp.Status())
	}
	a := attrs(sp)
	for k, v := range map[string]string{
		"gen_ai.span.kind":                         "LLM",
		"gen_ai.provider.name":                     "ollama",
		"session.id":                               "sess-1",
		"user.id":                                  "user-1",
		"gen_ai.request.model":                     "llama3.2",
		"gen_ai.request.parameters":                `{"options": {"temperature": 0.2}}`,
		"gen_ai.input.messages.1.message.content":  "Weather in Paris?",
		"gen_ai.output.messages.0.message.content": "It is 21°C and sunny.",
		"gen_ai.usage.input_tokens":                "143",
		"gen_ai.usage.output_tokens":               "9",
		"gen_ai.usage.total_tokens":                "152",
		"ollama.eval_duration_ns":                  "490642000",
	} {
		if a[k] != v {
			t.Errorf("%s = %q, want %q", k, a[k], v)
		}
	}
}

func TestSDKChatNoStreamTools(t *testing.T) {
	tp, sr := recorder()
	c := client(t, newServer(t, 200).URL, fiollama.WithTracerProvider(tp))
	no := false
	var got api.ChatResponse
	err := c.Chat(sessionCtx(), &api.ChatRequest{Model: "llama3.2", Stream: &no,
		Messages: []api.Message{{Role: "user", Content: "Forecast for Paris?"}}},
		func(r api.ChatResponse) error { got = r; return nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Message.ToolCalls) != 1 {
		t.Fatalf("SDK tool calls %v", got.Message.ToolCalls)
	}
	a := attrs(sr.Ended()[0])
	for k, v := range map[string]string{
		"gen_ai.output.messages.0.message.tool_calls.0.tool_call.function.name":      "get_forecast",
		"gen_ai.output.messages.0.message.tool_calls.0.tool_call.function.arguments": `{"city": "Paris", "days": 2}`,
		"gen_ai.output.messages.0.message.contents.0.message_content.type":           "thinking",
	} {
		if a[k] != v {
			t.Errorf("%s = %q, want %q", k, a[k], v)
		}
	}
}

func TestSDKGenerateAndEmbed(t *testing.T) {
	tp, sr := recorder()
	c := client(t, newServer(t, 200).URL, fiollama.WithTracerProvider(tp))
	var text strings.Builder
	if err := c.Generate(sessionCtx(), &api.GenerateRequest{Model: "llama3.2", Prompt: "Why is the sky blue?"}, func(r api.GenerateResponse) error {
		text.WriteString(r.Response)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if text.String() != "Rayleigh scattering." {
		t.Fatalf("SDK text %q", text.String())
	}
	res, err := c.Embed(sessionCtx(), &api.EmbedRequest{Model: "all-minilm", Input: []string{"Why is the sky blue?", "Why is the grass green?"}})
	if err != nil || len(res.Embeddings) != 2 {
		t.Fatalf("embed %v %v", res, err)
	}
	spans := sr.Ended()
	if len(spans) != 2 {
		t.Fatalf("%d spans", len(spans))
	}
	g, e := attrs(spans[0]), attrs(spans[1])
	if spans[0].Name() != "ollama.generate" || g["gen_ai.output.messages.0.message.content"] != "Rayleigh scattering." || g["gen_ai.usage.output_tokens"] != "4" {
		t.Errorf("generate span %q %v", spans[0].Name(), g)
	}
	if spans[1].Name() != "ollama.embed" || e["gen_ai.span.kind"] != "EMBEDDING" || e["embedding.embeddings.1.embedding.text"] != "Why is the grass green?" ||
		e["embedding.embeddings.0.embedding.vector"] != "[0.010071029,-0.0017594862,0.05007221]" || e["session.id"] != "sess-1" {
		t.Errorf("embed span %q %v", spans[1].Name(), e)
	}
}

func TestSDKError(t *testing.T) {
	tp, sr := recorder()
	c := client(t, newServer(t, 404).URL, fiollama.WithTracerProvider(tp))
	err := c.Chat(sessionCtx(), &api.ChatRequest{Model: "llama9", Messages: []api.Message{{Role: "user", Content: "hi"}}}, func(api.ChatResponse) error { return nil })
	if err == nil {
		t.Fatal("no error")
	}
	spans := sr.Ended()
	if len(spans) != 1 {
		t.Fatalf("%d spans", len(spans))
	}
	if spans[0].Status().Code != codes.Error || !strings.Contains(spans[0].Status().Description, "not found") {
		t.Errorf("status %v", spans[0].Status())
	}
	if attrs(spans[0])["user.id"] != "user-1" {
		t.Error("no user.id on error span")
	}
}

func TestStreamErrorLine(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-ndjson")
		w.Write(fixture(t, "stream_error.ndjson"))
	}))
	defer srv.Close()
	tp, sr := recorder()
	c := client(t, srv.URL, fiollama.WithTracerProvider(tp))
	err := c.Chat(sessionCtx(), &api.ChatRequest{Model: "llama3.2", Messages: []api.Message{{Role: "user", Content: "hi"}}}, func(api.ChatResponse) error { return nil })
	if err == nil {
		t.Fatal("SDK saw no error")
	}
	spans := sr.Ended()
	if len(spans) != 1 || spans[0].Status().Code != codes.Error || !strings.Contains(spans[0].Status().Description, "unexpected EOF") {
		t.Fatalf("spans %v", spans)
	}
}

func TestSuppressTracing(t *testing.T) {
	tp, sr := recorder()
	c := client(t, newServer(t, 200).URL, fiollama.WithTracerProvider(tp))
	if _, err := c.Embed(fi.SuppressTracing(sessionCtx()), &api.EmbedRequest{Model: "m", Input: "x"}); err != nil {
		t.Fatal(err)
	}
	if len(sr.Started()) != 0 {
		t.Fatal("span under SuppressTracing")
	}
}

func TestMasking(t *testing.T) {
	tp, sr := recorder()
	cfg := fi.TraceConfig{HideOutputs: true, HideOutputMessages: true}
	c := client(t, newServer(t, 200).URL, fiollama.WithTracerProvider(tp), fiollama.WithTraceConfig(cfg))
	if err := c.Chat(sessionCtx(), &api.ChatRequest{Model: "llama3.2", Messages: []api.Message{{Role: "user", Content: "hi"}}}, func(api.ChatResponse) error { return nil }); err != nil {
		t.Fatal(err)
	}
	a := attrs(sr.Ended()[0])
	if v, ok := a["output.value"]; ok && v != "__REDACTED__" {
		t.Errorf("output.value = %q", v)
	}
	for k := range a {
		if strings.HasPrefix(k, "gen_ai.output.messages") {
			t.Errorf("hidden %s kept", k)
		}
	}
	if a["gen_ai.input.messages.0.message.content"] != "hi" {
		t.Error("input hidden too")
	}
}

func TestPassThroughBytes(t *testing.T) {
	names, _ := filepath.Glob("testdata/*")
	reqBody := fixture(t, "chat_request.json")
	for _, name := range names {
		want, _ := os.ReadFile(name)
		for _, path := range []string{"/api/chat", "/api/generate", "/api/embed"} {
			var got []byte
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got, _ = io.ReadAll(r.Body)
				w.Header().Set("Content-Type", "application/x-ndjson")
				w.Write(want)
			}))
			tp, _ := recorder()
			hc := &http.Client{Transport: fiollama.NewTransport(nil, fiollama.WithTracerProvider(tp))}
			res, err := hc.Post(srv.URL+path, "application/json", bytes.NewReader(reqBody))
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(res.Body)
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

func TestStreamNotBuffered(t *testing.T) {
	lines := bytes.SplitAfter(fixture(t, "chat_stream.ndjson"), []byte("\n"))
	got := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-ndjson")
		w.Write(lines[0])
		w.(http.Flusher).Flush()
		select {
		case <-got:
		case <-time.After(5 * time.Second):
			return
		}
		for _, l := range lines[1:] {
			w.Write(l)
		}
	}))
	defer srv.Close()
	tp, sr := recorder()
	hc := &http.Client{Transport: fiollama.NewTransport(nil, fiollama.WithTracerProvider(tp))}
	res, err := hc.Post(srv.URL+"/api/chat", "application/json", bytes.NewReader(fixture(t, "chat_request.json")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(res.Body, make([]byte, len(lines[0]))); err != nil {
		t.Fatal(err)
	}
	if len(sr.Ended()) != 0 {
		t.Fatal("span ended before the stream")
	}
	close(got)
	io.ReadAll(res.Body)
	res.Body.Close()
	if len(sr.Ended()) != 1 || attrs(sr.Ended()[0])["gen_ai.usage.total_tokens"] != "152" {
		t.Fatal("span not ended with usage at EOF")
	}
}

func TestStreamCanceled(t *testing.T) {
	lines := bytes.SplitAfter(fixture(t, "chat_stream.ndjson"), []byte("\n"))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-ndjson")
		w.Write(lines[0])
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	defer srv.Close()
	tp, sr := recorder()
	ctx, cancel := context.WithCancel(sessionCtx())
	c := client(t, srv.URL, fiollama.WithTracerProvider(tp))
	// The SDK may or may not report the cancellation; the span must end.
	c.Chat(ctx, &api.ChatRequest{Model: "llama3.2", Messages: []api.Message{{Role: "user", Content: "hi"}}}, func(api.ChatResponse) error {
		cancel()
		return nil
	})
	if len(sr.Ended()) != 1 {
		t.Fatalf("%d spans ended after cancel", len(sr.Ended()))
	}
	if a := attrs(sr.Ended()[0]); a["gen_ai.output.messages.0.message.content"] != "It" {
		t.Errorf("partial output %v", a)
	}
	if st := sr.Ended()[0].Status(); st.Code != codes.Error || !strings.Contains(st.Description, "canceled") {
		t.Errorf("status %v", st)
	}
}
