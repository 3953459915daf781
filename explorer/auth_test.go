package explorer_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/traceai-go/traceai/explorer"
	"github.com/traceai-go/traceai/explorer/internal/synth"
	"github.com/traceai-go/traceai/fi"
)

const testToken = "s3cret-token-for-tests"

func do(t *testing.T, req *http.Request, c *http.Client) (int, http.Header, string) {
	t.Helper()
	if c == nil {
		c = http.DefaultClient
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(b)
}

func get(t *testing.T, u, authz string) (int, http.Header, string) {
	req, _ := http.NewRequest("GET", u, nil)
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	return do(t, req, nil)
}

// TestAuthTokenEveryListener: with a token, stock exporters deliver only
// when they send it; the API answers 401 without it; pages show the
// sign-in form (no data) until the header or the form's cookie is given.
func TestAuthTokenEveryListener(t *testing.T) {
	x := start(t, explorer.WithAuthToken(testToken))
	ctx := context.Background()
	hdr := map[string]string{"Authorization": "Bearer " + testToken}
	for i, c := range []struct {
		name string
		exp  func() (sdktrace.SpanExporter, error)
		ok   bool
	}{
		{"http-no-token", func() (sdktrace.SpanExporter, error) {
			return otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(x.OTLPHTTPEndpoint()+"/v1/traces"), otlptracehttp.WithRetry(otlptracehttp.RetryConfig{Enabled: false}))
		}, false},
		{"http-token", func() (sdktrace.SpanExporter, error) {
			return otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(x.OTLPHTTPEndpoint()+"/v1/traces"), otlptracehttp.WithHeaders(hdr))
		}, true},
		{"grpc-no-token", func() (sdktrace.SpanExporter, error) {
			return otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(x.OTLPGRPCAddr()), otlptracegrpc.WithInsecure(), otlptracegrpc.WithRetry(otlptracegrpc.RetryConfig{Enabled: false}))
		}, false},
		{"grpc-token", func() (sdktrace.SpanExporter, error) {
			return otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(x.OTLPGRPCAddr()), otlptracegrpc.WithInsecure(), otlptracegrpc.WithHeaders(map[string]string{"authorization": "Bearer " + testToken}))
		}, true},
	} {
		exp, err := c.exp()
		if err != nil {
			t.Fatal(err)
		}
		sid := fmt.Sprintf("auth-%d", i)
		var got error
		tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(fi.NewSpanProcessor()), sdktrace.WithBatcher(exp))
		synth.Emit(ctx, tp, conversation(sid, "u", t0))
		got = tp.ForceFlush(ctx)
		tp.Shutdown(ctx)
		if (got == nil) != c.ok {
			t.Errorf("%s: export error %v, want ok=%v", c.name, got, c.ok)
		}
		_, _, body := get(t, x.UIURL()+"/api/sessions", "Bearer "+testToken)
		if strings.Contains(body, `"`+sid+`"`) != c.ok {
			t.Errorf("%s: session stored = %v, want %v", c.name, !c.ok, c.ok)
		}
		if c.ok && len(sessionSpans(t, x.Store(), sid)) != 6 {
			t.Errorf("%s: spans missing", c.name)
		}
	}

	// API: bearer or 401.
	if code, h, _ := get(t, x.UIURL()+"/api/sessions", ""); code != 401 || !strings.HasPrefix(h.Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("API without token: %d %v", code, h)
	}
	if code, _, _ := get(t, x.UIURL()+"/api/sessions", "Bearer wrong"); code != 401 {
		t.Errorf("API wrong token: %d", code)
	}
	if code, _, body := get(t, x.UIURL()+"/api/sessions", "Bearer "+testToken); code != 200 || !strings.Contains(body, "auth-1") {
		t.Errorf("API with token: %d %.200s", code, body)
	}

	// Pages: the form, never the data, without a token.
	code, h, body := get(t, x.UIURL()+"/sessions", "")
	if code != 401 || !strings.Contains(body, `action="/signin"`) || strings.Contains(body, "auth-1") {
		t.Errorf("page without token: %d %.300s", code, body)
	}
	if csp := h.Get("Content-Security-Policy"); strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("form CSP %q", csp)
	}
	if code, _, body := get(t, x.UIURL()+"/sessions", "Bearer "+testToken); code != 200 || !strings.Contains(body, "auth-1") {
		t.Errorf("page with header: %d", code)
	}

	// Sign in: a wrong token gets the form again, the right one a cookie.
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	post := func(tok string) (int, http.Header, string) {
		form := url.Values{"token": {tok}, "next": {"/sessions"}}
		req, _ := http.NewRequest("POST", x.UIURL()+"/signin", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return do(t, req, noRedirect)
	}
	if code, h, _ := post("wrong"); code != 401 || h.Get("Set-Cookie") != "" {
		t.Errorf("wrong sign-in: %d %v", code, h)
	}
	code, h, _ = post(testToken)
	sc := h.Get("Set-Cookie")
	if code != 303 || h.Get("Location") != "/sessions" || !strings.Contains(sc, "HttpOnly") || !strings.Contains(sc, "SameSite=Strict") || strings.Contains(sc, testToken) {
		t.Fatalf("sign-in: %d %v", code, h)
	}
	req, _ := http.NewRequest("GET", x.UIURL()+"/sessions", nil)
	req.Header.Set("Cookie", strings.SplitN(sc, ";", 2)[0])
	if code, _, body := do(t, req, nil); code != 200 || !strings.Contains(body, "auth-1") {
		t.Errorf("page with cookie: %d", code)
	}
	// An open redirect is refused.
	form := url.Values{"token": {testToken}, "next": {"//evil.example/"}}
	req, _ = http.NewRequest("POST", x.UIURL()+"/signin", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if _, h, _ := do(t, req, noRedirect); h.Get("Location") != "/" {
		t.Errorf("next //evil.example/ redirected to %q", h.Get("Location"))
	}
}

// TestExposedWithoutTokenRefused: a non-loopback address without a token
// is refused with a message naming the ways out; --insecure-no-auth or a
// token allows it.
func TestExposedWithoutTokenRefused(t *testing.T) {
	exposed := []explorer.Option{explorer.WithHTTPAddr("0.0.0.0:0"), explorer.WithOTLPHTTPAddr("127.0.0.1:0"), explorer.WithOTLPGRPCAddr(explorer.Off)}
	_, err := explorer.New(append(exposed, explorer.WithDBPath(t.TempDir()+"/x.db"))...)
	if err == nil || !strings.Contains(err.Error(), "--auth-token") || !strings.Contains(err.Error(), "TRACEAI_AUTH_TOKEN") || !strings.Contains(err.Error(), "--insecure-no-auth") {
		t.Fatalf("err = %v", err)
	}
	for _, way := range []explorer.Option{explorer.WithInsecureNoAuth(true), explorer.WithAuthToken(testToken)} {
		x, err := explorer.New(append(exposed, explorer.WithDBPath(t.TempDir()+"/x.db"), way)...)
		if err != nil {
			t.Fatalf("%v", err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		x.Shutdown(ctx)
		cancel()
	}
}
