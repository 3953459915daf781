package traceai

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// BatchOptions tunes the export queue Register installs when batching (the
// default). A zero field takes its value from the OTEL_BSP_* environment
// variable of the same meaning, else from the OpenTelemetry default.
type BatchOptions struct {
	// MaxQueueSize bounds the spans waiting for export (OTEL_BSP_MAX_QUEUE_SIZE,
	// default 2048). A span ended while the queue is full is dropped and
	// counted, never waited for.
	MaxQueueSize int
	// MaxExportBatchSize is the most spans sent in one request
	// (OTEL_BSP_MAX_EXPORT_BATCH_SIZE, default 512).
	MaxExportBatchSize int
	// ScheduleDelay is the longest a span waits before its batch is sent
	// (OTEL_BSP_SCHEDULE_DELAY in milliseconds, default 5s).
	ScheduleDelay time.Duration
	// ExportTimeout bounds one export, retries included
	// (OTEL_BSP_EXPORT_TIMEOUT in milliseconds, default 30s).
	ExportTimeout time.Duration
	// DropReportInterval is the least time between two DroppedSpansError
	// reports to otel.Handle (default 10s). Shutdown reports what is left.
	DropReportInterval time.Duration
}

func (o BatchOptions) withDefaults() BatchOptions {
	if o.MaxQueueSize <= 0 {
		o.MaxQueueSize = envPositive("OTEL_BSP_MAX_QUEUE_SIZE", 2048)
	}
	if o.MaxExportBatchSize <= 0 {
		o.MaxExportBatchSize = envPositive("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", 512)
	}
	if o.MaxExportBatchSize > o.MaxQueueSize {
		o.MaxExportBatchSize = o.MaxQueueSize
	}
	if o.ScheduleDelay <= 0 {
		o.ScheduleDelay = time.Duration(envPositive("OTEL_BSP_SCHEDULE_DELAY", 5000)) * time.Millisecond
	}
	if o.ExportTimeout <= 0 {
		o.ExportTimeout = time.Duration(envPositive("OTEL_BSP_EXPORT_TIMEOUT", 30000)) * time.Millisecond
	}
	if o.DropReportInterval <= 0 {
		o.DropReportInterval = 10 * time.Second
	}
	return o
}

// envPositive reads a positive integer variable; anything else is
// reported and def is used.
func envPositive(name string, def int) int {
	s, ok := os.LookupEnv(name)
	if !ok || s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		otel.Handle(fmt.Errorf("traceai: %s=%q is not a positive integer; using %d", name, s, def))
		return def
	}
	return n
}

// DroppedSpansError reports spans dropped because the export queue was
// full: the backend is down, slow or refusing, and the application was not
// made to wait for it. It reaches the OpenTelemetry error handler
// (otel.Handle) at most once per BatchOptions.DropReportInterval.
type DroppedSpansError struct {
	Dropped uint64 // since the previous report
	Total   uint64 // since Register
}

func (e *DroppedSpansError) Error() string {
	return fmt.Sprintf("traceai: export queue full: dropped %d spans (%d in total)", e.Dropped, e.Total)
}

// batchProcessor queues ended spans for a background exporter. Unlike the
// SDK's BatchSpanProcessor it counts and reports what it drops.
type batchProcessor struct {
	exp  sdktrace.SpanExporter
	opts BatchOptions

	queue   chan sdktrace.ReadOnlySpan
	flushCh chan flushRequest
	stopCh  chan struct{}   // closed by Shutdown
	stopCtx context.Context // Shutdown's ctx, set before stopCh is closed
	done    chan struct{}   // closed when the worker has exited

	// base is cancelled when Shutdown runs out of time, aborting an export
	// in flight.
	base   context.Context
	cancel context.CancelFunc

	stopped  atomic.Bool
	dropped  atomic.Uint64
	failed   atomic.Uint64 // spans in exports that failed
	shutOnce sync.Once
	shutErr  error

	reported   atomic.Uint64 // drops already reported
	reportMu   sync.Mutex    // guards lastReport
	lastReport time.Time
	failures   int       // owned by the worker goroutine, as is pauseUntil
	pauseUntil time.Time // no export attempts before, unless asked
}

type flushRequest struct {
	ctx context.Context
	ack chan struct{}
}

