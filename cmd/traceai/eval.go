package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/traceai-go/traceai/explorer"
	"github.com/traceai-go/traceai/explorer/evaluate"
)

// evalConfig is what the eval flags set.
type evalConfig struct {
	db, evaluators, config       string
	standIn, dryRun              bool
	judgeURL, model, apiKey      string
	since, until                 string
	user, tag, session           string
	sample, concurrency, retries int
	worst                        int
	rate, priceIn, priceOut      float64
	timeout                      time.Duration
	out, progress                io.Writer
	run                          evaluate.Config
	price                        evaluate.Price
}

func parseEvalFlags(args []string, out io.Writer, now time.Time) (evalConfig, error) {
	c := evalConfig{out: out, progress: out}
	fs := flag.NewFlagSet("traceai eval", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&c.db, "db", explorer.DefaultDBPath, "the explorer's database: an SQLite `path` or a postgres:// URL (or TRACEAI_DB)")
	fs.StringVar(&c.evaluators, "evaluators", "", "comma-separated evaluators to run (default: all built-in and configured ones): "+strings.Join(evaluate.BuiltinNames(), ", "))
	fs.StringVar(&c.config, "config", "", "JSON `file` of custom evaluators (see docs/evaluations.md)")
	fs.BoolVar(&c.standIn, "stand-in", false, "judge with the built-in deterministic stand-in instead of a model")
	fs.BoolVar(&c.dryRun, "dry-run", false, "count what would be judged and estimate the judge's tokens and cost; judge and write nothing")
	fs.StringVar(&c.judgeURL, "judge-url", "", "OpenAI-compatible base `URL` of the judge (default $OPENAI_BASE_URL, else https://api.openai.com/v1)")
	fs.StringVar(&c.model, "model", "gpt-4o-mini", "judge model")
	fs.StringVar(&c.since, "since", "", "only sessions active since this time (RFC 3339, a date, Unix seconds, or a duration back from now like 24h)")
	fs.StringVar(&c.until, "until", "", "only sessions that started before this time (same forms as --since)")
	fs.StringVar(&c.user, "user", "", "only this user's sessions")
	fs.StringVar(&c.tag, "tag", "", "only sessions with this tag")
	fs.StringVar(&c.session, "session", "", "only this session")
	fs.IntVar(&c.sample, "sample", 0, "judge about `N` sessions of those selected (the same ones on every run)")
	fs.IntVar(&c.concurrency, "concurrency", 4, "targets judged at once")
	fs.Float64Var(&c.rate, "rate", 0, "at most this many judge requests per second (0: no limit)")
	fs.DurationVar(&c.timeout, "timeout", 60*time.Second, "time limit of one judge request")
	fs.IntVar(&c.retries, "retries", 4, "retries of a judge request after a 429, a 5xx or a timeout")
	fs.Float64Var(&c.priceIn, "price-in", 0.15, "judge price in dollars per million prompt tokens, for --dry-run")
	fs.Float64Var(&c.priceOut, "price-out", 0.60, "judge price in dollars per million completion tokens, for --dry-run")
	fs.IntVar(&c.worst, "worst", 3, "worst sessions and users listed per evaluator at the end")
	fs.Usage = func() {
		fmt.Fprint(out, `usage: traceai eval [flags]

Scores the stored sessions and turns with LLM-judge evaluators and writes
the results into the database as evaluation spans, where the explorer's
pages, rankings and API show them. A target already scored by an evaluator
(same name and version) is skipped, so an interrupted run continues when run
again. The judge is any OpenAI-compatible model (OPENAI_API_KEY), or the
built-in stand-in with --stand-in.

flags:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("eval: unexpected argument %q", fs.Arg(0))
	}
	c.db = chooseDB(fs, c.db, os.Getenv("TRACEAI_DB"))
	var custom []*evaluate.Evaluator
	if c.config != "" {
		var err error
		if custom, err = evaluate.LoadConfig(c.config); err != nil {
			return c, fmt.Errorf("eval: --config: %w", err)
		}
	}
	var names []string
	if c.evaluators != "" {
		names = strings.Split(c.evaluators, ",")
	}
	evs, err := evaluate.Select(names, custom)
	if err != nil {
		return c, fmt.Errorf("eval: --evaluators: %w", err)
	}
	if c.concurrency < 1 || c.concurrency > 256 {
		return c, errors.New("eval: --concurrency must be 1..256")
	}
	if c.rate < 0 || c.sample < 0 || c.retries < 0 || c.timeout <= 0 {
		return c, errors.New("eval: --rate, --sample and --retries must not be negative, --timeout must be positive")
	}
	c.run = evaluate.Config{Evaluators: evs, UserID: c.user, Tag: c.tag, SessionID: c.session,
		Sample: c.sample, Concurrency: c.concurrency, Rate: c.rate, DryRun: c.dryRun}
	for _, p := range []struct {
		name, v string
		t       *time.Time
	}{{"since", c.since, &c.run.Since}, {"until", c.until, &c.run.Until}} {
		if p.v == "" {
			continue
		}
		t, ok := parseWhen(p.v, now)
		if !ok {
			return c, fmt.Errorf("eval: --%s: %q is not an RFC 3339 time, a date, Unix seconds or a duration", p.name, p.v)
		}
		*p.t = t
	}
	c.price = evaluate.Price{Input: c.priceIn, Output: c.priceOut}
	switch {
	case c.standIn:
		c.run.Judge = evaluate.StandIn{}
	case c.dryRun:
	default:
		c.apiKey = os.Getenv("OPENAI_API_KEY")
		if c.judgeURL == "" {
			c.judgeURL = os.Getenv("OPENAI_BASE_URL")
		}
		if c.judgeURL == "" {
			if c.apiKey == "" {
				return c, errors.New("eval: the judge needs OPENAI_API_KEY (or --judge-url of a local server, or --stand-in)")
			}
			c.judgeURL = "https://api.openai.com/v1"
		}
		j := &evaluate.OpenAIJudge{BaseURL: c.judgeURL, APIKey: c.apiKey, Model: c.model, Timeout: c.timeout, Retries: c.retries}
		if c.retries == 0 {
			j.Retries = -1 // OpenAIJudge reads 0 as its default
		}
		c.run.Judge = j
	}
	return c, nil
}

// parseWhen reads a time as the explorer's since and until parameters do.
func parseWhen(v string, now time.Time) (time.Time, bool) {
	for _, l := range []string{time.RFC3339Nano, time.DateOnly} {
		if t, err := time.Parse(l, v); err == nil {
			return t.UTC(), true
		}
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 {
		return time.Unix(n, 0).UTC(), true
	}
	if d, err := time.ParseDuration(v); err == nil && d > 0 {
		return now.Add(-d).UTC(), true
	}
	return time.Time{}, false
}

// runEval is "traceai eval".
func runEval(args []string) error {
	c, err := parseEvalFlags(args, os.Stderr, time.Now())
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	c.out = os.Stdout
	return evalRun(ctx, c)
}

func evalRun(ctx context.Context, c evalConfig) error {
	if !explorer.IsPostgresURL(c.db) {
		if _, err := os.Stat(c.db); err != nil {
			return fmt.Errorf("eval: database: %w", err)
		}
	}
	st, err := explorer.OpenBackend(ctx, c.db)
	if err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	defer st.Close()
	c.run.Progress = c.progress
	res, runErr := evaluate.Run(ctx, st, c.run)
	if res != nil {
		rctx := context.WithoutCancel(ctx)
		if err := evaluate.WriteReport(rctx, c.out, st, res, c.run.DryRun, c.price, c.worst); err != nil {
			return errors.Join(runErr, err)
		}
	}
	switch {
	case runErr != nil && ctx.Err() != nil:
		return fmt.Errorf("eval: interrupted; what was judged is stored, run the same command again to continue")
	case runErr != nil:
		return fmt.Errorf("eval: %w", runErr)
	case res.Errors > 0 || res.WriteErrors > 0:
		return fmt.Errorf("eval: %d targets not scored; run again to retry them", res.Errors+res.WriteErrors)
	}
	return nil
}
