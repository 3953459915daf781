package traceai

import "testing"

func TestGRPCTarget(t *testing.T) {
	for _, tc := range []struct {
		in       string
		hostPort string
		insecure bool
	}{
		{"https://grpc.futureagi.com", "grpc.futureagi.com:443", false},
		{"http://collector:4317", "collector:4317", true},
		{"http://collector", "collector:4317", true},
		{"localhost:4317", "localhost:4317", true},
		{"127.0.0.1", "127.0.0.1:4317", true},
		{"[::1]:9999", "[::1]:9999", true},
		{"collector.example.com:4317", "collector.example.com:4317", false},
		{"collector.example.com", "collector.example.com:443", false},
	} {
		hp, insecure, err := grpcTarget(tc.in)
		if err != nil || hp != tc.hostPort || insecure != tc.insecure {
			t.Errorf("grpcTarget(%q) = %q, %v, %v; want %q, %v", tc.in, hp, insecure, err, tc.hostPort, tc.insecure)
		}
	}
	if _, _, err := grpcTarget("ftp://x"); err == nil {
		t.Error("ftp:// accepted")
	}
}

func TestHTTPURL(t *testing.T) {
	for _, tc := range []struct {
		in, path string
		replace  bool
		want     string
	}{
		{"https://api.futureagi.com", fiTracesPath, true, "https://api.futureagi.com/tracer/v1/traces"},
		{"http://localhost:8000/foo", fiTracesPath, true, "http://localhost:8000/tracer/v1/traces"},
		{"http://127.0.0.1:4318", otlpTracesPath, false, "http://127.0.0.1:4318/v1/traces"},
		{"http://127.0.0.1:4318/", otlpTracesPath, false, "http://127.0.0.1:4318/v1/traces"},
		{"https://cloud.example.com/api/otel/v1/traces", otlpTracesPath, false, "https://cloud.example.com/api/otel/v1/traces"},
		{"localhost:4318", otlpTracesPath, false, "http://localhost:4318/v1/traces"},
		{"collector.example.com", otlpTracesPath, false, "https://collector.example.com/v1/traces"},
	} {
		got, err := httpURL(tc.in, tc.path, tc.replace)
		if err != nil || got != tc.want {
			t.Errorf("httpURL(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if _, err := httpURL("http://", otlpTracesPath, false); err == nil {
		t.Error("empty host accepted")
	}
}

func TestWithEndpointFutureAGIHost(t *testing.T) {
	t.Setenv(envOTLPProtocol, "")
	t.Setenv(envOTLPTracesProtocol, "")
	for in, want := range map[string]string{
		"https://api.futureagi.com":             "https://api.futureagi.com/tracer/v1/traces",
		"https://eu.api.futureagi.com/":         "https://eu.api.futureagi.com/tracer/v1/traces",
		"https://notfutureagi.com":              "https://notfutureagi.com/v1/traces",
		"https://api.futureagi.com/custom/path": "https://api.futureagi.com/custom/path",
	} {
		d, err := resolveDestination(&config{endpoint: in})
		if err != nil || d.url != want {
			t.Errorf("WithEndpoint(%q) -> %q, %v; want %q", in, d.url, err, want)
		}
	}
}

func TestOTELHeaders(t *testing.T) {
	t.Setenv(envOTLPHeaders, "a=1")
	t.Setenv(envOTLPTracesHeaders, " Api-Key = x%2Fy , ,b=c=d")
	h := otelHeaders()
	if len(h) != 2 || h["api-key"] != "x/y" || h["b"] != "c=d" {
		t.Fatalf("headers = %v (traces variable replaces the generic one)", h)
	}
}

func TestPrintableHeaders(t *testing.T) {
	if got := printableHeaders(map[string]string{"x-secret-key": "s", "x-api-key": "k"}); got != "{'x-api-key': '****', 'x-secret-key': '****'}" {
		t.Fatalf("printableHeaders = %s", got)
	}
}

// TestAuthTokenHeader: TRACEAI_AUTH_TOKEN becomes the Authorization header
// for an explorer destination, never for Future AGI, and never over an
// Authorization the user set.
func TestAuthTokenHeader(t *testing.T) {
	t.Setenv(envAuthToken, "tok")
	t.Setenv(envOTLPHeaders, "")
	t.Setenv(envOTLPTracesHeaders, "")
	d, err := resolveDestination(&config{endpoint: "http://127.0.0.1:4318"})
	if err != nil || d.headers["authorization"] != "Bearer tok" {
		t.Fatalf("explorer destination headers %v, %v", d.headers, err)
	}
	d, err = resolveDestination(&config{endpoint: "http://127.0.0.1:4318", headers: map[string]string{"Authorization": "Bearer mine"}})
	if err != nil || d.headers["authorization"] != "Bearer mine" || len(d.headers) != 1 {
		t.Fatalf("user's Authorization replaced: %v, %v", d.headers, err)
	}
	d, err = resolveDestination(&config{endpoint: "https://api.futureagi.com"})
	if err != nil || hasAuthorization(d.headers) {
		t.Fatalf("token sent to Future AGI: %v, %v", d.headers, err)
	}
}