func newBatchProcessor(exp sdktrace.SpanExporter, opts BatchOptions) *batchProcessor {
	opts = opts.withDefaults()
	base, cancel := context.WithCancel(context.Background())
	p := &batchProcessor{
		exp:     exp,
		opts:    opts,
		queue:   make(chan sdktrace.ReadOnlySpan, opts.MaxQueueSize),
		flushCh: make(chan flushRequest),
		stopCh:  make(chan struct{}),
		done:    make(chan struct{}),
		base:    base,
		cancel:  cancel,
	}
	go p.run()
	go p.reportLoop()
	return p
}

// reportLoop reports drops even while the worker waits on a slow export.
func (p *batchProcessor) reportLoop() {
	t := time.NewTicker(p.opts.DropReportInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			p.reportDrops(false)
		case <-p.stopCh:
			return
		}
	}
}

func (p *batchProcessor) OnStart(context.Context, sdktrace.ReadWriteSpan) {}

// OnEnd queues s without ever waiting: a full queue drops the span.
func (p *batchProcessor) OnEnd(s sdktrace.ReadOnlySpan) {
	if p.stopped.Load() || !s.SpanContext().IsSampled() {
		return
	}
	select {
	case p.queue <- s:
	default:
		p.dropped.Add(1)
	}
}

func (p *batchProcessor) run() {
	defer close(p.done)
	batch := make([]sdktrace.ReadOnlySpan, 0, p.opts.MaxExportBatchSize)
	timer := time.NewTimer(p.opts.ScheduleDelay)
	defer timer.Stop()
	for {
		// While paused after a failed export, leave the queue alone: it
		// fills and further spans are dropped in OnEnd at no cost, instead
		// of being encoded for a backend that is not there.
		queue := p.queue
		if p.paused() {
			queue = nil
		}
		select { // stop first, however busy the queue
		case <-p.stopCh:
			p.finish(batch)
			return
		default:
		}
		select {
		case s := <-queue:
			batch = append(batch, s)
			// Take what else is waiting without going back through select.
			for more := true; more && len(batch) < p.opts.MaxExportBatchSize; {
				select {
				case s := <-p.queue:
					batch = append(batch, s)
				default:
					more = false
				}
			}
			if len(batch) >= p.opts.MaxExportBatchSize {
				batch = p.export(p.base, batch)
				resetTimer(timer, p.nextWake())
			}
		case <-timer.C:
			if !p.paused() {
				batch = p.export(p.base, batch)
			}
			p.reportDrops(false)
			timer.Reset(p.nextWake())
		case req := <-p.flushCh:
			batch = p.drain(req.ctx, batch)
			close(req.ack)
		case <-p.stopCh:
			p.finish(batch)
			return
		}
	}
}

// finish exports what it can before Shutdown's deadline and counts the
// rest as dropped.
func (p *batchProcessor) finish(batch []sdktrace.ReadOnlySpan) {
	left := uint64(len(p.drain(p.stopCtx, batch)))
	for more := true; more; {
		select {
		case <-p.queue:
			left++
		default:
			more = false
		}
	}
	p.dropped.Add(left)
	p.reportDrops(true)
}

// Backoff between export attempts after failures (the exporter has
// already retried within each attempt).
const (
	minExportPause = 500 * time.Millisecond
	maxExportPause = 30 * time.Second
)

func (p *batchProcessor) paused() bool {
	return p.failures > 0 && time.Now().Before(p.pauseUntil)
}

func (p *batchProcessor) nextWake() time.Duration {
	if p.paused() {
		return time.Until(p.pauseUntil)
	}
	return p.opts.ScheduleDelay
}

func resetTimer(t *time.Timer, d time.Duration) {
	t.Stop()
	t.Reset(d)
}

// drain exports batch and everything queued now, in batches, until ctx
// ends; it returns what it could not export.
func (p *batchProcessor) drain(ctx context.Context, batch []sdktrace.ReadOnlySpan) []sdktrace.ReadOnlySpan {
	for n := len(p.queue); ; n-- {
		if ctx.Err() != nil {
			return batch
		}
		if len(batch) >= p.opts.MaxExportBatchSize || (n <= 0 && len(batch) > 0) {
			batch = p.export(ctx, batch)
		}
		if n <= 0 {
			return batch
		}
		batch = append(batch, <-p.queue)
	}
}

