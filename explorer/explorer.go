// Package explorer is the traceAI session explorer: an OTLP receiver (HTTP
// and gRPC) storing spans in an embedded SQLite database (or PostgreSQL,
// see OpenBackend), a JSON API and web pages showing sessions, users,
// conversations, traces and rankings.
//
// It is what "traceai serve" runs; embed it to run the explorer inside a Go
// program or a test:
//
//	x, err := explorer.New(explorer.WithDBPath("traceai.db"))
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

// Off disables a listener when used as an address (WithHTTPAddr,
// WithOTLPHTTPAddr, WithOTLPGRPCAddr).
const Off = "off"

// Explorer is a running (or ready to run) session explorer.
type Explorer struct {
	cfg    config
	log    *slog.Logger
	store  store.Backend
	guard  *auth.Guard
	budget *budget // of the OTLP requests in flight, both receivers

	mu        sync.Mutex
	started   bool
	uiSrv     *http.Server
	otlpSrv   *http.Server
	grpcSrv   *grpc.Server
	uiLn      net.Listener
	otlpLn    net.Listener
	grpcLn    net.Listener
	serveErrs chan error

	stopRetain func()        // cancels the retention loop
	retainEnd  chan struct{} // closed when the retention loop is done
}

// New opens the database and prepares the servers; Start listens. Options
// left out take the defaults above.
func New(opts ...Option) (*Explorer, error) {
	cfg := newConfig(opts)
	// ":7070" would bind every interface; an address without a host means
	// loopback here, as the defaults do.
	for _, a := range []*string{&cfg.httpAddr, &cfg.otlpHTTPAddr, &cfg.otlpGRPCAddr} {
		*a = loopbackIfNoHost(*a)
	}
	for _, a := range []struct{ name, addr string }{{"HTTPAddr", cfg.httpAddr}, {"OTLPHTTPAddr", cfg.otlpHTTPAddr}, {"OTLPGRPCAddr", cfg.otlpGRPCAddr}} {
		if a.addr == Off {
			continue
		}
		if _, _, err := net.SplitHostPort(a.addr); err != nil {
			return nil, fmt.Errorf("explorer: %s %q: %w", a.name, a.addr, err)
		}
	}
	if err := auth.CheckExposure(cfg.authToken, cfg.insecureNoAuth,
		auth.Listener{Flag: "--http", Addr: cfg.httpAddr},
		auth.Listener{Flag: "--otlp-http", Addr: cfg.otlpHTTPAddr},
		auth.Listener{Flag: "--otlp-grpc", Addr: cfg.otlpGRPCAddr}); err != nil {
		return nil, err
	}
	st := cfg.backend
	if st == nil {
		sopts := append([]store.Option{store.WithLogger(cfg.logger)}, cfg.storeOptions...)
		ctx, cancel := context.WithTimeout(context.Background(), openTimeout)
		defer cancel()
		var err error
		if st, err = OpenBackend(ctx, cfg.dbPath, sopts...); err != nil {
			return nil, err
		}
	}
	x := &Explorer{cfg: cfg, log: cfg.logger, store: st, guard: auth.New(cfg.authToken), budget: newBudget(cfg.maxInFlight)}
	if _, err := x.retainer(); err != nil {
		if cfg.backend == nil {
			st.Close()
		}
		return nil, err
	}
	return x, nil
}

// openTimeout bounds opening the database in New (reaching a PostgreSQL
// server, migrating).
const openTimeout = time.Minute

// DB describes the span database for a log line: its path, or its URL
// without the password; "(given)" for WithBackend.
func (x *Explorer) DB() string {
	if x.cfg.backend != nil {
		return "(given)"
	}
	return RedactDB(x.cfg.dbPath)
}

// Store returns the explorer's span store.
func (x *Explorer) Store() store.Backend { return x.store }

