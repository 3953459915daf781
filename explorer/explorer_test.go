package explorer_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/traceai-go/traceai/explorer"
	"github.com/traceai-go/traceai/explorer/internal/spanconv"
	"github.com/traceai-go/traceai/explorer/internal/synth"
	"github.com/traceai-go/traceai/explorer/store"
	"github.com/traceai-go/traceai/fi"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	_ "modernc.org/sqlite"
)

var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

func start(t testing.TB, opts ...explorer.Option) *explorer.Explorer {
	t.Helper()
	// Test defaults first: the test's own options override them.
	opts = append([]explorer.Option{
		explorer.WithLogger(slog.New(slog.DiscardHandler)),
		testDB(t),
		explorer.WithHTTPAddr("127.0.0.1:0"),
		explorer.WithOTLPHTTPAddr("127.0.0.1:0"),
		explorer.WithOTLPGRPCAddr("127.0.0.1:0"),
	}, opts...)
	x, err := explorer.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	if err := x.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := x.Shutdown(ctx); err != nil {
			t.Error("shutdown:", err)
		}
	})
	return x
}

func conversation(id, user string, at time.Time) synth.Conversation {
	return synth.Conversation{
		SessionID: id, UserID: user, Tags: []string{"otlp"}, Start: at,
		Turns: []synth.Turn{
			{User: "<script>alert(1)</script> hi", Assistant: "hello <b>there</b>", Latency: 300 * time.Millisecond, InTokens: 12, OutTokens: 4},
			{User: "what's new?", Assistant: "not much", Latency: 350 * time.Millisecond, InTokens: 30, OutTokens: 3},
			{User: "fail please", Latency: 200 * time.Millisecond, InTokens: 40, Error: "boom"},
		},
	}
}

// dbCount counts rows straight from the database file.
func dbCount(t *testing.T, path, q string, args ...any) int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// sessionSpanRows counts the rows of the spans table in a session's traces.
const sessionSpanRows = `SELECT count(*) FROM spans s JOIN traces t ON t.trace_id = s.trace_id WHERE t.session_id = ?`

// sessionSpans returns the spans of a session's traces as the store reads
// them back.
func sessionSpans(t *testing.T, st store.Reader, sessionID string) []store.Span {
	t.Helper()
	ctx := context.Background()
	d, err := st.GetSession(ctx, sessionID)
	if err != nil {
		t.Fatal(err)
	}
	var out []store.Span
	for _, turn := range d.Turns {
		tr, err := st.GetTrace(ctx, turn.TraceID)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, tr.Spans...)
	}
	return out
}

func getJSON(t *testing.T, url string, want int, into any) http.Header {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("GET %s: %d %s, want %d", url, resp.StatusCode, body, want)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("GET %s: Content-Type %q", url, ct)
	}
	if into != nil {
		if err := json.Unmarshal(body, into); err != nil {
			t.Fatalf("GET %s: %v in %s", url, err, body)
		}
	}
	return resp.Header
}

