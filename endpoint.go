package traceai

import (
	"fmt"
	"maps"
	"net"
	"net/url"
	"os"
	"sort"
	"strings"

	"go.opentelemetry.io/otel"
)

// Environment variables read by Register.
const (
	EnvAPIKey                = "FI_API_KEY"
	EnvSecretKey             = "FI_SECRET_KEY"
	EnvBaseURL               = "FI_BASE_URL"
	EnvGRPCURL               = "FI_GRPC_URL"
	EnvCollectorEndpoint     = "FI_COLLECTOR_ENDPOINT"      // TypeScript SDK's fallback after FI_BASE_URL
	EnvGRPCCollectorEndpoint = "FI_GRPC_COLLECTOR_ENDPOINT" // TypeScript SDK's, before FI_GRPC_URL
	EnvProjectName           = "FI_PROJECT_NAME"
	EnvProjectVersionName    = "FI_PROJECT_VERSION_NAME"
	envOTLPEndpoint          = "OTEL_EXPORTER_OTLP_ENDPOINT"
	envOTLPTracesEndpoint    = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
	envOTLPHeaders           = "OTEL_EXPORTER_OTLP_HEADERS"
	// envAuthToken is the explorer's access token (traceai serve --auth-token).
	envAuthToken               = "TRACEAI_AUTH_TOKEN"
	envOTLPTracesHeaders       = "OTEL_EXPORTER_OTLP_TRACES_HEADERS"
	envOTLPProtocol            = "OTEL_EXPORTER_OTLP_PROTOCOL"
	envOTLPTracesProtocol      = "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"
	envOTLPInsecure            = "OTEL_EXPORTER_OTLP_INSECURE"
	envOTLPTracesInsecure      = "OTEL_EXPORTER_OTLP_TRACES_INSECURE"
	defaultFIBaseURL           = "https://api.futureagi.com"
	defaultFIGRPCURL           = "https://grpc.futureagi.com"
	fiTracesPath               = "/tracer/v1/traces"
	otlpTracesPath             = "/v1/traces"
	defaultProjectName         = "DEFAULT_PROJECT_NAME"
	defaultProjectVersionName  = "DEFAULT_PROJECT_VERSION_NAME"
	defaultLocalExplorerHTTP   = "http://127.0.0.1:4318"
	defaultLocalExplorerGRPC   = "127.0.0.1:4317"
	explorerCommand            = "go run github.com/traceai-go/traceai/cmd/traceai@latest serve"
	headerAPIKey, headerSecret = "x-api-key", "x-secret-key"
)

// destSource says where the export destination came from; credentials
// follow their destination (see destination).
type destSource int

const (
	fromOption    destSource = iota // WithEndpoint
	fromFI                          // WithBaseURL, FI_BASE_URL, FI_GRPC_URL, ...
	fromFIDefault                   // Future AGI cloud, keys configured
	fromOTEL                        // OTEL_EXPORTER_OTLP_*ENDPOINT
	fromExplorer                    // nothing configured: local explorer
)

func (s destSource) String() string {
	return [...]string{"WithEndpoint", "Future AGI settings", "Future AGI (keys configured)", "OTEL_EXPORTER_OTLP_* variables", "local explorer default"}[s]
}

// destination is where and how spans are exported.
type destination struct {
	transport Transport
	json      bool   // OTLP/HTTP with JSON bodies (OTEL protocol http/json)
	url       string // full URL for HTTP
	hostPort  string // for gRPC
	insecure  bool
	headers   map[string]string
	source    destSource
}

// display is the endpoint with any user info hidden, for the banner.
func (d *destination) display() string {
	if d.transport == TransportGRPC {
		return d.hostPort
	}
	if u, err := url.Parse(d.url); err == nil {
		return u.Redacted()
	}
	return d.url
}

func env(name string) string { return strings.TrimSpace(os.Getenv(name)) }

func firstEnv(names ...string) string {
	for _, n := range names {
		if v := env(n); v != "" {
			return v
		}
	}
	return ""
}

// resolveTransport: option, then the OTEL protocol variables, then HTTP.
func resolveTransport(c *config) (Transport, bool, error) {
	if c.transport != "" {
		switch c.transport {
		case TransportHTTP, TransportGRPC:
			return c.transport, false, nil
		}
		return "", false, fmt.Errorf("traceai: unknown transport %q (want %q or %q)", c.transport, TransportHTTP, TransportGRPC)
	}
	switch p := firstEnv(envOTLPTracesProtocol, envOTLPProtocol); p {
	case "", "http/protobuf":
		return TransportHTTP, false, nil
	case "http/json":
		return TransportHTTP, true, nil
	case "grpc":
		return TransportGRPC, false, nil
	default:
		otel.Handle(fmt.Errorf("traceai: unsupported OTLP protocol %q; using http/protobuf", p))
		return TransportHTTP, false, nil
	}
}

