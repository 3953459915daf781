package explorer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/traceai-go/traceai/explorer/store"
)

// DefaultRetentionInterval is how often the explorer looks for traces to
// delete when retention is on (WithRetention, WithMaxSpans).
const DefaultRetentionInterval = time.Minute

// retentionBatch is how many traces one retention call deletes: each call
// is one transaction that ingest waits behind.
const retentionBatch = store.DefaultRetainBatch

// WithRetention deletes, in the background, the traces (turns) that
// started more than d ago (default 0: keep everything). The backend must
// implement store.Retainer.
func WithRetention(d time.Duration) Option {
	return optionFunc(func(c *config) {
		if d > 0 {
			c.retain = d
		}
	})
}

// WithMaxSpans deletes, in the background, the oldest traces while the
// database holds more than n spans (default 0: no limit). The backend must
// implement store.Retainer.
func WithMaxSpans(n int64) Option {
	return optionFunc(func(c *config) {
		if n > 0 {
			c.maxSpans = n
		}
	})
}

// retention runs the retention loop until ctx is done, then closes done.
func (x *Explorer) retention(ctx context.Context, r store.Retainer, done chan<- struct{}) {
	defer close(done)
	every := x.cfg.retainEvery
	if every <= 0 {
		every = DefaultRetentionInterval
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		x.retainOnce(ctx, r)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// retainOnce deletes what retention asks for, a batch at a time. A batch
// waits its turn behind the ingest requests already queued for the
// backend's writer; the pause after it (a quarter of the call's time,
// which grows with that wait) leaves the writer to ingest when ingest is
// busy (docs/explorer.md has the figures).
func (x *Explorer) retainOnce(ctx context.Context, r store.Retainer) {
	run := func(what string, f func() (int, error)) {
		total, began, logged := 0, time.Now(), time.Now()
		for ctx.Err() == nil {
			if time.Since(logged) > 30*time.Second {
				// A first run on a large store takes a while.
				x.log.Info("traceai explorer: retention deleting old traces", "rule", what, "traces", total)
				logged = time.Now()
			}
			t := time.Now()
			n, err := f()
			if err != nil {
				if !errors.Is(err, context.Canceled) && !errors.Is(err, store.ErrClosed) {
					x.log.Error("traceai explorer: retention failed; retried at the next run", "rule", what, "err", err)
				}
				break
			}
			if n == 0 {
				break
			}
			total += n
			pause := min(time.Since(t)/4, time.Second)
			select {
			case <-ctx.Done():
			case <-time.After(pause):
			}
		}
		if total > 0 {
			x.log.Info("traceai explorer: retention deleted old traces", "rule", what, "traces", total,
				"took", time.Since(began).Round(time.Millisecond))
		}
	}
	if d := x.cfg.retain; d > 0 {
		cut := time.Now().Add(-d)
		run("retain "+d.String(), func() (int, error) { return r.DeleteBefore(ctx, cut, retentionBatch) })
	}
	if n := x.cfg.maxSpans; n > 0 {
		run(fmt.Sprintf("max-spans %d", n), func() (int, error) { return r.TrimToSpans(ctx, n, retentionBatch) })
	}
}

// retainer returns the backend's retention, or an error when retention is
// asked for and the backend has none.
func (x *Explorer) retainer() (store.Retainer, error) {
	if x.cfg.retain <= 0 && x.cfg.maxSpans <= 0 {
		return nil, nil
	}
	r, ok := x.store.(store.Retainer)
	if !ok {
		return nil, fmt.Errorf("explorer: retention asked for, but the %T backend cannot delete traces (store.Retainer)", x.store)
	}
	return r, nil
}
