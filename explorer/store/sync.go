package store

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"
)

// syncer acknowledges committed batches once the WAL holding them is on
// disk, which is what synchronous=FULL does inside each commit. Doing it
// here lets the writer run the next transaction during the flush, and one
// flush acknowledges every commit made while the previous flush ran.
// NORMAL's checkpoints keep flushed frames safe: SQLite syncs the WAL before
// a checkpoint and the database after it, before the WAL is written over.
func (w *writer) syncer() {
	defer close(w.syncEnd)
	var wal walFile
	defer wal.close()
	for batch := range w.synced {
	more:
		for {
			select {
			case b, ok := <-w.synced:
				if !ok {
					break more
				}
				batch = append(batch, b...)
			default:
				break more
			}
		}
		if w.syncHook != nil {
			w.syncHook()
		}
		err := wal.sync(w.path + "-wal")
		if err != nil {
			w.cfg.logger.Error("traceai explorer: flushing the WAL failed", "err", err)
		}
		for _, r := range batch {
			r.done <- err
		}
	}
}

// walFile is the syncer's descriptor of the WAL file, reopened if SQLite
// made a new file.
type walFile struct {
	f  *os.File
	fi os.FileInfo
}

func (w *walFile) sync(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("flush WAL: %w", err)
	}
	if w.f == nil || !os.SameFile(fi, w.fi) {
		w.close()
		// SQLite holds no locks on the WAL file itself (they are on the
		// -shm file), so this descriptor cannot drop one when closed.
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("flush WAL: %w", err)
		}
		w.f, w.fi = f, fi
		// A new file's directory entry must reach the disk too, as
		// SQLite's own first sync of a WAL does.
		if err := syncDir(filepath.Dir(path)); err != nil {
			return fmt.Errorf("flush WAL: %w", err)
		}
	}
	if err := flushData(w.f); err != nil {
		return fmt.Errorf("flush WAL: %w", err)
	}
	return nil
}

func (w *walFile) close() {
	if w.f != nil {
		w.f.Close()
		w.f = nil
	}
}

func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil // directories cannot be synced there
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Checkpoints copy the WAL into the database file. SQLite runs them in the
// committing connection once the WAL holds wal_autocheckpoint pages, which
// put a checkpoint on the writer's path every few batches (a tenth of its
// time). The checkpointer runs them on its own connection instead, on the
// other core, checkpointEvery after a commit; the writer's own threshold
// (writerCheckpointPages) is a fallback for when the checkpointer cannot
// catch up with a writer that never pauses.
const (
	checkpointEvery       = 50 * time.Millisecond
	writerCheckpointPages = 8000
)

func (w *writer) checkpointer() {
	defer close(w.ckptEnd)
	for {
		// Sleep until a commit, then let commits gather for
		// checkpointEvery: an idle store never wakes this goroutine.
		select {
		case <-w.writerEnd:
			return
		case <-w.commits:
		}
		select {
		case <-w.writerEnd:
			return // Close checkpoints what is left
		case <-time.After(checkpointEvery):
		}
		select {
		case <-w.commits: // covered by this checkpoint
		default:
		}
		if _, err := w.cdb.Exec(`PRAGMA wal_checkpoint(PASSIVE)`); err != nil {
			w.cfg.logger.Warn("traceai explorer: checkpoint failed", "err", err)
		}
	}
}
