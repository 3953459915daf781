package pgstore

import (
	"context"
	"errors"
	"time"

	"github.com/traceai-go/traceai/explorer/store"
	"github.com/traceai-go/traceai/explorer/store/internal/record"
)

// The dashboard's hourly rollups are the SQLite store's (its rollup.go):
// ingest and retention mark the hours they change, and a replica
// recomputes the marked hours once they are quiet. Replicas take turns
// under an advisory lock, so that two never write the same hour's rows.

// rollupLock is the advisory lock of the recomputation ("traceai" and 1).
const rollupLock = migrationLock + 1

// Refresh pacing, as the SQLite store's.
const (
	rollupSettle = 5 * time.Second
	rollupBudget = 100 * time.Millisecond
	rollupEvery  = 2 * time.Second
)

// RefreshRollups recomputes the dashboard's rollups of every hour marked
// stale, now. Replicas do it in the background for hours quiet for a few
// seconds, and queries scan the turns of the hours still marked, so this
// changes no answer, only what the next queries read.
func (s *Store) RefreshRollups(ctx context.Context) error {
	return s.refreshRollups(ctx, 0)
}

var _ store.RollupRefresher = (*Store)(nil)

func (s *Store) refreshRollups(ctx context.Context, settle time.Duration) error {
	for {
		more, err := s.refreshOnce(ctx, settle)
		if err != nil || !more {
			return err
		}
	}
}

// refreshOnce recomputes marked hours for about rollupBudget, in a
// transaction of its own.
func (s *Store) refreshOnce(ctx context.Context, settle time.Duration) (bool, error) {
	if err := s.begin(); err != nil {
		return false, err
	}
	defer s.wg.Done()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, wrap(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?)`, rollupLock); err != nil {
		return false, wrap(err)
	}
	more, err := record.RefreshHours(ctx, tx, settle, rollupBudget)
	if err != nil {
		return false, wrap(err)
	}
	return more, wrap(tx.Commit())
}

// rollupLoop recomputes quiet marked hours every rollupEvery until Close.
func (s *Store) rollupLoop() {
	defer close(s.rollupEnd)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-s.rollupStop
		cancel()
	}()
	tick := time.NewTicker(rollupEvery)
	defer tick.Stop()
	for {
		select {
		case <-s.rollupStop:
			return
		case <-tick.C:
		}
		var marked bool
		err := s.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM dash_dirty)`).Scan(&marked)
		if err == nil && marked {
			err = s.refreshRollups(ctx, rollupSettle)
		}
		if err != nil && ctx.Err() == nil && !errors.Is(err, store.ErrClosed) {
			s.cfg.logger.Error("traceai explorer: dashboard rollups failed", "err", err)
		}
	}
}
