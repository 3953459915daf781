package traceai

import (
	"io"
	"maps"
	"os"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/traceai-go/traceai/fi"
)

// config collects the options of Register.
type config struct {
	traceConfig    fi.TraceConfig
	traceConfigSet bool

	projectName        string
	projectType        ProjectType
	projectVersionName string
	evalTags           []EvalTag
	metadata           map[string]any
	semanticConvention SemanticConvention
	resourceAttrs      []attribute.KeyValue

	endpoint  string
	baseURL   string
	transport Transport
	insecure  bool
	headers   map[string]string
	apiKey    string
	secretKey string

	batch     bool
	batchOpts BatchOptions
	setGlobal bool
	verbose   bool
	out       io.Writer
	exporter  sdktrace.SpanExporter
	sampler   sdktrace.Sampler
	retry     *RetryConfig
}

// Option configures Register.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// newConfig applies the defaults, then opts in order; nil options are
// skipped.
func newConfig(opts []Option) *config {
	c := &config{projectType: Experiment, batch: true, semanticConvention: SemanticConventionFI}
	for _, o := range opts {
		if o != nil {
			o.apply(c)
		}
	}
	if c.out == nil {
		c.out = os.Stderr
	}
	if !c.traceConfigSet {
		c.traceConfig = fi.NewTraceConfig()
	}
	return c
}

// WithTraceConfig sets the masking and PII configuration applied to every
// exported span and to the context attributes stamped on span start; the
// default is fi.NewTraceConfig(), the environment's configuration.
func WithTraceConfig(cfg fi.TraceConfig) Option {
	return optionFunc(func(c *config) { c.traceConfig, c.traceConfigSet = cfg, true })
}

// ProjectType is the kind of Future AGI project the spans belong to, the
// project_type resource attribute.
type ProjectType string

const (
	// Experiment projects (the default) compare versions of an application
	// and may carry eval tags.
	Experiment ProjectType = "experiment"
	// Observe projects watch a deployed application; they take neither eval
	// tags nor a version name.
	Observe ProjectType = "observe"
)

// Transport is the OTLP transport Register exports with.
type Transport string

const (
	// TransportHTTP is OTLP/HTTP with protobuf bodies (the default).
	TransportHTTP Transport = "http"
	// TransportGRPC is OTLP/gRPC.
	TransportGRPC Transport = "grpc"
)

// SemanticConvention names the attribute convention the application's
// spans follow; Register only records it in the semantic_convention
// resource attribute, as the reference does.
type SemanticConvention string

// Semantic conventions known to the reference.
const (
	SemanticConventionFI            SemanticConvention = "fi"
	SemanticConventionOTelGenAI     SemanticConvention = "otel_genai"
	SemanticConventionOpenInference SemanticConvention = "openinference"
	SemanticConventionOpenLLMetry   SemanticConvention = "openllmetry"
)

// WithProjectName sets the project_name resource attribute; the default is
// FI_PROJECT_NAME, else "DEFAULT_PROJECT_NAME".
func WithProjectName(name string) Option {
	return optionFunc(func(c *config) { c.projectName = name })
}

// WithProjectType sets the project type: Experiment (default) or Observe.
func WithProjectType(t ProjectType) Option {
	return optionFunc(func(c *config) { c.projectType = t })
}

// WithProjectVersionName sets project_version_name; the default is
// FI_PROJECT_VERSION_NAME, else "DEFAULT_PROJECT_VERSION_NAME". Observe
// projects refuse it.
func WithProjectVersionName(name string) Option {
	return optionFunc(func(c *config) { c.projectVersionName = name })
}

// WithEvalTags sets the evaluations Future AGI runs on the project's spans
// (the eval_tags resource attribute). Observe projects refuse them, and two
// tags may not share a CustomEvalName.
func WithEvalTags(tags ...EvalTag) Option {
	return optionFunc(func(c *config) { c.evalTags = append(c.evalTags, tags...) })
}

// WithMetadata sets the metadata resource attribute (JSON of md).
func WithMetadata(md map[string]any) Option {
	md = maps.Clone(md)
	return optionFunc(func(c *config) { c.metadata = md })
}

// WithSemanticConvention sets the semantic_convention resource attribute
// (default SemanticConventionFI).
func WithSemanticConvention(sc SemanticConvention) Option {
	return optionFunc(func(c *config) { c.semanticConvention = sc })
}

// WithResourceAttributes adds resource attributes; they win over the
// project attributes and OTEL_RESOURCE_ATTRIBUTES on a shared key.
func WithResourceAttributes(kvs ...attribute.KeyValue) Option {
	kvs = append([]attribute.KeyValue(nil), kvs...)
	return optionFunc(func(c *config) { c.resourceAttrs = append(c.resourceAttrs, kvs...) })
}

