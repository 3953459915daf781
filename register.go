package traceai

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	otelsemconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/fi/semconv"
	"github.com/traceai-go/traceai/internal/pyjson"
	"github.com/traceai-go/traceai/internal/registered"
)

// Resource attribute keys Register sets, as the reference names them.
const (
	ResourceProjectName        attribute.Key = "project_name"
	ResourceProjectType        attribute.Key = "project_type"
	ResourceProjectVersionName attribute.Key = "project_version_name"
	ResourceProjectVersionID   attribute.Key = "project_version_id"
	ResourceEvalTags           attribute.Key = "eval_tags"
	ResourceMetadata           attribute.Key = "metadata"
	ResourceSemanticConvention attribute.Key = "semantic_convention"
)

// ErrInvalidRegister is wrapped by every error Register returns for a
// configuration the reference refuses (eval tags or a version name on an
// observe project, duplicate custom eval names, an unknown project type).
var ErrInvalidRegister = errors.New("traceai: invalid Register configuration")

// EvalTagTypeObservationSpan is the only eval tag type of the reference.
const EvalTagTypeObservationSpan = "OBSERVATION_SPAN_TYPE"

// EvalTag asks Future AGI to run an evaluation on the project's spans of
// one kind. It is written into the eval_tags resource attribute with the
// reference's field names.
type EvalTag struct {
	// Type is EvalTagTypeObservationSpan when empty.
	Type string `json:"type"`
	// Value is the kind of span evaluated, e.g. semconv.SpanKindLLM.
	Value semconv.SpanKind `json:"value"`
	// EvalName is the evaluator, e.g. "context_adherence".
	EvalName string `json:"eval_name"`
	// Config holds the evaluator's parameters.
	Config map[string]any `json:"config"`
	// Mapping maps evaluator inputs to span attribute keys,
	// e.g. {"output": "output.value"}.
	Mapping map[string]string `json:"mapping"`
	// CustomEvalName names this evaluation; names must be unique.
	CustomEvalName string `json:"custom_eval_name"`
	// Model is the evaluation model, e.g. "turing_small".
	Model string `json:"model"`
}

// Register builds a TracerProvider that sends spans to Future AGI, to any
// OTLP backend, or to the local traceAI explorer, as the reference's
// register() does. The provider stamps the context attributes (session.id,
// user.id, ...) on every span, applies the TraceConfig masking to every
// exported span, carries the project resource attributes, and exports in
// the background through a bounded queue that never makes the application
// wait. Call Shutdown on it before exit to flush.
//
// Without options, the destination comes from the environment (FI_BASE_URL,
// FI_API_KEY and FI_SECRET_KEY, OTEL_EXPORTER_OTLP_*); with nothing
// configured it is the local explorer at http://127.0.0.1:4318, and a
// one-line notice says so. The exporter connects lazily: an unreachable
// backend is not an error here.
func Register(ctx context.Context, opts ...Option) (*sdktrace.TracerProvider, error) {
	c := newConfig(opts)
	if err := c.validate(); err != nil {
		return nil, err
	}
	res, err := c.resource(ctx)
	if err != nil {
		return nil, err
	}

	exp := c.exporter
	var dest *destination
	if exp == nil {
		dest, err = resolveDestination(c)
		if err != nil {
			return nil, err
		}
		if err := c.checkEvalConfig(ctx, dest); err != nil {
			return nil, err
		}
		exp, err = newOTLPExporter(ctx, dest, c.retry)
		if err != nil {
			return nil, err
		}
	}
	exp = fi.NewExportFilter(exp, c.traceConfig)

	tpOpts := []sdktrace.TracerProviderOption{
		sdktrace.WithResource(res),
		// Context attributes first, so the exporting processor sees them.
		sdktrace.WithSpanProcessor(fi.NewSpanProcessor(fi.WithTraceConfig(c.traceConfig))),
	}
	if c.batch {
		tpOpts = append(tpOpts, sdktrace.WithSpanProcessor(newBatchProcessor(exp, c.batchOpts)))
	} else {
		// The tracker ends leaked spans at Shutdown, before the exporting
		// processor shuts down.
		tpOpts = append(tpOpts,
			sdktrace.WithSpanProcessor(newLeakTracker()),
			sdktrace.WithSpanProcessor(sdktrace.NewSimpleSpanProcessor(exp)))
	}
	if c.sampler != nil {
		tpOpts = append(tpOpts, sdktrace.WithSampler(c.sampler))
	}
	tp := sdktrace.NewTracerProvider(tpOpts...)
	if c.setGlobal {
		otel.SetTracerProvider(tp)
	}
	registered.Set(tp)

	if dest != nil && dest.source == fromExplorer {
		fmt.Fprintf(c.out, "traceai: no Future AGI keys or OTLP endpoint configured; sending traces to the local explorer at %s (start it with: %s)\n",
			dest.display(), explorerCommand)
	}
	if c.verbose {
		c.printDetails(dest, res)
	}
	return tp, nil
}

