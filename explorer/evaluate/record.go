package evaluate

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"math"
	"sync/atomic"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/traceai-go/traceai/fi"
)

// evalSpanID is the span id of evaluator e's verdict on a turn (key: its
// trace id) or a session (key: its session id). Being a function of the
// evaluator's name and version and of the target, it lets a run see that a
// target is already scored, and makes a verdict written twice replace
// itself rather than count twice.
func evalSpanID(e *Evaluator, level Level, key string) trace.SpanID {
	h := sha256.New()
	for _, s := range []string{"traceai-eval", e.Name, e.Version, string(level), key} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	var id trace.SpanID
	copy(id[:], h.Sum(nil))
	if !id.IsValid() {
		id[7] = 1
	}
	return id
}

type spanIDKey struct{}

// idGenerator gives a span the id put in its context by record; other
// spans (none are expected) get random ids.
type idGenerator struct{}

func (idGenerator) NewIDs(ctx context.Context) (trace.TraceID, trace.SpanID) {
	var t trace.TraceID
	_, _ = rand.Read(t[:])
	return t, idGenerator{}.NewSpanID(ctx, t)
}

func (idGenerator) NewSpanID(ctx context.Context, _ trace.TraceID) trace.SpanID {
	if id, ok := ctx.Value(spanIDKey{}).(trace.SpanID); ok {
		return id
	}
	var s trace.SpanID
	_, _ = rand.Read(s[:])
	return s
}

// recorder writes verdicts as evaluation spans through the store's
// exporter, in batches: a batch lost to a crash is judged again by the next
// run.
type recorder struct {
	tp     *sdktrace.TracerProvider
	failed atomic.Int64
}

// countingExporter counts the spans its exporter refused.
type countingExporter struct {
	sdktrace.SpanExporter
	failed *atomic.Int64
}

func (c countingExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	err := c.SpanExporter.ExportSpans(ctx, spans)
	if err != nil {
		c.failed.Add(int64(len(spans)))
	}
	return err
}

func newRecorder(exp sdktrace.SpanExporter) *recorder {
	r := &recorder{}
	r.tp = sdktrace.NewTracerProvider(
		sdktrace.WithIDGenerator(idGenerator{}),
		sdktrace.WithSampler(sdktrace.AlwaysSample()),
		// Blocking: a full queue slows the judges down instead of
		// dropping verdicts.
		sdktrace.WithBatcher(countingExporter{exp, &r.failed},
			sdktrace.WithBlocking(), sdktrace.WithMaxExportBatchSize(512), sdktrace.WithBatchTimeout(200e6)),
	)
	return r
}

// record writes v as a child of root, the judged span, with fi's keys.
func (r *recorder) record(ctx context.Context, e *Evaluator, id trace.SpanID, root trace.SpanContext, t *Target, v Verdict) {
	ctx = context.WithValue(context.WithoutCancel(ctx), spanIDKey{}, id)
	if t.SessionID != "" {
		ctx = fi.UsingSession(ctx, t.SessionID)
	}
	if t.UserID != "" {
		ctx = fi.UsingUser(ctx, t.UserID)
	}
	ctx = trace.ContextWithSpanContext(ctx, root)
	_ = fi.RecordEvaluation(ctx, fi.Evaluation{Name: e.Name, Score: fi.Score(v.Score), Label: v.Label,
		Explanation: v.Explanation, Target: root}, fi.WithTracerProvider(r.tp))
}

// close writes what is queued.
func (r *recorder) close(ctx context.Context) error {
	return r.tp.Shutdown(ctx)
}

// atomicFloat is a float64 added to from several goroutines.
type atomicFloat struct{ bits atomic.Uint64 }

func (f *atomicFloat) add(v float64) {
	for {
		old := f.bits.Load()
		if f.bits.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+v)) {
			return
		}
	}
}

func (f *atomicFloat) load() float64 { return math.Float64frombits(f.bits.Load()) }

func nan() float64 { return math.NaN() }

func loadInt(p *int64) int64 { return atomic.LoadInt64(p) }