// WithEndpoint sends spans to endpoint instead of the configured default.
// For TransportHTTP it is a URL: a bare base such as "http://127.0.0.1:4318"
// gets the standard OTLP path /v1/traces (/tracer/v1/traces for a
// futureagi.com host), a URL with a path is used as is.
// For TransportGRPC it is host:port or a URL (http:// means plaintext).
// Future AGI keys, when configured, are sent to it.
func WithEndpoint(endpoint string) Option {
	return optionFunc(func(c *config) { c.endpoint = endpoint })
}

// WithBaseURL sets the Future AGI base URL, as FI_BASE_URL does: spans go
// to its scheme and host with the path /tracer/v1/traces.
func WithBaseURL(url string) Option {
	return optionFunc(func(c *config) { c.baseURL = url })
}

// WithTransport selects OTLP/HTTP (default) or OTLP/gRPC. Without it,
// OTEL_EXPORTER_OTLP_TRACES_PROTOCOL or OTEL_EXPORTER_OTLP_PROTOCOL decide.
func WithTransport(t Transport) Option {
	return optionFunc(func(c *config) { c.transport = t })
}

// WithInsecure(true) sends spans without TLS whatever the endpoint's form.
// The default, false, follows the endpoint: http:// and loopback gRPC
// addresses are plaintext, the rest TLS.
func WithInsecure(insecure bool) Option {
	return optionFunc(func(c *config) { c.insecure = insecure })
}

// WithHeaders adds headers (gRPC metadata) to every export request. Keys
// are lower-cased, as the reference does; an "authorization" header
// replaces the Future AGI key headers.
func WithHeaders(h map[string]string) Option {
	h = maps.Clone(h)
	return optionFunc(func(c *config) {
		if c.headers == nil {
			c.headers = map[string]string{}
		}
		maps.Copy(c.headers, h)
	})
}

// WithAPIKey sets the Future AGI API key, overriding FI_API_KEY.
func WithAPIKey(key string) Option {
	return optionFunc(func(c *config) { c.apiKey = key })
}

// WithSecretKey sets the Future AGI secret key, overriding FI_SECRET_KEY.
func WithSecretKey(key string) Option {
	return optionFunc(func(c *config) { c.secretKey = key })
}

// WithBatch chooses batched export in the background (true, the default)
// or export inside span.End (false: simple processing, which makes every
// End wait for the backend; for short scripts and tests only).
func WithBatch(batch bool) Option {
	return optionFunc(func(c *config) { c.batch = batch })
}

// WithBatchOptions tunes the export queue used when batching.
func WithBatchOptions(o BatchOptions) Option {
	return optionFunc(func(c *config) { c.batchOpts = o })
}

// WithSetGlobal(true) also installs the provider as the global one
// (otel.SetTracerProvider). The default is false.
func WithSetGlobal(set bool) Option {
	return optionFunc(func(c *config) { c.setGlobal = set })
}

// WithVerbose(true) prints the reference's "OpenTelemetry Tracing Details"
// block (header values shown as ****) when Register succeeds.
func WithVerbose(v bool) Option {
	return optionFunc(func(c *config) { c.verbose = v })
}

// WithOutput sets where the details block and Register's one-line notices
// go (default os.Stderr; io.Discard silences them).
func WithOutput(w io.Writer) Option {
	return optionFunc(func(c *config) { c.out = w })
}

// WithExporter replaces the OTLP exporter, for tests or other backends.
// Masking and the OK-status rule still apply in front of it.
func WithExporter(exp sdktrace.SpanExporter) Option {
	return optionFunc(func(c *config) { c.exporter = exp })
}

// WithSampler sets the provider's sampler (default: the SDK's, which
// honours OTEL_TRACES_SAMPLER).
func WithSampler(s sdktrace.Sampler) Option {
	return optionFunc(func(c *config) { c.sampler = s })
}

// RetryConfig tunes how the OTLP exporter retries a failed export (429,
// 502, 503, 504, unavailable): exponential backoff from InitialInterval up
// to MaxInterval, giving up after MaxElapsedTime or the export timeout,
// whichever comes first. The default is the OTLP exporters' own: enabled,
// 5s, 30s, 1m.
type RetryConfig struct {
	Enabled         bool
	InitialInterval time.Duration
	MaxInterval     time.Duration
	MaxElapsedTime  time.Duration
}

// WithRetry sets the export retry policy.
func WithRetry(rc RetryConfig) Option {
	return optionFunc(func(c *config) { c.retry = &rc })
}
