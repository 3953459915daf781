package fihttp_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/baggage"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/instrumentation/fihttp"
)

// A service reads the session from X-Session-Id (or from the baggage of a
// calling service); every span of the request carries session.id. fihttp
// wraps otelhttp so that the server span carries it too.
func ExampleNewHandler() {
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "session=%s user=%s", fi.SessionID(r.Context()), fi.UserID(r.Context()))
	})
	srv := httptest.NewServer(fihttp.NewHandler(otelhttp.NewHandler(app, "chat")))
	defer srv.Close()

	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	req.Header.Set("X-Session-Id", "sess-1")
	req.Header.Set("X-User-Id", "user-1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(string(body))
	// Output: session=sess-1 user=user-1
}

// A public edge takes the session from its own cookie and refuses session
// ids that clients put into W3C baggage.
func ExampleMiddleware() {
	edge := fihttp.Middleware(
		fihttp.WithExtractors(fihttp.FromCookie("session", ""), fihttp.FromBaggage()),
		fihttp.WithTrustedBaggage(false),
	)
	h := edge(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Printf("session=%q baggage=%q\n", fi.SessionID(r.Context()), r.Header.Get("Baggage"))
	}))

	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("Baggage", "session.id=forged,lang=en")
	h.ServeHTTP(httptest.NewRecorder(), req)
	req.AddCookie(&http.Cookie{Name: "session", Value: "sess-7"})
	h.ServeHTTP(httptest.NewRecorder(), req)
	// Output:
	// session="" baggage="lang=en"
	// session="sess-7" baggage="lang=en"
}

// A client for your own services sends the session in W3C baggage; the
// same client calling a third-party host sends none. Wrap it in otelhttp
// for client spans and trace context.
func ExampleNewTransport() {
	own := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := baggage.Parse(r.Header.Get("Baggage"))
		fmt.Println("own service got:", b.Member("session.id").Value(), b.Member("user.id").Value())
	}))
	defer own.Close()

	client := &http.Client{Transport: otelhttp.NewTransport(fihttp.NewTransport(http.DefaultTransport,
		fihttp.WithAllowedHosts("retrieval.internal", "*.svc.cluster.local"),
		fihttp.WithUserPropagation(true), // off by default: user ids are personal data
	))}

	ctx := fi.UsingAttributes(context.Background(), fi.Attributes{SessionID: "sess-1", UserID: "user-1"})
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, own.URL, nil)
	resp, err := client.Do(req)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()

	tr := fihttp.NewTransport(nil, fihttp.WithAllowedHosts("retrieval.internal"))
	fmt.Println("api.openai.com allowed:", tr.Allowed("api.openai.com:443"))
	// Output:
	// own service got: sess-1 user-1
	// api.openai.com allowed: false
}
