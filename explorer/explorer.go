// Package explorer is the traceAI session explorer: an OTLP receiver (HTTP
// and gRPC) storing spans in an embedded SQLite database, a JSON API and
// web pages showing sessions, users, conversations, traces and rankings.
//
// It is what "traceai serve" runs; embed it to run the explorer inside a Go
// program or a test:
//
//	x, err := explorer.New(explorer.Config{DBPath: "traceai.db"})
//	if err != nil { ... }
//	if err := x.Start(ctx); err != nil { ... }
//	defer x.Shutdown(context.Background())
//	fmt.Println("open", x.UIURL(), "and export to", x.OTLPHTTPEndpoint())
//
// Every listener binds to 127.0.0.1 by default. An OTLP request is
// acknowledged only after its spans are committed to the database.
package explorer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/traceai-go/traceai/explorer/internal/auth"
	"github.com/traceai-go/traceai/explorer/store"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"
	_ "google.golang.org/grpc/encoding/gzip" // accept gzip-compressed OTLP/gRPC
)

// Default addresses. OTLP uses the standard ports, bound to loopback.
const (
	DefaultDBPath       = "traceai.db"
	DefaultHTTPAddr     = "127.0.0.1:7070"
	DefaultOTLPHTTPAddr = "127.0.0.1:4318"
	DefaultOTLPGRPCAddr = "127.0.0.1:4317"
	// DefaultMaxBodyBytes bounds one OTLP request body, compressed or not.
	DefaultMaxBodyBytes = 32 << 20
)

// Off disables a listener when used as an address in Config.
const Off = "off"

// Config configures an Explorer. Zero fields take the defaults above.
type Config struct {
	// DBPath is the SQLite database file, created if missing.
	DBPath string
	// HTTPAddr serves the web pages and the JSON API.
	HTTPAddr string
	// OTLPHTTPAddr serves OTLP/HTTP at /v1/traces. When it equals HTTPAddr,
	// one server answers both.
	OTLPHTTPAddr string
	// OTLPGRPCAddr serves the OTLP/gRPC TraceService.
	OTLPGRPCAddr string
	// Logger receives operational messages (default slog.Default()).
	Logger *slog.Logger
	// MaxBodyBytes bounds an OTLP request (HTTP body before and after
	// decompression, gRPC message); larger requests get 413 /
	// ResourceExhausted.
	MaxBodyBytes int64
	// StoreOptions are passed to store.Open.
	StoreOptions []store.Option
	// AuthToken, when set, is required by every listener: "Authorization:
	// Bearer TOKEN" on the API and OTLP/HTTP, the "authorization" metadata
	// on OTLP/gRPC, the header or a sign-in cookie on the pages.
	AuthToken string
	// InsecureNoAuth allows listening on a non-loopback address without
	// AuthToken; New refuses that otherwise.
	InsecureNoAuth bool
}

// Explorer is a running (or ready to run) session explorer.
type Explorer struct {
	cfg   Config
	log   *slog.Logger
	store *store.Store
	guard *auth.Guard

	mu        sync.Mutex
	started   bool
	uiSrv     *http.Server
	otlpSrv   *http.Server
	grpcSrv   *grpc.Server
	uiLn      net.Listener
	otlpLn    net.Listener
	grpcLn    net.Listener
	serveErrs chan error
}