func TestOTLPFromStockExporters(t *testing.T) {
	x := start(t)
	ctx := context.Background()
	res := resource.NewSchemaless()

	httpExp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(x.OTLPHTTPEndpoint()+"/v1/traces"),
		otlptracehttp.WithCompression(otlptracehttp.GzipCompression))
	if err != nil {
		t.Fatal(err)
	}
	grpcExp, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(x.OTLPGRPCAddr()), otlptracegrpc.WithInsecure(),
		otlptracegrpc.WithCompressor("gzip"))
	if err != nil {
		t.Fatal(err)
	}
	httpJSON := &jsonExporter{url: x.OTLPHTTPEndpoint() + "/v1/traces"}
	for i, exp := range []sdktrace.SpanExporter{httpExp, grpcExp, httpJSON} {
		tp := sdktrace.NewTracerProvider(sdktrace.WithResource(res), sdktrace.WithSpanProcessor(fi.NewSpanProcessor()),
			sdktrace.WithBatcher(exp))
		synth.Emit(ctx, tp, conversation(fmt.Sprintf("sess-%d", i), fmt.Sprintf("user-%d", i), t0.Add(time.Duration(i)*time.Hour)))
		// Shutdown flushes; an exporter returns only after the receiver
		// acknowledged, i.e. after the commit.
		if err := tp.Shutdown(ctx); err != nil {
			t.Fatalf("exporter %d: %v", i, err)
		}
	}

	for i := range 3 {
		sid := fmt.Sprintf("sess-%d", i)
		if n := spanRows(t, x, sid); n != 6 {
			t.Errorf("%s: %d span rows, want 6", sid, n)
		}
		llm := 0
		for _, sp := range sessionSpans(t, x.Store(), sid) {
			if sp.SessionID == sid && sp.UserID == fmt.Sprintf("user-%d", i) && sp.SpanKind == "LLM" && sp.Model == "gpt-4o-mini" {
				llm++
			}
		}
		if llm != 3 {
			t.Errorf("%s: %d LLM spans", sid, llm)
		}
	}

	// The fixed shape of /api/sessions.
	var got struct {
		Sessions []map[string]any `json:"sessions"`
		Next     *string          `json:"next"`
	}
	h := getJSON(t, x.UIURL()+"/api/sessions", 200, &got)
	if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Content-Security-Policy") == "" {
		t.Errorf("headers %v", h)
	}
	if len(got.Sessions) != 3 || got.Next == nil || *got.Next != "" {
		t.Fatalf("sessions %v next %v", got.Sessions, got.Next)
	}
	s := got.Sessions[0] // newest: the JSON exporter's
	for k, want := range map[string]any{"session_id": "sess-2", "user_id": "user-2", "traces": 3.0, "spans": 6.0,
		"errors": 2.0, "input_tokens": 42.0, "output_tokens": 7.0, "first_input": "<script>alert(1)</script> hi",
		"last_output": "not much"} {
		if s[k] != want {
			t.Errorf("%s = %#v, want %#v", k, s[k], want)
		}
	}
	for _, k := range []string{"start", "end"} {
		str, _ := s[k].(string)
		if _, err := time.Parse(time.RFC3339, str); err != nil {
			t.Errorf("%s = %#v, not RFC 3339", k, s[k])
		}
	}
	if s["start"] != "2026-03-01T12:00:00Z" {
		t.Errorf("start = %v", s["start"])
	}

	var users struct {
		Users []map[string]any `json:"users"`
		Next  string           `json:"next"`
	}
	getJSON(t, x.UIURL()+"/api/users?sort=traces&order=desc&limit=2", 200, &users)
	if len(users.Users) != 2 || users.Next == "" {
		t.Fatalf("users page: %+v", users)
	}
	for _, k := range []string{"user_id", "sessions", "traces", "errors", "input_tokens", "output_tokens", "last_seen"} {
		if _, ok := users.Users[0][k]; !ok {
			t.Errorf("user row lacks %q", k)
		}
	}
	var rest struct {
		Users []map[string]any `json:"users"`
		Next  string           `json:"next"`
	}
	getJSON(t, x.UIURL()+"/api/users?sort=traces&order=desc&limit=2&cursor="+users.Next, 200, &rest)
	if len(rest.Users) != 1 || rest.Next != "" || rest.Users[0]["user_id"] == users.Users[0]["user_id"] || rest.Users[0]["user_id"] == users.Users[1]["user_id"] {
		t.Errorf("second users page: %+v", rest)
	}

	var detail store.SessionDetail
	getJSON(t, x.UIURL()+"/api/sessions/sess-1", 200, &detail)
	if len(detail.Turns) != 3 || detail.Turns[2].Reasons[0] != "error" || detail.Turns[0].Input != "<script>alert(1)</script> hi" {
		t.Errorf("session detail %+v", detail)
	}
	var tr store.TraceDetail
	getJSON(t, x.UIURL()+"/api/traces/"+detail.Turns[0].TraceID, 200, &tr)
	if len(tr.Spans) != 2 || tr.SessionID != "sess-1" || tr.Spans[1].OutputMessages[0].Content != "hello <b>there</b>" {
		t.Errorf("trace %+v", tr)
	}
	var rk store.Ranking
	getJSON(t, x.UIURL()+"/api/rankings?by=user&metric=tokens&order=best&limit=1", 200, &rk)
	// The three exporters sent the same turns: every user has the same
	// token count, so there is nothing to rank.
	if len(rk.Rows) != 0 || !rk.Tied || rk.TiedValue != 49 {
		t.Errorf("rankings %+v, want a tie at 49 tokens", rk)
	}
	var ov store.Overview
	getJSON(t, x.UIURL()+"/api/overview", 200, &ov)
	if ov.Sessions != 3 || ov.Spans != 18 {
		t.Errorf("overview %+v", ov)
	}
}

// jsonExporter sends OTLP/JSON the way the JavaScript exporters do: ids as
// hex, enums as numbers, camelCase keys.
type jsonExporter struct{ url string }

func (e *jsonExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	body, err := otlpJSON(spanconv.ToProto(spans))
	if err != nil {
		return err
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return fmt.Errorf("%d %s", resp.StatusCode, b)
	}
	return nil
}

