package fimcp_test

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/fi/semconv"
	"github.com/traceai-go/traceai/instrumentation/fimcp"
)

const stdioEnv = "FIMCP_TEST_STDIO_SPANS"

type spanLine struct {
	Name, Trace, Parent, Session, Kind string
}

// lineWriter writes each ended span as a JSON line.
type lineWriter struct {
	mu  sync.Mutex
	enc *json.Encoder
}

func (w *lineWriter) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (w *lineWriter) OnEnd(s sdktrace.ReadOnlySpan) {
	w.mu.Lock()
	defer w.mu.Unlock()
	_ = w.enc.Encode(spanLine{s.Name(), s.SpanContext().TraceID().String(), s.Parent().SpanID().String(),
		attrs(s)[semconv.SessionID], s.SpanKind().String()})
}
func (w *lineWriter) Shutdown(context.Context) error   { return nil }
func (w *lineWriter) ForceFlush(context.Context) error { return nil }

// TestStdioServerProcess is the MCP server of TestCommandTransport when run
// as a subprocess; otherwise it does nothing.
func TestStdioServerProcess(t *testing.T) {
	path := os.Getenv(stdioEnv)
	if path == "" {
		t.Skip("only runs as TestCommandTransport's subprocess")
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(fi.NewSpanProcessor()), sdktrace.WithSpanProcessor(&lineWriter{enc: json.NewEncoder(f)}))
	server := newServer(tp, &seen{byArg: map[string][2]string{}}, []fimcp.Option{fimcp.WithTracerProvider(tp)})
	if err := server.Run(context.Background(), &mcp.StdioTransport{}); err != nil {
		t.Log(err)
	}
}

// TestCommandTransport calls a tool of a server in a subprocess over stdio:
// the server's spans, written by the subprocess, are in the client's trace
// with its session.
func TestCommandTransport(t *testing.T) {
	path := filepath.Join(t.TempDir(), "spans.jsonl")
	cmd := exec.Command(os.Args[0], "-test.run=^TestStdioServerProcess$")
	cmd.Env = append(os.Environ(), stdioEnv+"="+path)
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	client := mcp.NewClient(&mcp.Implementation{Name: "agent", Version: "1"}, nil)
	client.AddSendingMiddleware(fimcp.ClientMiddleware(fimcp.WithTracerProvider(tp)))
	cs, err := client.Connect(context.Background(), &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := fi.UsingSession(context.Background(), "sess-stdio")
	if _, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "lookup", Arguments: map[string]any{"order": "S1"}}); err != nil {
		t.Fatal(err)
	}
	if err := cs.Close(); err != nil {
		t.Logf("close: %v", err)
	}
	cli := one(t, rec, "tools/call lookup", trace.SpanKindClient)
	file, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	got := map[string]spanLine{}
	for sc := bufio.NewScanner(file); sc.Scan(); {
		var l spanLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		got[l.Name+"/"+l.Kind] = l
	}
	srv, ok := got["tools/call lookup/server"]
	if !ok {
		t.Fatalf("no server span from the subprocess: %v", got)
	}
	if srv.Trace != cli.SpanContext().TraceID().String() || srv.Parent != cli.SpanContext().SpanID().String() || srv.Session != "sess-stdio" {
		t.Errorf("server span %+v, client trace %s span %s", srv, cli.SpanContext().TraceID(), cli.SpanContext().SpanID())
	}
	if db := got["db.query/internal"]; db.Trace != srv.Trace || db.Session != "sess-stdio" {
		t.Errorf("handler span %+v", db)
	}
}
