// Package auth guards the explorer's listeners with one shared access token.
//
// The JSON API and OTLP/HTTP take "Authorization: Bearer TOKEN" (401
// otherwise), OTLP/gRPC the "authorization" metadata (Unauthenticated
// otherwise). Pages take the same header or a cookie set by a small sign-in
// form; a page request with neither gets the form, never the data. Tokens
// are compared in constant time and never logged; the cookie holds an HMAC
// of the token, not the token.
package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// CookieName is the name of the sign-in cookie.
const CookieName = "traceai_auth"

// SignInPath receives the sign-in form.
const SignInPath = "/signin"

// formCSP allows the form to post to this origin and nothing else: no
// script, no style, no inline anything.
const formCSP = "default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// Guard checks requests against one token. A nil *Guard lets everything
// through (no token configured).
type Guard struct {
	token  []byte
	cookie []byte // hex HMAC of the token, the cookie's value
}

// New returns a Guard for token, or nil when token is empty.
func New(token string) *Guard {
	if token == "" {
		return nil
	}
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte("traceai explorer sign-in cookie v1"))
	return &Guard{token: []byte(token), cookie: []byte(hex.EncodeToString(m.Sum(nil)))}
}

// bearer reports whether the Authorization value carries the token.
func (g *Guard) bearer(v string) bool {
	const p = "bearer "
	if len(v) < len(p) || !strings.EqualFold(v[:len(p)], p) {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(strings.TrimSpace(v[len(p):])), g.token) == 1
}

func (g *Guard) hasCookie(r *http.Request) bool {
	c, err := r.Cookie(CookieName)
	return err == nil && subtle.ConstantTimeCompare([]byte(c.Value), g.cookie) == 1
}

// API wraps a JSON API or OTLP/HTTP handler: the bearer header or 401.
// A page's sign-in cookie also opens the API, as the pages call it.
func (g *Guard) API(h http.Handler) http.Handler {
	if g == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if g.bearer(r.Header.Get("Authorization")) || g.hasCookie(r) {
			h.ServeHTTP(w, r)
			return
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="traceai"`)
		http.Error(w, "traceai explorer: missing or wrong access token (Authorization: Bearer TOKEN)", http.StatusUnauthorized)
	})
}

// OTLP wraps an OTLP/HTTP handler: only the bearer header, as exporters send
// it from OTEL_EXPORTER_OTLP_HEADERS.
func (g *Guard) OTLP(h http.Handler) http.Handler {
	if g == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if g.bearer(r.Header.Get("Authorization")) {
			h.ServeHTTP(w, r)
			return
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="traceai"`)
		http.Error(w, "traceai explorer: missing or wrong access token (Authorization: Bearer TOKEN)", http.StatusUnauthorized)
	})
}

// Pages wraps the web pages: the bearer header or the cookie, else the
// sign-in form (status 401). It also answers POST SignInPath.
func (g *Guard) Pages(h http.Handler) http.Handler {
	if g == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == SignInPath {
			g.signIn(w, r)
			return
		}
		if g.bearer(r.Header.Get("Authorization")) || g.hasCookie(r) {
			h.ServeHTTP(w, r)
			return
		}
		g.form(w, r.URL.RequestURI(), "", http.StatusUnauthorized)
	})
}

func (g *Guard) signIn(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		g.form(w, "/", "", http.StatusUnauthorized)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "traceai explorer: bad sign-in form", http.StatusBadRequest)
		return
	}
	next := safeNext(r.PostForm.Get("next"))
	if subtle.ConstantTimeCompare([]byte(r.PostForm.Get("token")), g.token) != 1 {
		g.form(w, next, "Wrong access token.", http.StatusUnauthorized)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name:     CookieName,
		Value:    string(g.cookie),
		Path:     "/",
		HttpOnly: true,
		SameSite: http.SameSiteStrictMode,
		Secure:   r.TLS != nil,
	})
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// safeNext keeps a redirect target on this origin.
func safeNext(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(s, "//") || strings.Contains(s, "\\") {
		return "/"
	}
	return u.RequestURI()
}

var formTmpl = template.Must(template.New("signin").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>traceAI explorer: sign in</title></head>
<body><h1>traceAI explorer</h1>
<p>This explorer requires an access token (the one given to <code>traceai serve --auth-token</code> or <code>TRACEAI_AUTH_TOKEN</code>).</p>
{{if .Msg}}<p role="alert"><strong>{{.Msg}}</strong></p>{{end}}
<form method="post" action="/signin">
<input type="hidden" name="next" value="{{.Next}}">
<label>Access token <input type="password" name="token" autocomplete="current-password" required autofocus></label>
<button type="submit">Sign in</button>
</form></body></html>
`))

func (g *Guard) form(w http.ResponseWriter, next, msg string, code int) {
	h := w.Header()
	h.Set("Content-Security-Policy", formCSP)
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	formTmpl.Execute(w, struct{ Next, Msg string }{safeNext(next), msg})
}

func (g *Guard) grpcOK(ctx context.Context) error {
	md, _ := metadata.FromIncomingContext(ctx)
	for _, v := range md.Get("authorization") {
		if g.bearer(v) {
			return nil
		}
	}
	return status.Error(codes.Unauthenticated, "traceai explorer: missing or wrong access token (authorization metadata: Bearer TOKEN)")
}

// ServerOptions returns the gRPC interceptors requiring the token, or none
// for a nil Guard.
func (g *Guard) ServerOptions() []grpc.ServerOption {
	if g == nil {
		return nil
	}
	return []grpc.ServerOption{
		grpc.ChainUnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			if err := g.grpcOK(ctx); err != nil {
				return nil, err
			}
			return h(ctx, req)
		}),
		grpc.ChainStreamInterceptor(func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
			if err := g.grpcOK(ss.Context()); err != nil {
				return err
			}
			return h(srv, ss)
		}),
	}
}

// Listener names one address and the flag that sets it, for CheckExposure.
type Listener struct{ Flag, Addr string }

// CheckExposure refuses to serve without a token on an address other
// machines can reach, unless insecure is set. "off" addresses are skipped.
func CheckExposure(token string, insecure bool, ls ...Listener) error {
	if token != "" || insecure {
		return nil
	}
	for _, l := range ls {
		if l.Addr == "off" || l.Addr == "" {
			continue
		}
		host, _, err := net.SplitHostPort(l.Addr)
		if err != nil || loopback(host) {
			continue
		}
		return fmt.Errorf("explorer: %s %s is reachable from other machines and no access token is set; "+
			"set one with --auth-token TOKEN or TRACEAI_AUTH_TOKEN=TOKEN (e.g. TRACEAI_AUTH_TOKEN=$(openssl rand -hex 32)), "+
			"bind to 127.0.0.1, or pass --insecure-no-auth to serve without one", l.Flag, l.Addr)
	}
	return nil
}

func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}