func (e *jsonExporter) Shutdown(context.Context) error { return nil }

func TestAPIErrors(t *testing.T) {
	x := start(t, explorer.WithOTLPGRPCAddr(explorer.Off))
	base := x.UIURL()
	for _, c := range []struct {
		path string
		code int
	}{
		{"/api/sessions?limit=abc", 400},
		{"/api/sessions?limit=100000", 400},
		{"/api/sessions?sort=nope", 400},
		{"/api/sessions?since=yesterday", 400},
		{"/api/sessions?has_errors=maybe", 400},
		{"/api/sessions?cursor=zzz", 400},
		{"/api/sessions?bogus=1", 400},
		{"/api/sessions?user_id=a&user_id=b", 400},
		{"/api/sessions?order=up", 400},
		{"/api/users?sort=cost&cursor=eyJ9", 400},
		{"/api/rankings?metric=happiness", 400},
		{"/api/rankings?by=team", 400},
		{"/api/traces/xyz", 400},
		{"/api/traces/0123456789abcdef0123456789abcdef", 404},
		{"/api/sessions/none", 404},
		{"/api/users/none", 404},
		{"/api/nothing", 404},
		{"/api/sessions?since=24h&until=2030-01-01&has_errors=false&sort=cost&order=asc", 200},
		// Outside 1678-2262 nanoseconds overflow: a bound that matched
		// everything is refused instead.
		{"/api/sessions?since=1500-01-01", 400},
		{"/api/sessions?until=2300-01-01", 400},
		{"/api/users?since=1600-06-01T00:00:00Z", 400},
		{"/api/users?until=9999-12-31", 400},
		{"/api/rankings?since=1200-01-01", 400},
		{"/api/sessions?since=1700-01-01&until=2200-01-01", 200},
	} {
		var e map[string]any
		getJSON(t, base+c.path, c.code, &e)
		if c.code != 200 && (e["error"] == nil || e["error"] == "") {
			t.Errorf("%s: no error message: %v", c.path, e)
		}
	}
	resp, err := http.Post(base+"/api/sessions", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 {
		t.Errorf("POST /api/sessions: %d", resp.StatusCode)
	}
	// DNS rebinding: a foreign Host is refused on a loopback listener.
	req, _ := http.NewRequest("GET", base+"/api/sessions", nil)
	req.Host = "attacker.example:7070"
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMisdirectedRequest {
		t.Errorf("foreign Host: %d", resp.StatusCode)
	}
	if resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Error("CORS header set")
	}
}

func post(t *testing.T, url, ct, enc string, body []byte) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	if enc != "" {
		req.Header.Set("Content-Encoding", enc)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func sampleRequest(t *testing.T, session string) *coltracepb.ExportTraceServiceRequest {
	t.Helper()
	mem := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(fi.NewSpanProcessor()), sdktrace.WithSyncer(mem))
	synth.Emit(context.Background(), tp, conversation(session, "u", t0))
	return &coltracepb.ExportTraceServiceRequest{ResourceSpans: spanconv.ToProto(mem.GetSpans().Snapshots())}
}