// validate applies the reference's rules, before any environment fallback
// (so FI_PROJECT_VERSION_NAME is accepted for an observe project).
func (c *config) validate() error {
	switch c.projectType {
	case Experiment, Observe:
	default:
		return fmt.Errorf("%w: unknown project type %q (want %q or %q)", ErrInvalidRegister, c.projectType, Experiment, Observe)
	}
	if c.projectType == Observe {
		if len(c.evalTags) > 0 {
			return fmt.Errorf("%w: eval tags are not allowed for project type observe", ErrInvalidRegister)
		}
		if c.projectVersionName != "" {
			return fmt.Errorf("%w: project version name not allowed for project type observe", ErrInvalidRegister)
		}
	}
	seen := map[string]bool{}
	for _, t := range c.evalTags {
		if t.CustomEvalName == "" {
			continue
		}
		if seen[t.CustomEvalName] {
			return fmt.Errorf("%w: duplicate custom eval names are not allowed (%q)", ErrInvalidRegister, t.CustomEvalName)
		}
		seen[t.CustomEvalName] = true
	}
	return nil
}

func (c *config) resolvedNames() (name, version string) {
	name = firstNonEmpty(c.projectName, env(EnvProjectName), defaultProjectName)
	version = firstNonEmpty(c.projectVersionName, env(EnvProjectVersionName), defaultProjectVersionName)
	return name, version
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// resource builds the provider's resource. Precedence, lowest first: SDK
// facts (telemetry.sdk.*), service.name = project name, OTEL_SERVICE_NAME /
// OTEL_RESOURCE_ATTRIBUTES, the project attributes, WithResourceAttributes.
// The reference's Python resource has no service.name; Jaeger and other
// generic backends need one, and Future AGI ignores it.
func (c *config) resource(ctx context.Context) (*resource.Resource, error) {
	name, version := c.resolvedNames()
	tags := c.normalizedEvalTags()
	tagsJSON, err := pyjson.Marshal(tags)
	if err != nil {
		otel.Handle(fmt.Errorf("traceai: eval tags: %w", err))
	}
	md := c.metadata
	if md == nil {
		md = map[string]any{}
	}
	mdJSON, err := pyjson.Marshal(md)
	if err != nil {
		otel.Handle(fmt.Errorf("traceai: metadata: %w", err))
	}
	project := []attribute.KeyValue{
		ResourceProjectName.String(name),
		ResourceProjectType.String(string(c.projectType)),
		ResourceProjectVersionName.String(version),
		ResourceProjectVersionID.String(uuid.NewString()),
		ResourceEvalTags.String(tagsJSON),
		ResourceMetadata.String(mdJSON),
		ResourceSemanticConvention.String(string(c.semanticConvention)),
	}
	res, err := resource.New(ctx,
		resource.WithTelemetrySDK(),
		resource.WithAttributes(otelsemconv.ServiceName(name)),
		resource.WithFromEnv(),
		resource.WithAttributes(project...),
		resource.WithAttributes(c.resourceAttrs...),
	)
	if err != nil && res == nil {
		return nil, fmt.Errorf("traceai: building resource: %w", err)
	}
	if err != nil {
		// A malformed OTEL_RESOURCE_ATTRIBUTES is reported, not fatal.
		otel.Handle(fmt.Errorf("traceai: resource: %w", err))
	}
	return res, nil
}

// normalizedEvalTags fills the reference's defaults: the observation-span
// type and empty (not null) config and mapping.
func (c *config) normalizedEvalTags() []EvalTag {
	tags := make([]EvalTag, len(c.evalTags))
	for i, t := range c.evalTags {
		if t.Type == "" {
			t.Type = EvalTagTypeObservationSpan
		}
		if t.Config == nil {
			t.Config = map[string]any{}
		}
		if t.Mapping == nil {
			t.Mapping = map[string]string{}
		}
		tags[i] = t
	}
	return tags
}

// checkEvalConfig refuses eval tags when Future AGI says the project
// already has a custom eval configuration (reference step 5). It runs only
// when spans go to Future AGI with keys.
func (c *config) checkEvalConfig(ctx context.Context, d *destination) error {
	if len(c.evalTags) == 0 || d == nil || d.source == fromOTEL || d.source == fromExplorer {
		return nil
	}
	apiKey, secretKey := firstNonEmpty(c.apiKey, env(EnvAPIKey)), firstNonEmpty(c.secretKey, env(EnvSecretKey))
	if apiKey == "" || secretKey == "" {
		return nil
	}
	base := firstNonEmpty(c.baseURL, env(EnvBaseURL), env(EnvCollectorEndpoint))
	if base == "" && d.source == fromOption && d.transport == TransportHTTP {
		base = d.url
	}
	if base == "" {
		base = defaultFIBaseURL
	}
	name, _ := c.resolvedNames()
	if customEvalConfigExists(ctx, base, apiKey, secretKey, name, c.projectType, c.normalizedEvalTags()) {
		return fmt.Errorf("%w: custom eval configuration already exists for this project", ErrInvalidRegister)
	}
	return nil
}

func newOTLPExporter(ctx context.Context, d *destination, rc *RetryConfig) (sdktrace.SpanExporter, error) {
	if d.transport == TransportGRPC {
		opts := []otlptracegrpc.Option{
			otlptracegrpc.WithEndpoint(d.hostPort),
			otlptracegrpc.WithHeaders(d.headers),
		}
		if d.insecure {
			opts = append(opts, otlptracegrpc.WithInsecure())
		}
		if rc != nil {
			opts = append(opts, otlptracegrpc.WithRetry(otlptracegrpc.RetryConfig(*rc)))
		}
		exp, err := otlptracegrpc.New(ctx, opts...)
		if err != nil {
			return nil, fmt.Errorf("traceai: OTLP/gRPC exporter: %w", err)
		}
		return exp, nil
	}
	opts := []otlptracehttp.Option{
		otlptracehttp.WithEndpointURL(d.url),
		otlptracehttp.WithHeaders(d.headers),
	}
	if rc != nil {
		opts = append(opts, otlptracehttp.WithRetry(otlptracehttp.RetryConfig(*rc)))
	}
	if d.json {
		opts = append(opts, otlptracehttp.WithEncoding(otlptracehttp.EncodingJSON))
	}
	exp, err := otlptracehttp.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("traceai: OTLP/HTTP exporter: %w", err)
	}
	return exp, nil
}

