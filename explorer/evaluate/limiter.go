package evaluate

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// limiter spaces requests 1/rate apart; a nil limiter does not wait.
type limiter struct {
	mu       sync.Mutex
	interval time.Duration
	next     time.Time
}

func newLimiter(rate float64) *limiter {
	if rate <= 0 {
		return nil
	}
	return &limiter{interval: time.Duration(float64(time.Second) / rate)}
}

// wait blocks until the caller's slot, or ctx ends.
func (l *limiter) wait(ctx context.Context) error {
	if l == nil {
		return ctx.Err()
	}
	l.mu.Lock()
	now := time.Now()
	slot := l.next
	if slot.Before(now) {
		slot = now
	}
	l.next = slot.Add(l.interval)
	l.mu.Unlock()
	d := time.Until(slot)
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// progress prints a progress line every ProgressEvery until the returned
// function is called, which prints the last one.
func (r *run) progress() (stop func()) {
	w := r.cfg.Progress
	if w == nil {
		return func() {}
	}
	every := r.cfg.ProgressEvery
	if every <= 0 {
		every = time.Second
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				fmt.Fprintf(w, "\r%s\n", r.line())
				return
			case <-t.C:
				fmt.Fprintf(w, "\r%s", r.line())
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
	}
}

// line is the progress: counts, judge rate, errors and time left.
func (r *run) line() string {
	var judged, skipped, na, errs int64
	for _, er := range r.res.Evaluators {
		judged += loadInt(&er.Judged)
		skipped += loadInt(&er.Skipped)
		na += loadInt(&er.NotApplicable)
		errs += loadInt(&er.Errors)
	}
	el := time.Since(r.start)
	rate := float64(judged) / max(el.Seconds(), 1e-9)
	done, total := r.done.Load(), r.total.Load()
	total = max(total, done)
	eta := "?"
	if done > 0 && total >= done {
		left := time.Duration(float64(el) * float64(total-done) / float64(done))
		eta = left.Round(time.Second).String()
	}
	verb := "judged"
	if r.cfg.DryRun {
		verb = "would judge"
	}
	pct := 100.0
	if total > 0 {
		pct = 100 * float64(done) / float64(total)
	}
	return fmt.Sprintf("%s %d, already scored %d, not applicable %d, errors %d | %.1f/s | %d/%d (%.0f%%) | ETA %s   ",
		verb, judged, skipped, na, errs, rate, done, total, pct, eta)
}
