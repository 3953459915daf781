package evaluate

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/traceai-go/traceai/explorer/store"
)

// Config configures Run. Zero fields do not filter.
type Config struct {
	// Evaluators to run; see Select.
	Evaluators []*Evaluator
	// Judge answers the questions; StandIn{} for tests and the demo.
	Judge Judge
	// Since and Until bound the sessions' activity (as the explorer's
	// session filter) and, for turn-level evaluators, the turns' start.
	Since, Until time.Time
	UserID       string
	Tag          string
	// SessionID judges that one session.
	SessionID string
	// Sample keeps about Sample sessions of those selected, the same ones
	// on every run (chosen by a hash of the session id), so that a re-run
	// continues the same sample.
	Sample int
	// Concurrency is the number of targets judged at once; 0 means 4.
	Concurrency int
	// Rate caps judge requests per second; 0 means no cap.
	Rate float64
	// DryRun counts what would be judged and estimates the judge's tokens
	// without asking the judge or writing anything.
	DryRun bool
	// Progress receives a progress line every ProgressEvery (default 1s).
	Progress      io.Writer
	ProgressEvery time.Duration
}

// Result counts what a run did. Counts are per evaluator and target.
type Result struct {
	// Sessions and Turns are the sessions and turns selected.
	Sessions, Turns int
	// Judged evaluations were recorded (or, with DryRun, would be asked).
	Judged int64
	// Skipped targets already had an evaluation of the same name and
	// version.
	Skipped int64
	// NotApplicable targets lacked what the evaluator needs (groundedness
	// without retrieved documents).
	NotApplicable int64
	// Errors are targets the judge could not score: a request that failed
	// after its retries, or an answer that did not parse. They are judged
	// again by the next run.
	Errors int64
	// WriteErrors are judged evaluations the store did not accept.
	WriteErrors int64
	// PromptTokens and CompletionTokens are the judge's usage (estimated
	// with DryRun).
	PromptTokens, CompletionTokens int64
	Elapsed                        time.Duration
	// Evaluators has one entry per evaluator, in the order of Config.
	Evaluators []*EvaluatorResult
	// Failures holds the first failures, for the report.
	Failures []Failure
}

// EvaluatorResult counts one evaluator's part of a run.
type EvaluatorResult struct {
	Name, Version                          string
	Level                                  Level
	Judged, Skipped, NotApplicable, Errors int64
	scoreSum                               atomicFloat
	PromptTokens, CompletionTokens         int64
	scale                                  string
}

// MeanScore is the mean of the scores this run recorded, NaN when none.
func (r *EvaluatorResult) MeanScore() float64 {
	n := atomic.LoadInt64(&r.Judged)
	if n == 0 {
		return nan()
	}
	return r.scoreSum.load() / float64(n)
}

// Failure is one target the judge could not score.
type Failure struct {
	Evaluator string
	SessionID string
	TraceID   string
	Err       error
}

// maxFailures bounds Result.Failures.
const maxFailures = 20

// maxEarlier is the number of earlier turns a turn-level prompt sees.
const maxEarlier = 5

// maxContext bounds the retrieved text put in one prompt, in bytes.
const maxContext = 16 << 10

// dryRunCompletion is the completion size assumed by a dry run, in tokens.
const dryRunCompletion = 60

// job is one turn, or one session, with the evaluators still to run on it.
type job struct {
	session *store.SessionDetail
	turn    int // index in session.Turns: the judged turn or the last
	level   Level
	evals   []*Evaluator
}

type run struct {
	cfg     Config
	b       store.Backend
	rec     *recorder
	lim     *limiter
	res     *Result
	byEval  map[*Evaluator]*EvaluatorResult
	start   time.Time
	total   atomic.Int64 // estimated evaluator×target pairs
	done    atomic.Int64
	mu      sync.Mutex
	failure []Failure
}

// Run judges the stored sessions and turns cfg selects and writes each
// verdict to b as an evaluation span (the keys of fi.RecordEvaluation)
// through b's exporter. A target already scored by an evaluator of the same
// name and version is skipped, so a run interrupted at any point is
// continued by running it again. A storage error while reading ends the run;
// a judge failure is counted for its target and the run goes on.
func Run(ctx context.Context, b store.Backend, cfg Config) (*Result, error) {
	if len(cfg.Evaluators) == 0 {
		return nil, errors.New("evaluate: no evaluators")
	}
	if cfg.Judge == nil && !cfg.DryRun {
		return nil, errors.New("evaluate: no judge")
	}
	for _, e := range cfg.Evaluators {
		if e.tmpl == nil {
			if err := e.compile(); err != nil {
				return nil, fmt.Errorf("evaluate: %w", err)
			}
		}
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 4
	}
	r := &run{cfg: cfg, b: b, res: &Result{}, byEval: map[*Evaluator]*EvaluatorResult{}, start: time.Now(),
		lim: newLimiter(cfg.Rate)}
	for _, e := range cfg.Evaluators {
		er := &EvaluatorResult{Name: e.Name, Version: e.Version, Level: e.Level, scale: e.Scale()}
		r.res.Evaluators = append(r.res.Evaluators, er)
		r.byEval[e] = er
	}
	if !cfg.DryRun {
		r.rec = newRecorder(b.Exporter())
	}
	stopProgress := r.progress()
	err := r.all(ctx)
	stopProgress()
	if r.rec != nil {
		if ferr := r.rec.close(context.WithoutCancel(ctx)); ferr != nil && err == nil {
			err = ferr
		}
		r.res.WriteErrors = r.rec.failed.Load()
	}
	for _, er := range r.res.Evaluators {
		r.res.Judged += er.Judged
		r.res.Skipped += er.Skipped
		r.res.NotApplicable += er.NotApplicable
		r.res.Errors += er.Errors
		r.res.PromptTokens += er.PromptTokens
		r.res.CompletionTokens += er.CompletionTokens
	}
	r.res.Failures = r.failure
	r.res.Elapsed = time.Since(r.start)
	return r.res, err
}

