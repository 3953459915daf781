package fihttp_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/baggage"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/fi/semconv"
	"github.com/traceai-go/traceai/instrumentation/fihttp"
	"github.com/traceai-go/traceai/internal/idbaggage"
)

var prop = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})

func newProvider(t testing.TB) (*sdktrace.TracerProvider, *tracetest.SpanRecorder) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(fi.NewSpanProcessor()), sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp, rec
}

// captureErrors collects what reaches otel.Handle during the test.
func captureErrors(t *testing.T) func() []error {
	var mu sync.Mutex
	var errs []error
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}))
	t.Cleanup(func() { otel.SetErrorHandler(otel.ErrorHandlerFunc(func(error) {})) })
	return func() []error {
		mu.Lock()
		defer mu.Unlock()
		return append([]error(nil), errs...)
	}
}

// recorder is an HTTP server that records the headers it receives.
type recorder struct {
	*httptest.Server
	mu  sync.Mutex
	got []http.Header
}

func newRecorder(t *testing.T) *recorder {
	r := &recorder{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.got = append(r.got, req.Header.Clone())
		r.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"choices":[]}`)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *recorder) headers() []http.Header {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]http.Header(nil), r.got...)
}

func members(h http.Header) baggage.Baggage {
	b, _ := baggage.Parse(strings.Join(h.Values("Baggage"), ","))
	return b
}

// dialTo returns a transport that connects every request to addr, whatever
// host the URL names: "api.openai.com" reaches a local stand-in.
func dialTo(addr string) *http.Transport {
	return &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}}
}

// TestNoIDsToThirdPartyHosts: service B gets a request whose baggage
// carries session.id, user.id and tenant. Inside that scope it calls its own
// service (allowed: gets the ids) and api.openai.com (a local stand-in,
// reached by name; not allowed) through every client arrangement. The
// stand-in must see no session.id or user.id, yet keep the other baggage
// and the trace context.
func TestNoIDsToThirdPartyHosts(t *testing.T) {
	tp, rec := newProvider(t)
	llm := newRecorder(t)
	own := newRecorder(t)
	otelOpts := []otelhttp.Option{otelhttp.WithTracerProvider(tp), otelhttp.WithPropagators(prop)}
	base := dialTo(llm.Listener.Addr().String())
	clients := map[string]*http.Client{
		"otelhttp(fihttp)": {Transport: otelhttp.NewTransport(fihttp.NewTransport(base, fihttp.WithUserPropagation(true)), otelOpts...)},
		"fihttp(otelhttp)": {Transport: fihttp.NewTransport(otelhttp.NewTransport(base, otelOpts...), fihttp.WithUserPropagation(true))},
		"otelhttp only":    {Transport: otelhttp.NewTransport(base, otelOpts...)},
		"fihttp only":      {Transport: fihttp.NewTransport(base, fihttp.WithUserPropagation(true))},
	}
	toOwn := &http.Client{Transport: otelhttp.NewTransport(fihttp.NewTransport(nil, fihttp.WithUserPropagation(true)), otelOpts...)}

	var sawSession, sawUser string
	b := httptest.NewServer(fihttp.NewHandler(otelhttp.NewHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		sawSession, sawUser = fi.SessionID(ctx), fi.UserID(ctx)
		for name, c := range clients {
			for _, manual := range []bool{false, true} {
				if manual && name == "otelhttp only" {
					continue // ids put into baggage by hand are guarded by fihttp.NewTransport only
				}
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://api.openai.com/v1/chat/completions", strings.NewReader(`{}`))
				if manual {
					// An id put into the header or context baggage by hand is stripped too.
					req.Header.Set("Baggage", "session.id=manual,extra=1")
					m, _ := baggage.NewMemberRaw("user.id", "manual-user")
					bag, _ := baggage.FromContext(ctx).SetMember(m)
					req = req.WithContext(baggage.ContextWithBaggage(ctx, bag))
				}
				resp, err := c.Do(req)
				if err != nil {
					t.Errorf("%s: %v", name, err)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, own.URL, nil)
		resp, err := toOwn.Do(req)
		if err != nil {
			t.Error(err)
			return
		}
		resp.Body.Close()
	}), "B", append(otelOpts, otelhttp.WithSpanNameFormatter(func(string, *http.Request) string { return "B" }))...)))
	defer b.Close()

	req, _ := http.NewRequest(http.MethodGet, b.URL, nil)
	req.Header.Set("Baggage", "session.id=sess-9,user.id=user-3,tenant=blue")
	req.Header.Set("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	if sawSession != "sess-9" || sawUser != "user-3" {
		t.Fatalf("B's scope: session %q user %q", sawSession, sawUser)
	}
	got := llm.headers()
	if len(got) != 2*len(clients)-1 {
		t.Fatalf("stand-in got %d requests, want %d", len(got), 2*len(clients)-1)
	}
	for i, h := range got {
		if h.Get("Host") != "" || strings.Contains(strings.ToLower(strings.Join(h.Values("Baggage"), ",")), ".id=") {
			t.Errorf("request %d to api.openai.com carries ids: baggage %q", i, h.Values("Baggage"))
		}
		bag := members(h)
		if bag.Member("session.id").Key() != "" || bag.Member("user.id").Key() != "" {
			t.Errorf("request %d to api.openai.com: baggage %q", i, h.Values("Baggage"))
		}
	}
	withOtel := 0
	for _, h := range got {
		if h.Get("Traceparent") != "" {
			withOtel++
			if members(h).Member("tenant").Value() != "blue" {
				t.Errorf("other baggage lost: %q", h.Values("Baggage"))
			}
		}
	}
	if withOtel != 5 {
		t.Errorf("%d requests carried traceparent, want 5 (the otelhttp clients)", withOtel)
	}
	// The own service gets the ids and the rest of the baggage.
	oh := own.headers()
	if len(oh) != 1 {
		t.Fatalf("own service got %d requests", len(oh))
	}
	bag := members(oh[0])
	if bag.Member("session.id").Value() != "sess-9" || bag.Member("user.id").Value() != "user-3" || bag.Member("tenant").Value() != "blue" {
		t.Errorf("own service baggage %q", oh[0].Values("Baggage"))
	}
	// The LLM calls themselves were in the session.
	n := 0
	for _, s := range rec.Ended() {
		if s.Name() == "HTTP POST" || s.Name() == "POST" {
			n++
			if v := attrOf(s, semconv.SessionID); v != "sess-9" {
				t.Errorf("LLM client span session.id %q", v)
			}
		}
	}
	if n != 5 {
		t.Errorf("%d LLM client spans, want 5", n)
	}
}

func attrOf(s sdktrace.ReadOnlySpan, k attribute.Key) string {
	for _, kv := range s.Attributes() {
		if kv.Key == k {
			return kv.Value.AsString()
		}
	}
	return ""
}

// TestAllowList checks which hosts the transport would send ids to.
func TestAllowList(t *testing.T) {
	errs := captureErrors(t)
	tr := fihttp.NewTransport(nil, fihttp.WithAllowedHosts("billing.internal", "rag.internal:8443", "*.svc.cluster.local", "10.0.0.0/8", "bad host", "*", "10.0.0.0/99"))
	for host, want := range map[string]bool{
		"localhost": true, "localhost:8080": true, "127.0.0.1:1": true, "[::1]:80": true, "api.localhost": true,
		"billing.internal": true, "BILLING.internal.:9000": true, "rag.internal:8443": true, "rag.internal": false, "rag.internal:443": false,
		"a.svc.cluster.local": true, "svc.cluster.local": false, "x.svc.cluster.local.evil.com": false,
		"10.1.2.3:80": true, "11.1.2.3": false,
		"api.openai.com": false, "api.anthropic.com:443": false, "generativelanguage.googleapis.com": false, "": false,
		"127.0.0.1.nip.io": false,
	} {
		if got := tr.Allowed(host); got != want {
			t.Errorf("Allowed(%q) = %v, want %v", host, got, want)
		}
	}
	if n := len(errs()); n != 3 {
		t.Errorf("%d invalid patterns reported, want 3: %v", n, errs())
	}
	noLoop := fihttp.NewTransport(nil, fihttp.WithLoopback(false))
	if noLoop.Allowed("127.0.0.1:80") || noLoop.Allowed("localhost") {
		t.Error("WithLoopback(false) still allows loopback")
	}
}

// TestTransportDoesNotModifyRequest: a RoundTripper must not change the
// caller's request.
func TestTransportDoesNotModifyRequest(t *testing.T) {
	own := newRecorder(t)
	c := &http.Client{Transport: fihttp.NewTransport(nil)}
	ctx := fi.UsingSession(context.Background(), "s1")
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, own.URL, nil)
	req.Header.Set("Baggage", "k=v")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if req.Header.Get("Baggage") != "k=v" || baggage.FromContext(req.Context()).Len() != 0 {
		t.Errorf("caller's request changed: %q", req.Header.Values("Baggage"))
	}
	bag := members(own.headers()[0])
	if bag.Member("session.id").Value() != "s1" || bag.Member("k").Value() != "v" {
		t.Errorf("sent baggage %q", own.headers()[0].Values("Baggage"))
	}
}

// TestUntrustedBaggageRefused: a public edge with WithTrustedBaggage(false)
// neither believes nor passes on client-supplied ids.
func TestUntrustedBaggageRefused(t *testing.T) {
	tp, rec := newProvider(t)
	own := newRecorder(t)
	toOwn := &http.Client{Transport: fihttp.NewTransport(nil, fihttp.WithUserPropagation(true))}
	var inner http.Header
	edge := func(opts ...fihttp.Option) http.Handler {
		return fihttp.NewHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			inner = r.Header.Clone()
			ctx, span := tp.Tracer("t").Start(r.Context(), "edge.work")
			defer span.End()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, own.URL, nil)
			resp, err := toOwn.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
		}), opts...)
	}
	for _, tc := range []struct {
		name        string
		opts        []fihttp.Option
		cookie      string
		wantSession string
	}{
		{"untrusted", []fihttp.Option{fihttp.WithTrustedBaggage(false)}, "", ""},
		{"untrusted, session from cookie", []fihttp.Option{fihttp.WithTrustedBaggage(false), fihttp.WithExtractors(fihttp.FromCookie("sid", ""), fihttp.FromBaggage())}, "good-1", "good-1"},
		{"trusted", nil, "", "evil"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec.Reset()
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.Header.Set("Baggage", "session.id=evil,user.id=mallory,tenant=blue")
			if tc.cookie != "" {
				req.AddCookie(&http.Cookie{Name: "sid", Value: tc.cookie})
			}
			edge(tc.opts...).ServeHTTP(httptest.NewRecorder(), req)
			s := rec.Ended()
			if len(s) != 1 {
				t.Fatalf("%d spans", len(s))
			}
			if v := attrOf(s[0], semconv.SessionID); v != tc.wantSession {
				t.Errorf("span session.id %q, want %q", v, tc.wantSession)
			}
			if tc.wantSession != "evil" && attrOf(s[0], semconv.UserID) != "" {
				t.Errorf("span user.id %q from untrusted baggage", attrOf(s[0], semconv.UserID))
			}
			if inner.Get("Baggage") != "tenant=blue" {
				t.Errorf("handler sees baggage %q, want tenant=blue only", inner.Get("Baggage"))
			}
			hs := own.headers()
			bag := members(hs[len(hs)-1])
			if v := bag.Member("session.id").Value(); v != tc.wantSession {
				t.Errorf("onward session.id %q, want %q", v, tc.wantSession)
			}
			if tc.wantSession != "evil" && bag.Member("user.id").Key() != "" {
				t.Errorf("onward baggage %q carries the client's user.id", hs[len(hs)-1].Values("Baggage"))
			}
		})
	}
}

// TestInvalidIDsRefused: bad ids are reported through otel.Handle, not
// used, not passed on, and the request is served.
func TestInvalidIDsRefused(t *testing.T) {
	long := strings.Repeat("a", fi.MaxIDLength+1)
	for _, tc := range []struct {
		name, header, bag, wantSession, wantErr string
	}{
		{"too long header", long, "", "", "over the 1024-byte limit"},
		{"too long baggage", "", "session.id=" + long, "", "session id from baggage is 1025 bytes"},
		{"control char", "a\x01b", "", "", "control character"},
		{"invalid utf8", "a\xffb", "", "", "not valid UTF-8"},
		{"control char in baggage", "", "session.id=a%01b", "", "session id from baggage contains control character"},
		{"bad header, good baggage", long, "session.id=ok-1", "ok-1", "over the 1024-byte limit"},
		{"baggage over 8192 bytes", "", "session.id=x," + strings.Repeat("k=v,", 2100) + "z=1", "", "over the 8192-byte W3C limit"},
		{"malformed baggage", "", "session.id=ok-2,=broken;;,", "ok-2", ""},
		{"malformed session member", "", "session.id=a\"b,k=v", "", "not a valid W3C baggage member"},
		{"max length ok", strings.Repeat("b", fi.MaxIDLength), "", strings.Repeat("b", fi.MaxIDLength), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs := captureErrors(t)
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			if tc.header != "" {
				req.Header["X-Session-Id"] = []string{tc.header}
			}
			if tc.bag != "" {
				req.Header["Baggage"] = []string{tc.bag}
			}
			var got string
			var inner []string
			called := false
			h := fihttp.NewHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				called, got, inner = true, fi.SessionID(r.Context()), r.Header.Values("Baggage")
			}))
			h.ServeHTTP(httptest.NewRecorder(), req)
			if !called {
				t.Fatal("request not served")
			}
			if got != tc.wantSession {
				t.Errorf("session %.40q, want %.40q", got, tc.wantSession)
			}
			if v, _ := baggage.Parse(strings.Join(inner, ",")); v.Member("session.id").Key() != "" {
				t.Errorf("session.id still in baggage handed on: %.80q", inner)
			}
			es := errs()
			if tc.wantErr == "" {
				if len(es) != 0 {
					t.Errorf("unexpected errors %v", es)
				}
				return
			}
			found := false
			for _, e := range es {
				if strings.Contains(e.Error(), tc.wantErr) {
					found = true
					if !errors.Is(e, fihttp.ErrInvalidID) && !errors.Is(e, fihttp.ErrInvalidBaggage) {
						t.Errorf("error %q wraps neither ErrInvalidID nor ErrInvalidBaggage", e)
					}
				}
			}
			if !found {
				t.Errorf("errors %q, want one containing %q", es, tc.wantErr)
			}
		})
	}
}

// TestExtractorsOrder: sources are tried in order, per id.
func TestExtractorsOrder(t *testing.T) {
	captureErrors(t)
	h := func(opts ...fihttp.Option) (string, string) {
		var s, u string
		req := httptest.NewRequest(http.MethodGet, "/?sid=q-s&uid=q-u", nil)
		req.Header.Set("X-Session-Id", "h-s")
		req.Header.Set("Baggage", "session.id=b-s,user.id=b-u")
		req.AddCookie(&http.Cookie{Name: "sid", Value: "c-s"})
		fihttp.NewHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s, u = fi.SessionID(r.Context()), fi.UserID(r.Context())
		}), opts...).ServeHTTP(httptest.NewRecorder(), req)
		return s, u
	}
	check := func(name, s, u, ws, wu string) {
		if s != ws || u != wu {
			t.Errorf("%s: got %q/%q, want %q/%q", name, s, u, ws, wu)
		}
	}
	s, u := h()
	check("default", s, u, "h-s", "b-u")
	s, u = h(fihttp.WithExtractors(fihttp.FromQuery("sid", "uid")))
	check("query", s, u, "q-s", "q-u")
	s, u = h(fihttp.WithExtractors(fihttp.FromCookie("sid", ""), fihttp.FromHeader("", "X-Nope")))
	check("cookie", s, u, "c-s", "")
	s, u = h(fihttp.WithExtractors(fihttp.FromFunc(func(*http.Request) (string, string) { return "", "fn-u" }), fihttp.FromBaggage()))
	check("func then baggage", s, u, "b-s", "fn-u")
}

// TestPanickingExtractor: a panic in a user extractor is reported and the
// request is served without ids.
func TestPanickingExtractor(t *testing.T) {
	errs := captureErrors(t)
	called := false
	fihttp.Middleware(fihttp.WithExtractors(fihttp.FromFunc(func(*http.Request) (string, string) { panic("boom") })))(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { called = fi.SessionID(r.Context()) == "" }),
	).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	if !called {
		t.Error("request not served")
	}
	if es := errs(); len(es) != 1 || !strings.Contains(es[0].Error(), "boom") {
		t.Errorf("errors %v", es)
	}
}

// TestUserIDNotSentByDefault: the transport sends the session only unless
// user propagation is enabled.
func TestUserIDNotSentByDefault(t *testing.T) {
	own := newRecorder(t)
	ctx := fi.UsingAttributes(context.Background(), fi.Attributes{SessionID: "s", UserID: "u"})
	for _, user := range []bool{false, true} {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, own.URL, nil)
		resp, err := (&http.Client{Transport: fihttp.NewTransport(nil, fihttp.WithUserPropagation(user))}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		hs := own.headers()
		bag := members(hs[len(hs)-1])
		if bag.Member("session.id").Value() != "s" || (bag.Member("user.id").Value() == "u") != user {
			t.Errorf("user propagation %v: baggage %q", user, hs[len(hs)-1].Values("Baggage"))
		}
	}
}

// TestRedirectToThirdPartyHost: an own service that redirects to a
// third-party host does not get the ids carried there.
func TestRedirectToThirdPartyHost(t *testing.T) {
	llm := newRecorder(t)
	own := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Baggage"), "session.id=s-1") {
			t.Errorf("own service baggage %q", r.Header.Get("Baggage"))
		}
		http.Redirect(w, r, "http://api.openai.com/v1/models", http.StatusFound)
	}))
	defer own.Close()
	llmAddr := llm.Listener.Addr().String()
	ownAddr := own.Listener.Addr().String()
	base := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		if strings.HasPrefix(addr, "api.openai.com") {
			addr = llmAddr
		} else {
			addr = ownAddr
		}
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}}
	c := &http.Client{Transport: fihttp.NewTransport(base, fihttp.WithUserPropagation(true))}
	ctx := fi.UsingAttributes(context.Background(), fi.Attributes{SessionID: "s-1", UserID: "u-1"})
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, own.URL, nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	hs := llm.headers()
	if len(hs) != 1 {
		t.Fatalf("stand-in got %d requests", len(hs))
	}
	if b := hs[0].Values("Baggage"); len(b) != 0 {
		t.Errorf("redirected request to api.openai.com carries baggage %q", b)
	}
}

// TestHostHeaderMustBeAllowed: a request dialled to an allowed address
// but addressed (Host) to another name gets no ids.
func TestHostHeaderMustBeAllowed(t *testing.T) {
	own := newRecorder(t)
	ctx := fi.UsingSession(context.Background(), "s-1")
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, own.URL, nil)
	req.Host = "api.openai.com"
	resp, err := (&http.Client{Transport: fihttp.NewTransport(nil)}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if b := own.headers()[0].Values("Baggage"); len(b) != 0 {
		t.Errorf("baggage %q sent with Host api.openai.com", b)
	}
}

// TestHandlerInsideOtelhttp: in the other order otelhttp extracts the
// baggage first; fihttp still moves the ids into the scope and out of the
// context baggage (only the server span lacks them).
func TestHandlerInsideOtelhttp(t *testing.T) {
	tp, rec := newProvider(t)
	var bag string
	h := otelhttp.NewHandler(fihttp.NewHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bag = baggage.FromContext(r.Context()).String()
		_, span := tp.Tracer("t").Start(r.Context(), "work")
		span.End()
	})), "srv", otelhttp.WithTracerProvider(tp), otelhttp.WithPropagators(prop))
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("Baggage", "session.id=s-5,k=v")
	h.ServeHTTP(httptest.NewRecorder(), req)
	if bag != "k=v" {
		t.Errorf("context baggage %q, want k=v", bag)
	}
	for _, s := range rec.Ended() {
		want := ""
		if s.Name() == "work" {
			want = "s-5"
		}
		if v := attrOf(s, semconv.SessionID); v != want {
			t.Errorf("span %q session.id %q, want %q", s.Name(), v, want)
		}
	}
}

type closeCounter struct {
	http.RoundTripper
	n int
}

func (c *closeCounter) CloseIdleConnections() { c.n++ }

func TestCloseIdleConnectionsReachesBase(t *testing.T) {
	base := &closeCounter{RoundTripper: http.DefaultTransport}
	(&http.Client{Transport: fihttp.NewTransport(base)}).CloseIdleConnections()
	if base.n != 1 {
		t.Errorf("base CloseIdleConnections called %d times", base.n)
	}
}

func TestBaggageHeaderCanonical(t *testing.T) {
	if http.CanonicalHeaderKey(idbaggage.Header) != "Baggage" {
		t.Fatal("canonical baggage header changed")
	}
}
