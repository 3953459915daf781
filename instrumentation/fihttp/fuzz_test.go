package fihttp_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/baggage"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/instrumentation/fihttp"
	"github.com/traceai-go/traceai/internal/idbaggage"
)

// serveFuzz runs one request through the handler and checks the
// invariants: served, only valid ids in the scope, no id member handed on.
func serveFuzz(t *testing.T, opts []fihttp.Option, req *http.Request) {
	served := false
	var sid, uid string
	var bag []string
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served, sid, uid, bag = true, fi.SessionID(r.Context()), fi.UserID(r.Context()), r.Header.Values("Baggage")
	})
	fihttp.NewHandler(inner, opts...).ServeHTTP(httptest.NewRecorder(), req)
	if !served {
		t.Fatal("not served")
	}
	for _, id := range []string{sid, uid} {
		if id != "" && idbaggage.ValidateID("id", id) != nil {
			t.Fatalf("invalid id %q in scope", id)
		}
	}
	b, _ := baggage.Parse(strings.Join(bag, ","))
	if b.Member("session.id").Key() != "" || b.Member("user.id").Key() != "" {
		t.Fatalf("id member handed on: %q", bag)
	}
	if baggage.FromContext(req.Context()).Member("session.id").Key() != "" {
		t.Fatal("caller's request changed")
	}
}

func quiet(*testing.F) {
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(error) {}))
}

func FuzzHeader(f *testing.F) {
	for _, s := range []string{"s-1", "", " ", "a\x00b", "\xff", strings.Repeat("x", 1025), "ünï"} {
		f.Add(s, "u-1")
	}
	quiet(f)
	f.Fuzz(func(t *testing.T, session, user string) {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header["X-Session-Id"] = []string{session}
		req.Header["X-User-Id"] = []string{user}
		serveFuzz(t, nil, req)
	})
}

func FuzzBaggage(f *testing.F) {
	for _, s := range []string{"session.id=s-1,user.id=u-1", "session.id=%FF", "session.id=a;p=1", "session.id", "=,=,", "session.id=" + strings.Repeat("a", 5000), "k=v,session.id=a%20b"} {
		f.Add(s, "k=v", true)
	}
	quiet(f)
	f.Fuzz(func(t *testing.T, b1, b2 string, trusted bool) {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header["Baggage"] = []string{b1, b2}
		serveFuzz(t, []fihttp.Option{fihttp.WithTrustedBaggage(trusted)}, req)
	})
}

func FuzzCookie(f *testing.F) {
	for _, s := range []string{"sid=s-1; uid=u-1", "sid=\"quoted\"", "sid=", "sid=a;sid=b", ";;;", "sid=%FF"} {
		f.Add(s)
	}
	quiet(f)
	f.Fuzz(func(t *testing.T, cookie string) {
		req := httptest.NewRequest(http.MethodGet, "/?sid=q", nil)
		req.Header["Cookie"] = []string{cookie}
		serveFuzz(t, []fihttp.Option{fihttp.WithExtractors(fihttp.FromCookie("sid", "uid"), fihttp.FromQuery("sid", "uid"))}, req)
	})
}
