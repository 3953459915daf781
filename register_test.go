package traceai_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/traceai-go/traceai"
	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/fi/semconv"
)

// emit starts and ends one span through a plain OpenTelemetry tracer (not
// fi.Tracer, so masking must happen in Register's pipeline) inside a
// session and user scope.
func emit(tp *sdktrace.TracerProvider) {
	ctx := fi.UsingSession(context.Background(), "sess-1")
	ctx = fi.UsingUser(ctx, "user-1")
	_, span := tp.Tracer("test").Start(ctx, "llm-call")
	span.SetAttributes(
		semconv.InputValue.String("secret prompt"),
		semconv.InputMimeType.String("text/plain"),
		semconv.OutputValue.String("answer"),
	)
	span.End()
}

func hideInputs() traceai.Option {
	return traceai.WithTraceConfig(fi.TraceConfig{HideInputs: true})
}

// checkWireSpan asserts on the span emit produced, as decoded from the wire.
func checkWireSpan(t *testing.T, spans []*tracepb.Span) {
	t.Helper()
	if len(spans) != 1 {
		t.Fatalf("received %d spans, want 1", len(spans))
	}
	a := kvMap(spans[0].Attributes)
	for k, want := range map[attribute.Key]string{
		semconv.SessionID:   "sess-1",
		semconv.UserID:      "user-1",
		semconv.InputValue:  fi.RedactedValue,
		semconv.OutputValue: "answer",
	} {
		if got := anyString(a[string(k)]); got != want {
			t.Errorf("span %s = %q, want %q", k, got, want)
		}
	}
	if _, ok := a[string(semconv.InputMimeType)]; ok {
		t.Errorf("input.mime_type reached the wire although inputs are hidden")
	}
	if spans[0].Status.GetCode() != tracepb.Status_STATUS_CODE_OK {
		t.Errorf("status = %v, want OK (reference sets OK on unset status)", spans[0].Status.GetCode())
	}
}

func checkResource(t *testing.T, r received, want map[string]string) {
	t.Helper()
	if len(r.req.ResourceSpans) == 0 {
		t.Fatal("no resource spans")
	}
	res := kvMap(r.req.ResourceSpans[0].Resource.Attributes)
	for k, w := range want {
		if got := anyString(res[k]); got != w {
			t.Errorf("resource %s = %q, want %q", k, got, w)
		}
	}
	if id := anyString(res[string(traceai.ResourceProjectVersionID)]); len(id) != 36 {
		t.Errorf("project_version_id = %q, want a uuid", id)
	}
}