// printDetails writes the reference's details block; header values and
// URL passwords are never shown.
func (c *config) printDetails(d *destination, res *resource.Resource) {
	name, version := c.resolvedNames()
	if c.projectType == Observe && c.projectVersionName == "" {
		version = ""
	}
	var b strings.Builder
	b.WriteString("🔭 OpenTelemetry Tracing Details 🔭\n")
	fmt.Fprintf(&b, "|  FI Project: %s\n", name)
	fmt.Fprintf(&b, "|  FI Project Type: %s\n", c.projectType)
	if version != "" {
		fmt.Fprintf(&b, "|  FI Project Version Name: %s\n", version)
	}
	proc := "BatchSpanProcessor"
	if !c.batch {
		proc = "SimpleSpanProcessor"
	}
	fmt.Fprintf(&b, "|  Span Processor: %s\n", proc)
	if d != nil {
		fmt.Fprintf(&b, "|  Collector Endpoint: %s\n", d.display())
		tr := "HTTP"
		if d.transport == TransportGRPC {
			tr = "gRPC"
		}
		fmt.Fprintf(&b, "|  Transport: %s\n", tr)
		fmt.Fprintf(&b, "|  Transport Headers: %s\n", printableHeaders(d.headers))
	} else {
		b.WriteString("|  Collector Endpoint: custom exporter\n")
	}
	if v, ok := res.Set().Value(ResourceEvalTags); ok {
		fmt.Fprintf(&b, "|  Eval Tags: %s\n", v.AsString())
	}
	b.WriteString("|  \n")
	_, _ = io.WriteString(c.out, b.String())
}