// New opens the database and prepares the servers; Start listens.
func New(cfg Config) (*Explorer, error) {
	if cfg.DBPath == "" {
		cfg.DBPath = DefaultDBPath
	}
	if cfg.HTTPAddr == "" {
		cfg.HTTPAddr = DefaultHTTPAddr
	}
	if cfg.OTLPHTTPAddr == "" {
		cfg.OTLPHTTPAddr = DefaultOTLPHTTPAddr
	}
	if cfg.OTLPGRPCAddr == "" {
		cfg.OTLPGRPCAddr = DefaultOTLPGRPCAddr
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	for _, a := range []struct{ name, addr string }{{"HTTPAddr", cfg.HTTPAddr}, {"OTLPHTTPAddr", cfg.OTLPHTTPAddr}, {"OTLPGRPCAddr", cfg.OTLPGRPCAddr}} {
		if a.addr == Off {
			continue
		}
		if _, _, err := net.SplitHostPort(a.addr); err != nil {
			return nil, fmt.Errorf("explorer: %s %q: %w", a.name, a.addr, err)
		}
	}
	if err := auth.CheckExposure(cfg.AuthToken, cfg.InsecureNoAuth,
		auth.Listener{Flag: "--http", Addr: cfg.HTTPAddr},
		auth.Listener{Flag: "--otlp-http", Addr: cfg.OTLPHTTPAddr},
		auth.Listener{Flag: "--otlp-grpc", Addr: cfg.OTLPGRPCAddr}); err != nil {
		return nil, err
	}
	opts := append([]store.Option{store.WithLogger(cfg.Logger)}, cfg.StoreOptions...)
	st, err := store.Open(cfg.DBPath, opts...)
	if err != nil {
		return nil, err
	}
	return &Explorer{cfg: cfg, log: cfg.Logger, store: st, guard: auth.New(cfg.AuthToken)}, nil
}

// Store returns the explorer's span store.
func (x *Explorer) Store() *store.Store { return x.store }

// Handler returns the handler of the web pages and the JSON API (and of
// /v1/traces), as served on HTTPAddr.
func (x *Explorer) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/api/", x.guard.API(newAPI(x.store, x.log)))
	mux.Handle("/v1/traces", x.otlpHandler())
	pages := http.NewServeMux()
	mountUI(pages, x.store, x.log)
	mux.Handle("/", x.guard.Pages(pages))
	return secure(mux)
}

func (x *Explorer) otlpHandler() http.Handler {
	return x.guard.OTLP(&otlpHTTP{store: x.store, max: x.cfg.MaxBodyBytes, log: x.log})
}

// Start listens on the configured addresses and serves in the background.
// It fails, listening on nothing, when any address cannot be bound.
func (x *Explorer) Start(ctx context.Context) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.started {
		return errors.New("explorer: already started")
	}
	var lc net.ListenConfig
	listen := func(addr string) (net.Listener, error) {
		if addr == Off {
			return nil, nil
		}
		return lc.Listen(ctx, "tcp", addr)
	}
	closeAll := func(ls ...net.Listener) {
		for _, l := range ls {
			if l != nil {
				l.Close()
			}
		}
	}
	var err error
	if x.uiLn, err = listen(x.cfg.HTTPAddr); err != nil {
		return fmt.Errorf("explorer: listen %s (--http): %w", x.cfg.HTTPAddr, err)
	}
	if !x.shared() {
		if x.otlpLn, err = listen(x.cfg.OTLPHTTPAddr); err != nil {
			closeAll(x.uiLn)
			return fmt.Errorf("explorer: listen %s (--otlp-http): %w", x.cfg.OTLPHTTPAddr, err)
		}
	}
	if x.grpcLn, err = listen(x.cfg.OTLPGRPCAddr); err != nil {
		closeAll(x.uiLn, x.otlpLn)
		return fmt.Errorf("explorer: listen %s (--otlp-grpc): %w", x.cfg.OTLPGRPCAddr, err)
	}
	x.started = true
	x.serveErrs = make(chan error, 3)
	serve := func(name string, f func() error) {
		go func() {
			if err := f(); err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, grpc.ErrServerStopped) {
				x.log.Error("traceai explorer: server stopped", "server", name, "err", err)
				x.serveErrs <- fmt.Errorf("%s: %w", name, err)
			}
		}()
	}
	if x.uiLn != nil {
		x.uiSrv = newHTTPServer(x.Handler(), x.log)
		ln := x.uiLn
		serve("http", func() error { return x.uiSrv.Serve(ln) })
	}
	if x.otlpLn != nil {
		mux := http.NewServeMux()
		mux.Handle("/v1/traces", x.otlpHandler())
		mux.Handle("/", http.NotFoundHandler())
		x.otlpSrv = newHTTPServer(secure(mux), x.log)
		ln := x.otlpLn
		serve("otlp-http", func() error { return x.otlpSrv.Serve(ln) })
	}
	if x.grpcLn != nil {
		x.grpcSrv = grpc.NewServer(append(x.guard.ServerOptions(), grpc.MaxRecvMsgSize(int(x.cfg.MaxBodyBytes)))...)
		coltracepb.RegisterTraceServiceServer(x.grpcSrv, &otlpGRPC{store: x.store})
		ln := x.grpcLn
		serve("otlp-grpc", func() error { return x.grpcSrv.Serve(ln) })
	}
	x.log.Info("traceai explorer listening", "ui", x.UIURL(), "otlp_http", x.OTLPHTTPEndpoint(),
		"otlp_grpc", x.OTLPGRPCAddr(), "db", x.cfg.DBPath)
	return nil
}