func TestRegisterHTTPWire(t *testing.T) {
	clearExportEnv(t)
	rcv := newHTTPReceiver(t)
	ctx := context.Background()
	tp, err := traceai.Register(ctx,
		traceai.WithEndpoint(rcv.URL),
		traceai.WithProjectName("support-bot"),
		traceai.WithProjectVersionName("v7"),
		traceai.WithAPIKey("ak-123"), traceai.WithSecretKey("sk-456"),
		traceai.WithHeaders(map[string]string{"X-Team": "payments"}),
		traceai.WithMetadata(map[string]any{"env": "test", "n": 1}),
		traceai.WithEvalTags(traceai.EvalTag{Value: semconv.SpanKindLLM, EvalName: "toxicity", CustomEvalName: "tox", Model: "turing_small"}),
		traceai.WithOutput(io.Discard),
		hideInputs(),
	)
	if err != nil {
		t.Fatal(err)
	}
	emit(tp)
	if err := tp.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	reqs := rcv.requests()
	if len(reqs) != 1 {
		t.Fatalf("got %d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.path != "/v1/traces" {
		t.Errorf("path = %q, want /v1/traces", r.path)
	}
	for k, want := range map[string]string{"x-api-key": "ak-123", "x-secret-key": "sk-456", "x-team": "payments", "content-type": "application/x-protobuf"} {
		if r.headers[k] != want {
			t.Errorf("header %s = %q, want %q", k, r.headers[k], want)
		}
	}
	checkResource(t, r, map[string]string{
		"project_name":         "support-bot",
		"project_type":         "experiment",
		"project_version_name": "v7",
		"metadata":             `{"env": "test", "n": 1}`,
		"eval_tags":            `[{"type": "OBSERVATION_SPAN_TYPE", "value": "LLM", "eval_name": "toxicity", "config": {}, "mapping": {}, "custom_eval_name": "tox", "model": "turing_small"}]`,
		"semantic_convention":  "fi",
		"service.name":         "support-bot",
	})
	checkWireSpan(t, rcv.spans())
}

func TestRegisterGRPCWire(t *testing.T) {
	clearExportEnv(t)
	rcv := newGRPCReceiver(t)
	ctx := context.Background()
	tp, err := traceai.Register(ctx,
		traceai.WithTransport(traceai.TransportGRPC),
		traceai.WithEndpoint(rcv.Addr),
		traceai.WithProjectName("grpc-bot"),
		traceai.WithProjectType(traceai.Observe),
		traceai.WithHeaders(map[string]string{"X-Team": "search"}),
		traceai.WithOutput(io.Discard),
		hideInputs(),
	)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("FI_API_KEY", "ignored-after-register")
	emit(tp)
	if err := tp.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	reqs := rcv.requests()
	if len(reqs) != 1 {
		t.Fatalf("got %d requests, want 1", len(reqs))
	}
	if reqs[0].headers["x-team"] != "search" {
		t.Errorf("metadata x-team = %q", reqs[0].headers["x-team"])
	}
	if _, ok := reqs[0].headers["x-api-key"]; ok {
		t.Errorf("x-api-key sent without keys configured")
	}
	checkResource(t, reqs[0], map[string]string{
		"project_name":         "grpc-bot",
		"project_type":         "observe",
		"project_version_name": "DEFAULT_PROJECT_VERSION_NAME",
		"eval_tags":            "[]",
		"metadata":             "{}",
	})
	checkWireSpan(t, rcv.spans())
}

func TestRegisterGRPCKeysLowerCase(t *testing.T) {
	clearExportEnv(t)
	rcv := newGRPCReceiver(t)
	t.Setenv("FI_API_KEY", "ak")
	t.Setenv("FI_SECRET_KEY", "sk")
	t.Setenv("FI_GRPC_URL", "http://"+rcv.Addr)
	tp, err := traceai.Register(context.Background(), traceai.WithTransport(traceai.TransportGRPC), traceai.WithOutput(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	emit(tp)
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	reqs := rcv.requests()
	if len(reqs) != 1 || reqs[0].headers["x-api-key"] != "ak" || reqs[0].headers["x-secret-key"] != "sk" {
		t.Fatalf("requests = %d, headers = %v", len(reqs), reqs)
	}
}

func TestRegisterFIBaseURL(t *testing.T) {
	clearExportEnv(t)
	rcv := newHTTPReceiver(t)
	t.Setenv("FI_BASE_URL", rcv.URL+"/some/path")
	t.Setenv("FI_API_KEY", "ak")
	t.Setenv("FI_SECRET_KEY", "sk")
	t.Setenv("FI_PROJECT_NAME", "from-env")
	t.Setenv("FI_PROJECT_VERSION_NAME", "env-version")
	// OTEL variables lose to FI_BASE_URL, and their headers stay away from Future AGI.
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1")
	t.Setenv("OTEL_EXPORTER_OTLP_HEADERS", "authorization=Basic%20other")
	tp, err := traceai.Register(context.Background(), traceai.WithOutput(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	emit(tp)
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	reqs := rcv.requests()
	if len(reqs) != 1 {
		t.Fatalf("got %d requests", len(reqs))
	}
	r := reqs[0]
	if r.path != "/tracer/v1/traces" {
		t.Errorf("path = %q, want /tracer/v1/traces (FI_BASE_URL path replaced)", r.path)
	}
	if r.headers["x-api-key"] != "ak" || r.headers["x-secret-key"] != "sk" {
		t.Errorf("auth headers = %q %q", r.headers["x-api-key"], r.headers["x-secret-key"])
	}
	if _, ok := r.headers["authorization"]; ok {
		t.Errorf("OTEL_EXPORTER_OTLP_HEADERS sent to Future AGI")
	}
	checkResource(t, r, map[string]string{"project_name": "from-env", "project_version_name": "env-version"})
}

func TestRegisterOTELEnv(t *testing.T) {
	clearExportEnv(t)
	rcv := newHTTPReceiver(t)
	t.Setenv("FI_API_KEY", "ak")
	t.Setenv("FI_SECRET_KEY", "sk")
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", rcv.URL+"/")
	t.Setenv("OTEL_EXPORTER_OTLP_HEADERS", "authorization=Basic%20cGs6c2s=, x-extra = 1,broken")
	t.Setenv("OTEL_SERVICE_NAME", "checkout")
	errs := handleErrors(t)
	tp, err := traceai.Register(context.Background(), traceai.WithOutput(io.Discard), traceai.WithProjectName("p"))
	if err != nil {
		t.Fatal(err)
	}
	emit(tp)
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	reqs := rcv.requests()
	if len(reqs) != 1 {
		t.Fatalf("got %d requests", len(reqs))
	}
	r := reqs[0]
	if r.path != "/v1/traces" {
		t.Errorf("path = %q", r.path)
	}
	if r.headers["authorization"] != "Basic cGs6c2s=" || r.headers["x-extra"] != "1" {
		t.Errorf("OTEL headers not applied: %v", r.headers)
	}
	if _, ok := r.headers["x-api-key"]; ok {
		t.Errorf("Future AGI key sent to an OTEL_EXPORTER_OTLP_ENDPOINT destination")
	}
	checkResource(t, r, map[string]string{"service.name": "checkout", "project_name": "p"})
	var malformed bool
	for _, e := range errs.all() {
		malformed = malformed || strings.Contains(e.Error(), "malformed header")
	}
	if !malformed {
		t.Errorf("malformed header segment not reported; got %v", errs.all())
	}
}

func TestRegisterOTELTracesEndpointVerbatim(t *testing.T) {
	clearExportEnv(t)
	rcv := newHTTPReceiver(t)
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", rcv.URL+"/api/public/otel/v1/traces")
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1")
	tp, err := traceai.Register(context.Background(), traceai.WithOutput(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	emit(tp)
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if reqs := rcv.requests(); len(reqs) != 1 || reqs[0].path != "/api/public/otel/v1/traces" {
		t.Fatalf("requests = %+v", reqs)
	}
}

func TestRegisterOTELProtocolGRPC(t *testing.T) {
	clearExportEnv(t)
	rcv := newGRPCReceiver(t)
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://"+rcv.Addr)
	tp, err := traceai.Register(context.Background(), traceai.WithOutput(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	emit(tp)
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(rcv.spans()); n != 1 {
		t.Fatalf("gRPC receiver got %d spans", n)
	}
}

func TestRegisterAuthorizationReplacesKeys(t *testing.T) {
	clearExportEnv(t)
	rcv := newHTTPReceiver(t)
	tp, err := traceai.Register(context.Background(), traceai.WithEndpoint(rcv.URL), traceai.WithAPIKey("ak"), traceai.WithSecretKey("sk"),
		traceai.WithHeaders(map[string]string{"Authorization": "Bearer t"}), traceai.WithOutput(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	emit(tp)
	_ = tp.Shutdown(context.Background())
	r := rcv.requests()[0]
	if r.headers["authorization"] != "Bearer t" || r.headers["x-api-key"] != "" {
		t.Fatalf("headers = %v", r.headers)
	}
}

func TestRegisterDefaultLocalExplorer(t *testing.T) {
	clearExportEnv(t)
	var out bytes.Buffer
	tp, err := traceai.Register(context.Background(), traceai.WithOutput(&out))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = tp.Shutdown(ctx)
	notice := out.String()
	if strings.Count(notice, "\n") != 1 || !strings.Contains(notice, "http://127.0.0.1:4318/v1/traces") {
		t.Fatalf("notice = %q, want one line naming the local explorer", notice)
	}

	// Only one of the two keys: still the explorer, never a crash.
	t.Setenv("FI_API_KEY", "ak")
	out.Reset()
	tp, err = traceai.Register(context.Background(), traceai.WithOutput(&out), traceai.WithTransport(traceai.TransportGRPC))
	if err != nil {
		t.Fatal(err)
	}
	_ = tp.Shutdown(ctx)
	if !strings.Contains(out.String(), "127.0.0.1:4317") {
		t.Fatalf("gRPC notice = %q", out.String())
	}
}

func TestRegisterValidation(t *testing.T) {
	clearExportEnv(t)
	mem := tracetest.NewInMemoryExporter()
	tag := traceai.EvalTag{Value: semconv.SpanKindLLM, EvalName: "toxicity", CustomEvalName: "tox"}
	for name, opts := range map[string][]traceai.Option{
		"observe with eval tags":     {traceai.WithProjectType(traceai.Observe), traceai.WithEvalTags(tag)},
		"observe with version name":  {traceai.WithProjectType(traceai.Observe), traceai.WithProjectVersionName("v2")},
		"duplicate custom eval name": {traceai.WithEvalTags(tag, tag)},
		"unknown project type":       {traceai.WithProjectType("prod")},
		"unknown transport":          {traceai.WithTransport("carrier-pigeon"), traceai.WithEndpoint("http://x")},
	} {
		t.Run(name, func(t *testing.T) {
			tp, err := traceai.Register(context.Background(), append(opts, traceai.WithOutput(io.Discard))...)
			if err == nil {
				_ = tp.Shutdown(context.Background())
				t.Fatal("Register accepted it")
			}
			if name != "unknown transport" && !errors.Is(err, traceai.ErrInvalidRegister) {
				t.Errorf("error %v does not wrap ErrInvalidRegister", err)
			}
		})
	}
	// The version name from the environment is fine for observe projects
	// (checked before the fallback, as the reference does).
	t.Setenv("FI_PROJECT_VERSION_NAME", "v9")
	tp, err := traceai.Register(context.Background(), traceai.WithProjectType(traceai.Observe), traceai.WithExporter(mem))
	if err != nil {
		t.Fatalf("observe + FI_PROJECT_VERSION_NAME: %v", err)
	}
	_ = tp.Shutdown(context.Background())
}

func TestRegisterDefaultsAndMasking(t *testing.T) {
	clearExportEnv(t)
	mem := tracetest.NewInMemoryExporter()
	tp, err := traceai.Register(context.Background(), traceai.WithExporter(mem), traceai.WithBatch(false),
		traceai.WithTraceConfig(fi.TraceConfig{PIIRedaction: true, HideOutputs: true}))
	if err != nil {
		t.Fatal(err)
	}
	defer tp.Shutdown(context.Background())
	ctx := fi.UsingUser(context.Background(), "jane@example.com")
	_, span := tp.Tracer("t").Start(ctx, "s")
	span.SetAttributes(semconv.OutputValue.String("x"), semconv.InputValue.String("mail bob@example.com"))
	span.RecordError(errors.New("boom")) // exception event: status stays unset
	span.End()
	_, ok := tp.Tracer("t").Start(ctx, "ok")
	ok.SetStatus(codes.Error, "bad")
	ok.End()

	// Simple processing: exported inside End.
	spans := mem.GetSpans()
	if len(spans) != 2 {
		t.Fatalf("exported %d spans", len(spans))
	}
	a := map[attribute.Key]string{}
	for _, kv := range spans[0].Attributes {
		a[kv.Key] = kv.Value.Emit()
	}
	if a[semconv.UserID] != "<EMAIL_ADDRESS>" || a[semconv.InputValue] != "mail <EMAIL_ADDRESS>" || a[semconv.OutputValue] != fi.RedactedValue {
		t.Errorf("attributes = %v", a)
	}
	if spans[0].Status.Code != codes.Unset {
		t.Errorf("span with exception event got status %v, want Unset", spans[0].Status.Code)
	}
	if spans[1].Status.Code != codes.Error {
		t.Errorf("explicit error status changed to %v", spans[1].Status.Code)
	}
	res := map[attribute.Key]string{}
	for _, kv := range spans[0].Resource.Attributes() {
		res[kv.Key] = kv.Value.Emit()
	}
	if res[traceai.ResourceProjectName] != "DEFAULT_PROJECT_NAME" || res[traceai.ResourceProjectType] != "experiment" ||
		res[traceai.ResourceProjectVersionName] != "DEFAULT_PROJECT_VERSION_NAME" {
		t.Errorf("resource = %v", res)
	}
}

func TestRegisterVersionIDPerRegister(t *testing.T) {
	clearExportEnv(t)
	ids := map[string]bool{}
	for range 2 {
		mem := tracetest.NewInMemoryExporter()
		tp, err := traceai.Register(context.Background(), traceai.WithExporter(mem))
		if err != nil {
			t.Fatal(err)
		}
		_, s := tp.Tracer("t").Start(context.Background(), "s")
		s.End()
		_ = tp.ForceFlush(context.Background()) // Shutdown would clear mem
		v, _ := mem.GetSpans()[0].Resource.Set().Value(traceai.ResourceProjectVersionID)
		_ = tp.Shutdown(context.Background())
		ids[v.AsString()] = true
	}
	if len(ids) != 2 {
		t.Fatalf("project_version_id repeated across Register calls: %v", ids)
	}
}

func TestRegisterBannerMasksSecrets(t *testing.T) {
	clearExportEnv(t)
	var out bytes.Buffer
	tp, err := traceai.Register(context.Background(), traceai.WithVerbose(true), traceai.WithOutput(&out),
		traceai.WithEndpoint("https://user:pw-secret@collector.example.com"),
		traceai.WithAPIKey("ak-very-secret"), traceai.WithSecretKey("sk-very-secret"),
		traceai.WithHeaders(map[string]string{"Authorization": "Bearer tok-secret"}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_ = tp.Shutdown(ctx)
	s := out.String()
	for _, secret := range []string{"ak-very-secret", "sk-very-secret", "tok-secret", "pw-secret"} {
		if strings.Contains(s, secret) {
			t.Errorf("banner shows %q:\n%s", secret, s)
		}
	}
	for _, want := range []string{"OpenTelemetry Tracing Details", "'authorization': '****'", "https://user:xxxxx@collector.example.com/v1/traces", "Transport: HTTP", "BatchSpanProcessor"} {
		if !strings.Contains(s, want) {
			t.Errorf("banner lacks %q:\n%s", want, s)
		}
	}
}

func TestRegisterSetGlobal(t *testing.T) {
	clearExportEnv(t)
	prev := otel.GetTracerProvider()
	defer otel.SetTracerProvider(prev)
	tp, err := traceai.Register(context.Background(), traceai.WithExporter(tracetest.NewNoopExporter()))
	if err != nil {
		t.Fatal(err)
	}
	if otel.GetTracerProvider() == tp {
		t.Fatal("set as global without WithSetGlobal(true)")
	}
	tp2, err := traceai.Register(context.Background(), traceai.WithExporter(tracetest.NewNoopExporter()), traceai.WithSetGlobal(true))
	if err != nil {
		t.Fatal(err)
	}
	if otel.GetTracerProvider() != tp2 {
		t.Fatal("WithSetGlobal(true) did not install the provider")
	}
	_ = tp.Shutdown(context.Background())
	_ = tp2.Shutdown(context.Background())
}

// A second exporter added to the provider by hand stays masked when
// wrapped in NewExportFilter.
func TestNewExportFilter(t *testing.T) {
	clearExportEnv(t)
	cfg := fi.TraceConfig{HideInputs: true}
	tp, err := traceai.Register(context.Background(), traceai.WithExporter(tracetest.NewNoopExporter()), traceai.WithTraceConfig(cfg))
	if err != nil {
		t.Fatal(err)
	}
	mem := tracetest.NewInMemoryExporter()
	tp.RegisterSpanProcessor(sdktrace.NewSimpleSpanProcessor(fi.NewExportFilter(mem, cfg)))
	emit(tp)
	spans := mem.GetSpans()
	if len(spans) != 1 {
		t.Fatalf("%d spans", len(spans))
	}
	for _, kv := range spans[0].Attributes {
		if kv.Key == semconv.InputValue && kv.Value.AsString() != fi.RedactedValue {
			t.Errorf("input.value = %q", kv.Value.AsString())
		}
		if kv.Key == semconv.InputMimeType {
			t.Errorf("input.mime_type kept")
		}
	}
	if spans[0].Status.Code != codes.Ok {
		t.Errorf("status %v", spans[0].Status.Code)
	}
	_ = tp.Shutdown(context.Background())
}

// keepExporter records exported spans and keeps them after Shutdown.
type keepExporter struct {
	mu    sync.Mutex
	spans []sdktrace.ReadOnlySpan
}

func (e *keepExporter) ExportSpans(_ context.Context, s []sdktrace.ReadOnlySpan) error {
	e.mu.Lock()
	e.spans = append(e.spans, s...)
	e.mu.Unlock()
	return nil
}
func (e *keepExporter) Shutdown(context.Context) error { return nil }

// Simple export ends spans the application leaked at Shutdown, marked
// gen_ai.span.leaked, as the reference's SimpleSpanProcessor does.
func TestRegisterSimpleEndsLeakedSpans(t *testing.T) {
	clearExportEnv(t)
	t.Setenv("FI_MAX_ACTIVE_SPANS_TRACKED", "2")
	exp := &keepExporter{}
	tp, err := traceai.Register(context.Background(), traceai.WithExporter(exp), traceai.WithBatch(false))
	if err != nil {
		t.Fatal(err)
	}
	tr := tp.Tracer("t")
	_, done := tr.Start(context.Background(), "done")
	done.End()
	_, _ = tr.Start(context.Background(), "leak-1")
	_, _ = tr.Start(context.Background(), "leak-2")
	_, _ = tr.Start(context.Background(), "untracked") // beyond the limit
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	leaked := map[string]bool{}
	for _, s := range exp.spans {
		for _, kv := range s.Attributes() {
			if kv.Key == semconv.SpanLeaked && kv.Value.AsBool() {
				leaked[s.Name()] = true
			}
		}
	}
	if len(exp.spans) != 3 || !leaked["leak-1"] || !leaked["leak-2"] || leaked["done"] {
		t.Fatalf("exported %d spans, leaked %v", len(exp.spans), leaked)
	}
}

func TestRegisterOTELProtocolHTTPJSON(t *testing.T) {
	clearExportEnv(t)
	rcv := newHTTPReceiver(t)
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/json")
	tp, err := traceai.Register(context.Background(), traceai.WithEndpoint(rcv.URL), traceai.WithOutput(io.Discard), hideInputs())
	if err != nil {
		t.Fatal(err)
	}
	emit(tp)
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	reqs := rcv.requests()
	if len(reqs) != 1 || reqs[0].headers["content-type"] != "application/json" {
		t.Fatalf("requests = %d %v", len(reqs), reqs)
	}
	checkWireSpan(t, rcv.spans())
}