// resolveDestination applies the precedence documented in
// docs/sending-traces.md: WithEndpoint, then Future AGI settings
// (WithBaseURL, FI_BASE_URL / FI_GRPC_URL), then OTEL_EXPORTER_OTLP_*
// endpoints, then Future AGI's cloud when both keys are set, then the
// local explorer.
//
// Future AGI keys go only to destinations chosen in code or by FI_*
// settings; OTEL_EXPORTER_OTLP_*HEADERS only to destinations not chosen by
// FI_* settings. Headers from WithHeaders go everywhere and win.
func resolveDestination(c *config) (*destination, error) {
	tr, jsonBody, err := resolveTransport(c)
	if err != nil {
		return nil, err
	}
	d := &destination{transport: tr, json: jsonBody}
	apiKey, secretKey := c.apiKey, c.secretKey
	if apiKey == "" {
		apiKey = env(EnvAPIKey)
	}
	if secretKey == "" {
		secretKey = env(EnvSecretKey)
	}
	haveKeys := apiKey != "" && secretKey != ""

	var raw string
	switch {
	case c.endpoint != "":
		d.source, raw = fromOption, c.endpoint
	case tr == TransportHTTP && (c.baseURL != "" || firstEnv(EnvBaseURL, EnvCollectorEndpoint) != ""):
		d.source, raw = fromFI, c.baseURL
		if raw == "" {
			raw = firstEnv(EnvBaseURL, EnvCollectorEndpoint)
		}
	case tr == TransportGRPC && firstEnv(EnvGRPCCollectorEndpoint, EnvGRPCURL) != "":
		d.source, raw = fromFI, firstEnv(EnvGRPCCollectorEndpoint, EnvGRPCURL)
	case firstEnv(envOTLPTracesEndpoint, envOTLPEndpoint) != "":
		d.source = fromOTEL
	case haveKeys:
		d.source = fromFIDefault
	default:
		d.source = fromExplorer
	}

	if tr == TransportHTTP {
		switch d.source {
		case fromOption:
			path := otlpTracesPath
			if isFutureAGIHost(raw) {
				path = fiTracesPath // a bare Future AGI URL means its traces endpoint
			}
			d.url, err = httpURL(raw, path, false)
		case fromFI:
			d.url, err = httpURL(raw, fiTracesPath, true)
		case fromFIDefault:
			d.url, err = httpURL(defaultFIBaseURL, fiTracesPath, true)
		case fromOTEL:
			if v := env(envOTLPTracesEndpoint); v != "" {
				d.url, err = httpURL(v, "", false)
			} else {
				d.url, err = httpURL(strings.TrimRight(env(envOTLPEndpoint), "/")+otlpTracesPath, "", false)
			}
		case fromExplorer:
			d.url, err = httpURL(defaultLocalExplorerHTTP, otlpTracesPath, false)
		}
		if err == nil && strings.HasPrefix(d.url, "http://") {
			d.insecure = true
		}
	} else {
		switch d.source {
		case fromOption, fromFI:
			d.hostPort, d.insecure, err = grpcTarget(raw)
		case fromFIDefault:
			d.hostPort, d.insecure, err = grpcTarget(defaultFIGRPCURL)
		case fromOTEL:
			d.hostPort, d.insecure, err = grpcTarget(firstEnv(envOTLPTracesEndpoint, envOTLPEndpoint))
			if isTrue(firstEnv(envOTLPTracesInsecure, envOTLPInsecure)) {
				d.insecure = true
			}
		case fromExplorer:
			d.hostPort, d.insecure = defaultLocalExplorerGRPC, true
		}
	}
	if err != nil {
		return nil, err
	}
	if c.insecure {
		if d.transport == TransportHTTP && strings.HasPrefix(d.url, "https://") {
			d.url = "http://" + strings.TrimPrefix(d.url, "https://")
		}
		d.insecure = true
	}

	d.headers = map[string]string{}
	if d.source != fromFI && d.source != fromFIDefault {
		maps.Copy(d.headers, otelHeaders())
	}
	user := map[string]string{}
	for k, v := range c.headers {
		user[strings.ToLower(k)] = v
	}
	if _, ok := user["authorization"]; !ok && haveKeys && (d.source == fromOption || d.source == fromFI || d.source == fromFIDefault) {
		// Lower-case for both transports: gRPC metadata requires it, and
		// net/http writes X-Api-Key / X-Secret-Key on the wire either way.
		d.headers[headerAPIKey] = apiKey
		d.headers[headerSecret] = secretKey
	}
	maps.Copy(d.headers, user)
	if tok := env(envAuthToken); tok != "" && d.source != fromFI && d.source != fromFIDefault && !d.toFutureAGI() && !hasAuthorization(d.headers) {
		// A traceai explorer started with --auth-token; never sent to Future AGI.
		d.headers["authorization"] = "Bearer " + tok
	}
	return d, nil
}

