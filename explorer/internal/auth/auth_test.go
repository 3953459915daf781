package auth

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"/sessions?q=1":         "/sessions?q=1",
		"":                      "/",
		"//evil.example/x":      "/",
		"https://evil.example/": "/",
		"/\\evil.example":       "/",
		"relative":              "/",
		"javascript:alert(1)":   "/",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBearer(t *testing.T) {
	g := New("abc")
	for v, want := range map[string]bool{
		"Bearer abc": true, "bearer abc": true, "BEARER  abc ": true,
		"Bearer abcd": false, "Bearer ab": false, "abc": false, "Basic abc": false, "": false,
	} {
		if got := g.bearer(v); got != want {
			t.Errorf("bearer(%q) = %v", v, got)
		}
	}
	if New("") != nil {
		t.Error("empty token made a guard")
	}
	// A nil guard passes everything through.
	var nilG *Guard
	rec := httptest.NewRecorder()
	nilG.API(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(204) })).ServeHTTP(rec, httptest.NewRequest("GET", "/api/x", nil))
	if rec.Code != 204 {
		t.Errorf("nil guard: %d", rec.Code)
	}
}

func TestCheckExposure(t *testing.T) {
	for _, c := range []struct {
		addr     string
		token    string
		insecure bool
		refused  bool
	}{
		{"127.0.0.1:7070", "", false, false},
		{"localhost:7070", "", false, false},
		{"[::1]:7070", "", false, false},
		{"off", "", false, false},
		{"0.0.0.0:7070", "", false, true},
		{":7070", "", false, true},
		{"192.168.1.5:7070", "", false, true},
		{"0.0.0.0:7070", "t", false, false},
		{"0.0.0.0:7070", "", true, false},
	} {
		err := CheckExposure(c.token, c.insecure, Listener{"--http", "127.0.0.1:1"}, Listener{"--otlp-grpc", c.addr})
		if (err != nil) != c.refused {
			t.Errorf("%+v: err %v", c, err)
		}
		if err != nil && (!strings.Contains(err.Error(), "--otlp-grpc") || !strings.Contains(err.Error(), "TRACEAI_AUTH_TOKEN")) {
			t.Errorf("message %q", err)
		}
	}
}