// sessions calls fn with every selected session id and its turn count.
func (r *run) sessions(ctx context.Context, fn func(id string, turns int) error) error {
	if r.cfg.SessionID != "" {
		return fn(r.cfg.SessionID, 0)
	}
	f := store.SessionFilter{UserID: r.cfg.UserID, Tag: r.cfg.Tag, Since: r.cfg.Since, Until: r.cfg.Until,
		Sort: "session_id", Limit: store.MaxLimit}
	for {
		list, next, err := r.b.ListSessions(ctx, f)
		if err != nil {
			return fmt.Errorf("evaluate: list sessions: %w", err)
		}
		for i := range list {
			if err := fn(list[i].SessionID, list[i].Traces); err != nil {
				return err
			}
		}
		if next == "" || len(list) == 0 {
			return nil
		}
		f.Cursor = next
	}
}

func (r *run) all(ctx context.Context) error {
	var turnEvals, sessionEvals []*Evaluator
	for _, e := range r.cfg.Evaluators {
		if e.Level == LevelSession {
			sessionEvals = append(sessionEvals, e)
		} else {
			turnEvals = append(turnEvals, e)
		}
	}
	// A first pass over the session list (summaries only) sizes the run
	// for the sample and the ETA.
	nSessions, nTurns := 0, 0
	if err := r.sessions(ctx, func(_ string, turns int) error {
		nSessions++
		nTurns += turns
		return nil
	}); err != nil {
		return err
	}
	keepFrac := 1.0
	if r.cfg.Sample > 0 && r.cfg.Sample < nSessions {
		keepFrac = float64(r.cfg.Sample) / float64(nSessions)
	}
	r.total.Store(int64(keepFrac * float64(nTurns*len(turnEvals)+nSessions*len(sessionEvals))))

	jobs := make(chan job, r.cfg.Concurrency)
	var wg sync.WaitGroup
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for range r.cfg.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				r.handle(wctx, j)
			}
		}()
	}
	err := r.sessions(ctx, func(id string, _ int) error {
		if keepFrac < 1 && !sampled(id, nSessions, r.cfg.Sample) {
			return nil
		}
		d, err := r.b.GetSession(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("evaluate: session %s: %w", id, err)
		}
		if len(d.Turns) == 0 {
			return nil
		}
		r.mu.Lock()
		r.res.Sessions++
		r.mu.Unlock()
		return r.plan(ctx, d, turnEvals, sessionEvals, jobs)
	})
	close(jobs)
	wg.Wait()
	if err == nil {
		err = ctx.Err()
	}
	return err
}

// sampled keeps about want of n sessions, by a hash of the id.
func sampled(id string, n, want int) bool {
	h := fnv.New64a()
	h.Write([]byte(id))
	return h.Sum64()%uint64(n) < uint64(want)
}

// plan queues the turns and the session of d that still need an evaluator.
func (r *run) plan(ctx context.Context, d *store.SessionDetail, turnEvals, sessionEvals []*Evaluator, jobs chan<- job) error {
	send := func(j job) error {
		select {
		case jobs <- j:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	for i := range d.Turns {
		t := &d.Turns[i]
		if (!r.cfg.Since.IsZero() && t.Start.Before(r.cfg.Since)) || (!r.cfg.Until.IsZero() && !t.Start.Before(r.cfg.Until)) {
			continue
		}
		r.mu.Lock()
		r.res.Turns++
		r.mu.Unlock()
		var need []*Evaluator
		for _, e := range turnEvals {
			if hasEvaluation(t.Evaluations, evalSpanID(e, LevelTurn, t.TraceID).String()) {
				r.skip(e)
				continue
			}
			need = append(need, e)
		}
		if len(need) > 0 {
			if err := send(job{session: d, turn: i, level: LevelTurn, evals: need}); err != nil {
				return err
			}
		}
	}
	var need []*Evaluator
	for _, e := range sessionEvals {
		id := evalSpanID(e, LevelSession, d.Summary.SessionID).String()
		found := false
		for i := range d.Turns {
			if hasEvaluation(d.Turns[i].Evaluations, id) {
				found = true
				break
			}
		}
		if found {
			r.skip(e)
			continue
		}
		need = append(need, e)
	}
	if len(need) > 0 {
		return send(job{session: d, turn: len(d.Turns) - 1, level: LevelSession, evals: need})
	}
	return nil
}

func hasEvaluation(evs []store.Evaluation, spanID string) bool {
	for i := range evs {
		if evs[i].SpanID == spanID {
			return true
		}
	}
	return false
}

func (r *run) skip(e *Evaluator) {
	atomic.AddInt64(&r.byEval[e].Skipped, 1)
	r.done.Add(1)
}

func (r *run) fail(e *Evaluator, t *Target, err error) {
	atomic.AddInt64(&r.byEval[e].Errors, 1)
	r.done.Add(1)
	r.mu.Lock()
	if len(r.failure) < maxFailures {
		r.failure = append(r.failure, Failure{Evaluator: e.Name, SessionID: t.SessionID, TraceID: t.TraceID, Err: err})
	}
	r.mu.Unlock()
}