func (d *destination) toFutureAGI() bool {
	if d.url != "" {
		u, err := url.Parse(d.url)
		return err != nil || isFutureAGIHost(u.Host)
	}
	return isFutureAGIHost(d.hostPort)
}

func hasAuthorization(h map[string]string) bool {
	for k := range h {
		if strings.EqualFold(k, "authorization") {
			return true
		}
	}
	return false
}

// httpURL makes an OTLP/HTTP URL of s. With replacePath (Future AGI base
// URLs, as the reference's urlparse(...)._replace(path=...)), any path is
// replaced by path; otherwise path is added only when s has none.
func httpURL(s, path string, replacePath bool) (string, error) {
	if !strings.Contains(s, "://") {
		scheme := "https://"
		if isLoopback(hostOf(s)) {
			scheme = "http://"
		}
		s = scheme + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", fmt.Errorf("traceai: invalid OTLP/HTTP endpoint %q", s)
	}
	if path != "" && (replacePath || u.Path == "" || u.Path == "/") {
		u.Path, u.RawPath = path, ""
	}
	return u.String(), nil
}

// grpcTarget turns a URL or host[:port] into host:port and whether to
// connect without TLS: http:// means plaintext, https:// TLS, and a bare
// host:port is plaintext only on a loopback address. The port defaults to
// 443 (4317 for plaintext).
func grpcTarget(s string) (string, bool, error) {
	insecure := false
	hp := s
	if i := strings.Index(s, "://"); i >= 0 {
		u, err := url.Parse(s)
		if err != nil || u.Host == "" {
			return "", false, fmt.Errorf("traceai: invalid OTLP/gRPC endpoint %q", s)
		}
		switch u.Scheme {
		case "http":
			insecure = true
		case "https", "grpcs":
		case "grpc":
			insecure = isLoopback(u.Hostname())
		default:
			return "", false, fmt.Errorf("traceai: invalid OTLP/gRPC endpoint %q", s)
		}
		hp = u.Host
	} else {
		insecure = isLoopback(hostOf(s))
	}
	if _, _, err := net.SplitHostPort(hp); err != nil {
		port := "443"
		if insecure {
			port = "4317"
		}
		hp = net.JoinHostPort(strings.Trim(hp, "[]"), port)
	}
	return hp, insecure, nil
}

func isFutureAGIHost(s string) bool {
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
	}
	h := strings.ToLower(hostOf(s))
	return h == "futureagi.com" || strings.HasSuffix(h, ".futureagi.com")
}

func hostOf(hostPort string) string {
	if i := strings.IndexAny(hostPort, "/"); i >= 0 {
		hostPort = hostPort[:i]
	}
	if h, _, err := net.SplitHostPort(hostPort); err == nil {
		return h
	}
	return strings.Trim(hostPort, "[]")
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func isTrue(s string) bool { return strings.EqualFold(s, "true") }

// otelHeaders parses OTEL_EXPORTER_OTLP_TRACES_HEADERS, else
// OTEL_EXPORTER_OTLP_HEADERS: comma-separated key=value pairs, values
// URL-decoded. A malformed pair is reported and skipped.
func otelHeaders() map[string]string {
	s := env(envOTLPTracesHeaders)
	name := envOTLPTracesHeaders
	if s == "" {
		s, name = env(envOTLPHeaders), envOTLPHeaders
	}
	h := map[string]string{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			otel.Handle(fmt.Errorf("traceai: %s: malformed header %q skipped (want key=value)", name, maskPair(part)))
			continue
		}
		if dv, err := url.PathUnescape(strings.TrimSpace(v)); err == nil {
			v = dv
		}
		h[strings.ToLower(k)] = strings.TrimSpace(v)
	}
	return h
}

// maskPair keeps a malformed header's key visible but hides a value.
func maskPair(s string) string {
	if len(s) > 12 {
		return s[:4] + "****"
	}
	return s
}

// printableHeaders shows header names with every value as ****, as the
// reference's banner does.
func printableHeaders(h map[string]string) string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "'%s': '****'", k)
	}
	b.WriteByte('}')
	return b.String()
}