// Handler returns the handler of the web pages and the JSON API (and of
// /v1/traces), as served on HTTPAddr.
func (x *Explorer) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/health", x.serveHealth)
	mux.Handle("/api/", x.guard.API(x.healthy(newAPI(x.store, x.log))))
	mux.Handle("/v1/traces", x.otlpHandler())
	pages := http.NewServeMux()
	mountUI(pages, x.store, x.log)
	mux.Handle("/", x.guard.Pages(x.healthy(pages)))
	return secure(mux)
}

func (x *Explorer) otlpHandler() http.Handler {
	return x.guard.OTLP(&otlpHTTP{store: x.store, max: x.cfg.maxBodyBytes, maxSpans: x.cfg.maxReqSpans, budget: x.budget, log: x.log})
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
	if x.uiLn, err = listen(x.cfg.httpAddr); err != nil {
		return fmt.Errorf("explorer: listen %s (--http): %w", x.cfg.httpAddr, err)
	}
	if !x.shared() {
		if x.otlpLn, err = listen(x.cfg.otlpHTTPAddr); err != nil {
			closeAll(x.uiLn)
			return fmt.Errorf("explorer: listen %s (--otlp-http): %w", x.cfg.otlpHTTPAddr, err)
		}
	}
	if x.grpcLn, err = listen(x.cfg.otlpGRPCAddr); err != nil {
		closeAll(x.uiLn, x.otlpLn)
		return fmt.Errorf("explorer: listen %s (--otlp-grpc): %w", x.cfg.otlpGRPCAddr, err)
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
		x.grpcSrv = grpc.NewServer(append(x.guard.ServerOptions(), grpc.MaxRecvMsgSize(int(x.cfg.maxBodyBytes)),
			grpc.ForceServerCodecV2(newRawCodec()))...)
		x.grpcSrv.RegisterService(&traceService, &otlpGRPC{store: x.store, maxSpans: x.cfg.maxReqSpans, budget: x.budget})
		ln := x.grpcLn
		serve("otlp-grpc", func() error { return x.grpcSrv.Serve(ln) })
	}
	if r, _ := x.retainer(); r != nil {
		rctx, cancel := context.WithCancel(context.Background())
		x.stopRetain, x.retainEnd = cancel, make(chan struct{})
		go x.retention(rctx, r, x.retainEnd)
		x.log.Info("traceai explorer: retention on", "retain", x.cfg.retain, "max_spans", x.cfg.maxSpans)
	}
	x.log.Info("traceai explorer listening", "ui", x.UIURL(), "otlp_http", x.OTLPHTTPEndpoint(),
		"otlp_grpc", x.OTLPGRPCAddr(), "db", x.DB())
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
	_, port, _ := net.SplitHostPort(x.cfg.httpAddr)
	return x.cfg.otlpHTTPAddr == x.cfg.httpAddr && port != "0" && x.cfg.httpAddr != Off
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

// loopbackIfNoHost puts 127.0.0.1 in an address without a host.
func loopbackIfNoHost(addr string) string {
	if host, port, err := net.SplitHostPort(addr); err == nil && host == "" {
		return net.JoinHostPort("127.0.0.1", port)
	}
	return addr
}

// ListenAddrs returns the address each running listener is bound to, as
// the system reports it ("0.0.0.0:7070" when bound to every interface), by
// name: "http", "otlp-http", "otlp-grpc". The URLs of UIURL and
// OTLPHTTPEndpoint are for connecting; these say who can connect.
func (x *Explorer) ListenAddrs() map[string]string {
	x.mu.Lock()
	defer x.mu.Unlock()
	m := map[string]string{}
	for name, ln := range map[string]net.Listener{"http": x.uiLn, "otlp-http": x.otlpLn, "otlp-grpc": x.grpcLn} {
		if ln != nil {
			m[name] = ln.Addr().String()
		}
	}
	return m
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
	if x.stopRetain != nil {
		x.stopRetain()
		<-x.retainEnd
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
