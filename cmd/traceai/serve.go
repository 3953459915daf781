package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/traceai-go/traceai/explorer"
	"github.com/traceai-go/traceai/explorer/store"
)

// runServe runs the session explorer until SIGINT or SIGTERM.
func runServe(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `usage: traceai serve [flags]

Receives OpenTelemetry traces over OTLP (HTTP and gRPC), stores them in a
database (an SQLite file, or PostgreSQL for a postgres:// URL) and serves
the session explorer's pages and JSON API.
Every address binds to 127.0.0.1 unless you give another host; "off"
disables a listener.

flags:
`)
		fs.PrintDefaults()
	}
	db := fs.String("db", explorer.DefaultDBPath, "span database: an SQLite file `path` (created if missing) or a postgres:// URL (or TRACEAI_DB)")
	httpAddr := fs.String("http", explorer.DefaultHTTPAddr, "`address` of the web pages and JSON API")
	otlpHTTP := fs.String("otlp-http", explorer.DefaultOTLPHTTPAddr, "`address` of the OTLP/HTTP receiver (POST /v1/traces)")
	otlpGRPC := fs.String("otlp-grpc", explorer.DefaultOTLPGRPCAddr, "`address` of the OTLP/gRPC receiver")
	sync := fs.String("sync", "full", "durability of acknowledged spans: full (survive power loss) or normal (survive a crash; faster)")
	maxBody := fs.Int64("max-body", explorer.DefaultMaxBodyBytes, "largest OTLP request accepted, in `bytes`")
	maxReqSpans := fs.Int("max-request-spans", explorer.DefaultMaxSpansPerRequest, "most spans one OTLP request may hold (more: 413)")
	maxInFlight := fs.Int64("max-inflight", explorer.DefaultMaxBytesInFlight, "memory OTLP requests in flight may hold, estimated, in `bytes` (beyond: 503, retried; one request needing more: 413)")
	authToken := fs.String("auth-token", "", "access `token` every listener requires (or TRACEAI_AUTH_TOKEN); needed on a non-loopback address")
	insecure := fs.Bool("insecure-no-auth", false, "allow a non-loopback address without --auth-token")
	retain := fs.String("retain", "", "delete traces older than `DURATION` in the background (30d, 12h, 90m; default keep everything)")
	maxSpans := fs.Int64("max-spans", 0, "delete the oldest traces while the database holds more than `N` spans (default no limit)")
	verbose := fs.Bool("v", false, "log debug messages")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("serve: unexpected argument %q", fs.Arg(0))
	}
	*db = chooseDB(fs, *db, os.Getenv("TRACEAI_DB"))
	if *authToken == "" {
		// Read here, not as the flag's default, so that -help never prints it.
		*authToken = os.Getenv("TRACEAI_AUTH_TOKEN")
	}
	keep, err := parseRetain(*retain)
	if err != nil {
		return fmt.Errorf("serve: --retain: %w", err)
	}
	if *maxSpans < 0 {
		return fmt.Errorf("serve: --max-spans must be positive, not %d", *maxSpans)
	}
	var mode string
	switch *sync {
	case "full":
		mode = "FULL"
	case "normal":
		mode = "NORMAL"
	default:
		return fmt.Errorf("serve: --sync must be full or normal, not %q", *sync)
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	x, err := explorer.New(
		explorer.WithDB(*db),
		explorer.WithHTTPAddr(*httpAddr),
		explorer.WithOTLPHTTPAddr(*otlpHTTP),
		explorer.WithOTLPGRPCAddr(*otlpGRPC),
		explorer.WithLogger(log),
		explorer.WithMaxBodyBytes(*maxBody),
		explorer.WithMaxSpansPerRequest(*maxReqSpans),
		explorer.WithMaxBytesInFlight(*maxInFlight),
		explorer.WithStoreOptions(store.WithSynchronous(mode)),
		explorer.WithAuthToken(*authToken),
		explorer.WithInsecureNoAuth(*insecure),
		explorer.WithRetention(keep),
		explorer.WithMaxSpans(*maxSpans),
	)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := x.Start(ctx); err != nil {
		x.Shutdown(context.Background())
		return err
	}
	fmt.Fprintf(os.Stderr, "traceai: explorer at %s\n", orOff(x.UIURL()))
	fmt.Fprintf(os.Stderr, "traceai: OTLP/HTTP at %s/v1/traces, OTLP/gRPC at %s, database %s\n",
		orOff(x.OTLPHTTPEndpoint()), orOff(x.OTLPGRPCAddr()), x.DB())
	fmt.Fprintf(os.Stderr, "traceai: %s\n", listeningLine(x.ListenAddrs()))

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-x.Err():
	}
	stop()
	fmt.Fprintln(os.Stderr, "traceai: shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	return errors.Join(serveErr, x.Shutdown(sctx))
}

// parseRetain reads a retention period: a Go duration ("12h", "90m"),
// days ("30d"), or days then a Go duration ("1d12h"). Empty means keep
// everything.
func parseRetain(v string) (time.Duration, error) {
	if v == "" {
		return 0, nil
	}
	var days time.Duration
	rest := v
	if i := strings.IndexByte(v, 'd'); i >= 0 {
		n, err := strconv.ParseUint(v[:i], 10, 31)
		if err != nil || n > 100_000 {
			return 0, fmt.Errorf("%q: want a duration such as 30d, 12h or 90m", v)
		}
		days, rest = time.Duration(n)*24*time.Hour, v[i+1:]
	}
	var d time.Duration
	if rest != "" {
		var err error
		if d, err = time.ParseDuration(rest); err != nil {
			return 0, fmt.Errorf("%q: want a duration such as 30d, 12h or 90m", v)
		}
	}
	if d += days; d <= 0 {
		return 0, fmt.Errorf("%q: want a positive duration", v)
	}
	return d, nil
}

// chooseDB returns the database to open: --db when given, else
// TRACEAI_DB (env) when set, else --db's default.
func chooseDB(fs *flag.FlagSet, flagValue, env string) string {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == "db" })
	if set || env == "" {
		return flagValue
	}
	return env
}

func orOff(s string) string {
	if s == "" {
		return "(off)"
	}
	return s
}

// listeningLine says where each listener is bound, as the system reports
// it, and warns when one accepts connections from other machines.
func listeningLine(addrs map[string]string) string {
	names := slices.Sorted(maps.Keys(addrs))
	parts := make([]string, 0, len(names))
	exposed := false
	for _, n := range names {
		parts = append(parts, n+"="+addrs[n])
		if host, _, err := net.SplitHostPort(addrs[n]); err == nil {
			if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
				exposed = true
			}
		}
	}
	line := "listening on " + strings.Join(parts, " ")
	if exposed {
		line += " (reachable from other machines)"
	}
	return line
}
