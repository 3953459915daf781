package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/traceai-go/traceai/explorer"
	"github.com/traceai-go/traceai/explorer/store"
	"github.com/traceai-go/traceai/internal/standin"
)

// demoConfig is what the demo flags set.
type demoConfig struct {
	db       string
	httpAddr string
	// otlpAddr also receives OTLP/HTTP when it can be bound, so a program
	// started beside the demo with the default endpoint shows up in it.
	otlpAddr string
	once     bool
	real     bool
	sessions int
	users    int
	speed    float64
	seed     uint64
	out      io.Writer
	// idPrefix goes before every session id: empty on a fresh database,
	// "run2-", "run3-", ... when earlier runs left their sessions there, so
	// that a new run adds conversations instead of continuing old ones.
	idPrefix string
	// afterRun, when set, is called with the running explorer once every
	// conversation is stored (tests query the API there).
	afterRun func(ex *explorer.Explorer) error
}

func defaultDemoDB() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "traceai", "demo.db")
}

func parseDemoFlags(args []string, out io.Writer) (demoConfig, error) {
	c := demoConfig{out: out}
	fs := flag.NewFlagSet("traceai demo", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&c.db, "db", defaultDemoDB(), "SQLite database file of the explorer")
	fs.StringVar(&c.httpAddr, "http", explorer.DefaultHTTPAddr, "address of the explorer's web pages, JSON API and OTLP/HTTP receiver")
	fs.StringVar(&c.otlpAddr, "otlp-http", explorer.DefaultOTLPHTTPAddr, "address of a second OTLP/HTTP receiver, used when it is free (\"off\" for none)")
	fs.BoolVar(&c.once, "once", false, "exit after the simulated conversations instead of serving until Ctrl-C")
	fs.BoolVar(&c.real, "real", false, "drive a real model (needs OPENAI_API_KEY; OPENAI_BASE_URL optional) instead of the built-in stand-in")
	fs.IntVar(&c.sessions, "sessions", 30, "number of conversations")
	fs.IntVar(&c.users, "users", 6, "number of users")
	fs.Float64Var(&c.speed, "speed", 1, "latency factor of the stand-in model (0.01 runs a hundred times faster)")
	fs.Uint64Var(&c.seed, "seed", 7, "seed of the simulated conversations and replies")
	fs.Usage = func() {
		fmt.Fprint(out, "usage: traceai demo [flags]\n\nStarts the session explorer and drives a simulated multi-user support chatbot through it.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("demo: unexpected arguments %q", fs.Args())
	}
	if c.sessions < 2 || c.users < 1 {
		return c, errors.New("demo: need at least 2 sessions and 1 user")
	}
	if c.speed <= 0 {
		return c, errors.New("demo: --speed must be positive")
	}
	if c.real && os.Getenv("OPENAI_API_KEY") == "" {
		return c, errors.New("demo: --real needs OPENAI_API_KEY")
	}
	return c, nil
}

// runDemo is "traceai demo".
func runDemo(args []string) error {
	c, err := parseDemoFlags(args, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return demo(ctx, c)
}

func demo(ctx context.Context, c demoConfig) error {
	if err := os.MkdirAll(filepath.Dir(c.db), 0o755); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	// The pages' server receives OTLP/HTTP too; the default OTLP port is
	// added when it is free, where Register sends with no endpoint set.
	otlpAddr, ownOTLP := c.httpAddr, false
	if c.otlpAddr != "" && c.otlpAddr != explorer.Off && portFree(c.otlpAddr) {
		otlpAddr, ownOTLP = c.otlpAddr, true
	}
	ex, err := explorer.New(
		explorer.WithDBPath(c.db),
		explorer.WithHTTPAddr(c.httpAddr),
		explorer.WithOTLPHTTPAddr(otlpAddr),
		explorer.WithOTLPGRPCAddr(explorer.Off),
		explorer.WithLogger(logger),
		// With a token set, the demo's exports (traceai.Register) and its
		// report's API calls carry it from the same variable.
		explorer.WithAuthToken(os.Getenv("TRACEAI_AUTH_TOKEN")),
	)
	if err != nil {
		return err
	}
	if err := ex.Start(ctx); err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = ex.Shutdown(sctx)
	}()
	fmt.Fprintf(c.out, "traceai demo: explorer at %s (database %s)\n", ex.UIURL(), c.db)
	if ownOTLP {
		fmt.Fprintf(c.out, "traceai demo: OTLP/HTTP also at %s: programs using traceai.Register with no endpoint show up here\n", ex.OTLPHTTPEndpoint())
	} else if c.otlpAddr != "" && c.otlpAddr != explorer.Off {
		fmt.Fprintf(c.out, "traceai demo: %s is taken; send OTLP/HTTP to %s/v1/traces instead\n", c.otlpAddr, ex.UIURL())
	}

	m := model{name: "gpt-4o-mini", embedding: "text-embedding-3-small", apiKey: "standin"}
	if c.real {
		m.apiKey, m.baseURL = os.Getenv("OPENAI_API_KEY"), os.Getenv("OPENAI_BASE_URL")
		fmt.Fprintf(c.out, "traceai demo: driving the real model %s\n", m.name)
	} else {
		llm := standin.New(standin.Options{Seed: c.seed, Speed: c.speed})
		defer llm.Close()
		m.baseURL = llm.URL
		fmt.Fprintf(c.out, "traceai demo: stand-in model at %s\n", llm.URL)
	}

	before, err := ex.Store().Overview(ctx)
	if err != nil {
		return err
	}
	if c.idPrefix, err = runPrefix(ctx, ex.Store()); err != nil {
		return err
	}
	if c.idPrefix != "" {
		fmt.Fprintf(c.out, "traceai demo: the database holds earlier runs; this run's sessions start with %q\n", c.idPrefix)
	}

	start := time.Now()
	stats, err := simulate(ctx, c, ex.OTLPHTTPEndpoint(), m)
	if err != nil {
		return err
	}
	if err := waitStored(ctx, ex, int(before.Evaluations)+stats.evaluations); err != nil {
		return err
	}
	if err := demoJudge(ctx, c.out, ex.Store()); err != nil {
		return err
	}
	fmt.Fprintf(c.out, "\n%d sessions, %d users, %d turns (%d failed) in %s\n",
		stats.sessions, c.users, stats.turns, stats.failedTurns, time.Since(start).Round(time.Millisecond))
	if err := printRankings(ctx, c.out, ex.UIURL()); err != nil {
		return err
	}
	fmt.Fprintf(c.out, "\nOpen %s to explore the sessions.\n", ex.UIURL())
	if c.afterRun != nil {
		if err := c.afterRun(ex); err != nil {
			return err
		}
	}
	if c.once {
		return nil
	}
	fmt.Fprintln(c.out, "Serving until Ctrl-C.")
	select {
	case <-ctx.Done():
	case err := <-ex.Err():
		return err
	}
	return nil
}

// runPrefix returns the session id prefix of this run: none while the
// database has no broken session of the demo, else "runN-" for the first N
// not used yet.
func runPrefix(ctx context.Context, st store.Reader) (string, error) {
	for n := 1; n < 10000; n++ {
		prefix := ""
		if n > 1 {
			prefix = fmt.Sprintf("run%d-", n)
		}
		_, err := st.GetSession(ctx, prefix+brokenSessionID)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return prefix, nil
		case err != nil:
			return "", err
		}
	}
	return "", errors.New("demo: too many runs in one database")
}

// portFree reports whether addr can be listened on now.
func portFree(addr string) bool {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return false
	}
	ln.Close()
	return true
}