// export sends batch and returns it emptied for reuse. ctx is bounded by
// ExportTimeout and by Shutdown's deadline (through p.base).
func (p *batchProcessor) export(ctx context.Context, batch []sdktrace.ReadOnlySpan) []sdktrace.ReadOnlySpan {
	if len(batch) == 0 {
		return batch
	}
	ctx, cancel := context.WithTimeout(ctx, p.opts.ExportTimeout)
	stop := context.AfterFunc(p.base, cancel)
	err := p.exp.ExportSpans(ctx, batch)
	stop()
	cancel()
	if err != nil {
		p.failed.Add(uint64(len(batch)))
		otel.Handle(fmt.Errorf("traceai: exporting %d spans: %w", len(batch), err))
		p.failures++
		pause := maxExportPause
		if p.failures < 7 {
			pause = min(minExportPause<<(p.failures-1), maxExportPause)
		}
		p.pauseUntil = time.Now().Add(pause)
	} else {
		p.failures = 0
	}
	clear(batch)
	p.reportDrops(false)
	return batch[:0]
}

func (p *batchProcessor) reportDrops(force bool) {
	p.reportMu.Lock()
	defer p.reportMu.Unlock()
	total, done := p.dropped.Load(), p.reported.Load()
	if total == done {
		return
	}
	now := time.Now()
	if !force && !p.lastReport.IsZero() && now.Sub(p.lastReport) < p.opts.DropReportInterval {
		return
	}
	otel.Handle(&DroppedSpansError{Dropped: total - done, Total: total})
	p.reported.Store(total)
	p.lastReport = now
}

// LostSpansError is what ForceFlush and Shutdown return when spans were
// lost while they ran: dropped because the queue was full or the deadline
// came, or in an export that failed.
type LostSpansError struct {
	Op      string // "flush" or "shutdown"
	Dropped uint64
	Failed  uint64
}

func (e *LostSpansError) Error() string {
	return fmt.Sprintf("traceai: %s lost %d spans: %d dropped (queue full or out of time), %d in failed exports",
		e.Op, e.Dropped+e.Failed, e.Dropped, e.Failed)
}

// lostSince reports the spans lost since the counts d0 and f0 were read.
func (p *batchProcessor) lostSince(op string, d0, f0 uint64) error {
	d, f := p.dropped.Load()-d0, p.failed.Load()-f0
	if d == 0 && f == 0 {
		return nil
	}
	return &LostSpansError{Op: op, Dropped: d, Failed: f}
}

// ForceFlush exports every span queued so far, or gives up when ctx ends.
// It returns a *LostSpansError when spans were lost meanwhile.
func (p *batchProcessor) ForceFlush(ctx context.Context) error {
	if p.stopped.Load() {
		return nil
	}
	d0, f0 := p.dropped.Load(), p.failed.Load()
	req := flushRequest{ctx: ctx, ack: make(chan struct{})}
	select {
	case p.flushCh <- req:
	case <-p.stopCh:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-req.ack:
		return p.lostSince("flush", d0, f0)
	case <-ctx.Done():
		return errors.Join(ctx.Err(), p.lostSince("flush", d0, f0))
	}
}

// Shutdown exports what it can before ctx ends, then shuts the exporter
// down. When ctx ends first, the export in flight is abandoned and
// Shutdown returns ctx's error without waiting further. A ctx without a
// deadline gets one of BatchOptions.ExportTimeout for the whole drain.
// Spans lost while it ran are named by a *LostSpansError.
func (p *batchProcessor) Shutdown(ctx context.Context) error {
	p.shutOnce.Do(func() {
		d0, f0 := p.dropped.Load(), p.failed.Load()
		if _, ok := ctx.Deadline(); !ok {
			// One bound for the whole drain: without it each batch could
			// take ExportTimeout against a backend that never answers.
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, p.opts.ExportTimeout)
			defer cancel()
		}
		p.stopped.Store(true)
		p.stopCtx = ctx
		close(p.stopCh)
		var err error
		select {
		case <-p.done:
		case <-ctx.Done():
			err = ctx.Err()
		}
		p.cancel()
		if err != nil {
			// The worker could not report in time; it reports the rest
			// when it gets there.
			p.reportDrops(true)
		}
		p.shutErr = errors.Join(err, p.lostSince("shutdown", d0, f0), p.exp.Shutdown(ctx))
	})
	return p.shutErr
}