func TestOTLPMalformedAndLimits(t *testing.T) {
	x := start(t, explorer.WithMaxBodyBytes(64<<10), explorer.WithOTLPGRPCAddr(explorer.Off))
	url := x.OTLPHTTPEndpoint() + "/v1/traces"
	good, _ := proto.Marshal(sampleRequest(t, "good"))
	if code, b := post(t, url, "application/x-protobuf", "", good); code != 200 {
		t.Fatalf("good batch: %d %s", code, b)
	}
	goodJSON, err := otlpJSON(sampleRequest(t, "good-json").ResourceSpans)
	if err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte{'a'}, 70<<10)
	bomb := gz(append(append([]byte{}, good...), make([]byte, 1<<20)...))
	partial := sampleRequest(t, "partial")
	partial.ResourceSpans[0].ScopeSpans[0].Spans[0].TraceId = []byte{1, 2, 3}
	partialBytes, _ := proto.Marshal(partial)
	// The same in OTLP/JSON: one bad id rejects its span, not the request.
	partialJSON, err := otlpJSON(sampleRequest(t, "partial-json").ResourceSpans)
	if err != nil {
		t.Fatal(err)
	}
	if loc := regexp.MustCompile(`"traceId":"[0-9a-f]{32}"`).FindIndex(partialJSON); loc != nil {
		partialJSON = slices.Concat(partialJSON[:loc[0]], []byte(`"traceId":"not-hex"`), partialJSON[loc[1]:])
	} else {
		t.Fatalf("no traceId in %s", partialJSON)
	}
	// Kvlists nested 40 deep, which protobuf accepts, are accepted in JSON.
	deep := `{"stringValue":"leaf"}`
	for range 40 {
		deep = `{"kvlistValue":{"values":[{"key":"k","value":` + deep + `}]}}`
	}
	deepJSON := []byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708","name":"deep","attributes":[{"key":"a","value":` + deep + `}]}]}]}]}`)

	for _, c := range []struct {
		name, ct, enc string
		body          []byte
		code          int
		msg           string
	}{
		{"garbage protobuf", "application/x-protobuf", "", []byte{0xff, 0xff, 0xff, 0x01}, 400, "malformed OTLP protobuf"},
		{"truncated protobuf", "application/x-protobuf", "", good[:len(good)/2], 400, "malformed"},
		{"garbage JSON", "application/json", "", []byte(`{"resourceSpans":[`), 400, "malformed OTLP JSON"},
		{"JSON bad id", "application/json", "", []byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"xyz","spanId":"0102030405060708"}]}]}]}`), 200, "rejected"},
		{"JSON partial", "application/json", "", partialJSON, 200, "1 spans rejected"},
		{"JSON deep kvlist", "application/json", "", deepJSON, 200, ""},
		{"JSON array", "application/json", "", []byte(`[1,2]`), 400, "not a JSON object"},
		{"text/plain", "text/plain", "", good, 415, "Content-Type"},
		{"no content type", "", "", good, 415, "Content-Type"},
		{"brotli", "application/x-protobuf", "br", good, 415, "Content-Encoding"},
		{"bad gzip", "application/x-protobuf", "gzip", []byte("not gzip"), 400, "gzip"},
		{"too large", "application/x-protobuf", "", big, 413, "larger than"},
		{"gzip bomb", "application/x-protobuf", "gzip", bomb, 413, "larger than"},
		{"gzip protobuf", "application/x-protobuf", "gzip", gz(good), 200, ""},
		{"JSON", "application/json; charset=utf-8", "", goodJSON, 200, ""},
		{"partial", "application/x-protobuf", "", partialBytes, 200, ""},
	} {
		code, body := post(t, url, c.ct, c.enc, c.body)
		if code != c.code || !bytes.Contains(body, []byte(c.msg)) {
			t.Errorf("%s: %d %q, want %d with %q", c.name, code, body, c.code, c.msg)
		}
		if c.name == "partial" {
			var resp coltracepb.ExportTraceServiceResponse
			if err := proto.Unmarshal(body, &resp); err != nil || resp.GetPartialSuccess().GetRejectedSpans() != 1 {
				t.Errorf("partial: %v %v", err, &resp)
			}
		}
	}
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 {
		t.Errorf("GET /v1/traces: %d", resp.StatusCode)
	}
	// Nothing stored before was harmed; the valid spans of the partial batch
	// are in.
	for sid, want := range map[string]int{"good": 6, "good-json": 6, "partial": 5, "partial-json": 5} {
		if n := spanRows(t, x, sid); n != want {
			t.Errorf("%s: %d spans, want %d", sid, n, want)
		}
	}
}

func TestSeparatePorts(t *testing.T) {
	x := start(t, explorer.WithHTTPAddr("127.0.0.1:0"), explorer.WithOTLPHTTPAddr("127.0.0.1:0"), explorer.WithOTLPGRPCAddr(explorer.Off))
	if x.UIURL() == x.OTLPHTTPEndpoint() {
		t.Fatal("port 0 twice must give two listeners")
	}
	if x.OTLPGRPCAddr() != "" {
		t.Errorf("gRPC should be off: %q", x.OTLPGRPCAddr())
	}
	// HTTPAddr "127.0.0.1:0" twice means two listeners on different ports;
	// the UI server also accepts /v1/traces.
	good, _ := proto.Marshal(sampleRequest(t, "shared"))
	if code, b := post(t, x.UIURL()+"/v1/traces", "application/x-protobuf", "", good); code != 200 {
		t.Fatalf("%d %s", code, b)
	}
	if code, _ := post(t, x.OTLPHTTPEndpoint()+"/api/sessions", "application/json", "", nil); code != 404 {
		t.Errorf("API on the OTLP port: %d", code)
	}
}

func TestPagesMounted(t *testing.T) {
	x := start(t, explorer.WithOTLPGRPCAddr(explorer.Off))
	good, _ := proto.Marshal(sampleRequest(t, "page-sess"))
	if code, b := post(t, x.OTLPHTTPEndpoint()+"/v1/traces", "application/x-protobuf", "", good); code != 200 {
		t.Fatalf("%d %s", code, b)
	}
	for _, p := range []string{"/", "/sessions/page-sess", "/users", "/rankings"} {
		resp, err := http.Get(x.UIURL() + p)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			t.Errorf("%s: %d %s", p, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if resp.Header.Get("Content-Security-Policy") == "" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: security headers missing: %v", p, resp.Header)
		}
		if bytes.Contains(body, []byte("<script>alert(1)</script>")) {
			t.Errorf("%s: prompt HTML rendered unescaped", p)
		}
	}
}

// TestOTLPStoresSpansAsReceived checks that a span received as protobuf is
// stored as the bytes it came in (its fields in the sender's order, here
// not the order proto.Marshal writes), not encoded again, and reads back
// the same; a span rejected beside it does not shift the pairing.
func TestOTLPStoresSpansAsReceived(t *testing.T) {
	x := start(t, explorer.WithOTLPGRPCAddr(explorer.Off))
	req := sampleRequest(t, "as-received")
	rs := req.ResourceSpans[0]
	ss := rs.ScopeSpans[0]
	target := ss.Spans[len(ss.Spans)-1]
	// The target's name last, after its attributes.
	named := proto.Clone(target).(*tracepb.Span)
	named.Name = ""
	raw, err := proto.Marshal(named)
	if err != nil {
		t.Fatal(err)
	}
	raw = protowire.AppendTag(raw, 5, protowire.BytesType)
	raw = protowire.AppendString(raw, target.Name)
	if again, _ := proto.Marshal(target); bytes.Equal(again, raw) {
		t.Fatal("the test span encodes as proto.Marshal would")
	}
	invalid := &tracepb.Span{TraceId: make([]byte, 16), SpanId: []byte{1, 2, 3, 4, 5, 6, 7, 8}, Name: "zero trace id"}
	var scope []byte // ScopeSpans: an invalid span, the others, the target
	for _, sp := range append([]*tracepb.Span{invalid}, ss.Spans[:len(ss.Spans)-1]...) {
		b, _ := proto.Marshal(sp)
		scope = protowire.AppendTag(scope, 2, protowire.BytesType)
		scope = protowire.AppendBytes(scope, b)
	}
	scope = protowire.AppendTag(scope, 2, protowire.BytesType)
	scope = protowire.AppendBytes(scope, raw)
	res, _ := proto.Marshal(rs.Resource)
	var resourceSpans []byte
	resourceSpans = protowire.AppendTag(resourceSpans, 1, protowire.BytesType)
	resourceSpans = protowire.AppendBytes(resourceSpans, res)
	resourceSpans = protowire.AppendTag(resourceSpans, 2, protowire.BytesType)
	resourceSpans = protowire.AppendBytes(resourceSpans, scope)
	body := protowire.AppendTag(nil, 1, protowire.BytesType)
	body = protowire.AppendBytes(body, resourceSpans)

	if code, b := post(t, x.OTLPHTTPEndpoint()+"/v1/traces", "application/x-protobuf", "", body); code != 200 {
		t.Fatalf("%d %s", code, b)
	}
	st, ok := x.Store().(*store.Store)
	if !ok {
		t.Skip("the bytes stored are the SQLite store's")
	}
	db, err := sql.Open("sqlite", "file:"+st.Path()+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var stored []byte
	if err := db.QueryRow(`SELECT data FROM spans WHERE span_id = ?`, hex.EncodeToString(target.SpanId)).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(stored, raw) {
		t.Errorf("stored %x\nwant the received %x", stored, raw)
	}
	d, err := x.Store().GetTrace(context.Background(), hex.EncodeToString(target.TraceId))
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, sp := range d.Spans {
		found = found || sp.Name == target.Name
	}
	if !found {
		t.Errorf("the trace does not show the span %q", target.Name)
	}
}

// An address without a host means loopback, not every interface, and the
// listeners say where they are really bound.
func TestEmptyHostIsLoopback(t *testing.T) {
	x := start(t, explorer.WithHTTPAddr(":0"), explorer.WithOTLPHTTPAddr(":0"), explorer.WithOTLPGRPCAddr(":0"))
	addrs := x.ListenAddrs()
	if len(addrs) != 3 {
		t.Fatalf("listeners %v, want http, otlp-http and otlp-grpc", addrs)
	}
	for name, a := range addrs {
		if !strings.HasPrefix(a, "127.0.0.1:") {
			t.Errorf("%s bound to %s, want loopback", name, a)
		}
	}
}