// Err returns a channel receiving an error when a server stops unexpectedly.
func (x *Explorer) Err() <-chan error {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.serveErrs
}

// shared reports whether OTLP/HTTP is served by the UI server (same fixed
// address; port 0 always means a listener of its own).
func (x *Explorer) shared() bool {
	_, port, _ := net.SplitHostPort(x.cfg.HTTPAddr)
	return x.cfg.OTLPHTTPAddr == x.cfg.HTTPAddr && port != "0" && x.cfg.HTTPAddr != Off
}

func newHTTPServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    1 << 20,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

func urlHost(ln net.Listener) string {
	addr := ln.Addr().(*net.TCPAddr)
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, fmt.Sprint(addr.Port))
}

// UIURL returns the base URL of the web pages, e.g. "http://127.0.0.1:7070",
// or "" before Start or when disabled.
func (x *Explorer) UIURL() string {
	if x.uiLn == nil {
		return ""
	}
	return "http://" + urlHost(x.uiLn)
}

// OTLPHTTPEndpoint returns the OTLP/HTTP base URL (exporters append
// /v1/traces), e.g. "http://127.0.0.1:4318", or "" before Start.
func (x *Explorer) OTLPHTTPEndpoint() string {
	switch {
	case x.otlpLn != nil:
		return "http://" + urlHost(x.otlpLn)
	case x.shared() && x.uiLn != nil:
		return x.UIURL()
	}
	return ""
}

// OTLPGRPCAddr returns the host:port of the OTLP/gRPC receiver, or "" before
// Start or when disabled.
func (x *Explorer) OTLPGRPCAddr() string {
	if x.grpcLn == nil {
		return ""
	}
	return urlHost(x.grpcLn)
}

// Shutdown stops receiving (answering requests in flight), stops the pages,
// and closes the database once every acknowledged batch is committed.
func (x *Explorer) Shutdown(ctx context.Context) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	var errs []error
	if x.otlpSrv != nil {
		errs = append(errs, x.otlpSrv.Shutdown(ctx))
	}
	if x.grpcSrv != nil {
		done := make(chan struct{})
		go func() { x.grpcSrv.GracefulStop(); close(done) }()
		select {
		case <-done:
		case <-ctx.Done():
			x.grpcSrv.Stop()
			<-done
		}
	}
	if x.uiSrv != nil {
		errs = append(errs, x.uiSrv.Shutdown(ctx))
	}
	if !x.started {
		// Never started: close any listener opened by a failed Start.
		for _, l := range []net.Listener{x.uiLn, x.otlpLn, x.grpcLn} {
			if l != nil {
				l.Close()
			}
		}
	}
	errs = append(errs, x.store.Close())
	return errors.Join(errs...)
}

// secure sets the headers every answer carries and refuses requests whose
// Host is not this machine when serving on loopback (DNS rebinding).
func secure(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Content-Security-Policy", apiCSP)
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "same-origin")
		if !hostAllowed(r) {
			http.Error(w, "traceai explorer: unexpected Host header "+fmt.Sprintf("%q", r.Host)+"; use localhost or 127.0.0.1", http.StatusMisdirectedRequest)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// apiCSP is the policy of non-page answers; pages set their own stricter-
// than-default policy over it.
const apiCSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// hostAllowed accepts any Host on a non-loopback listener (the user chose to
// expose it) and only loopback names on a loopback one, so that a web page
// served from elsewhere cannot read the API through DNS rebinding.
func hostAllowed(r *http.Request) bool {
	local, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok {
		return true
	}
	tcp, ok := local.(*net.TCPAddr)
	if !ok || !tcp.IP.IsLoopback() {
		return true
	}
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(strings.ToLower(host), "[]")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
