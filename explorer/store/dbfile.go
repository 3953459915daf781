package store

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// ErrDatabaseGone is returned by Ingest once the database file has been
// deleted or replaced under the running store. SQLite would go on writing
// to the unlinked file, and every span acknowledged from then on would be
// gone at the next start; refusing them (503) lets exporters keep them
// until the explorer is restarted on a file that exists.
var ErrDatabaseGone = errors.New("store: the database file was deleted or replaced; restart the explorer")

// dbFile watches the identity of the database file the writer writes.
type dbFile struct {
	path string
	fi   os.FileInfo // at Open; nil when it cannot be known (no check)
	gone error       // sticky once seen
}

func watchFile(path string) *dbFile {
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() {
		return &dbFile{path: path}
	}
	return &dbFile{path: path, fi: fi}
}

// check reports ErrDatabaseGone when the path no longer names the file
// opened (removed, or another file moved there), logging it the first
// time.
func (f *dbFile) check(log *slog.Logger) error {
	if f == nil || f.fi == nil {
		return nil
	}
	if f.gone != nil {
		return f.gone
	}
	now, err := os.Stat(f.path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		f.gone = fmt.Errorf("%w (%s no longer exists)", ErrDatabaseGone, f.path)
	case err != nil:
		return nil // cannot tell (permissions, a slow disk): keep writing
	case !os.SameFile(f.fi, now):
		f.gone = fmt.Errorf("%w (%s is another file now)", ErrDatabaseGone, f.path)
	default:
		return nil
	}
	log.Error("traceai explorer: the database file was deleted or replaced; refusing spans until restarted", "path", f.path)
	return f.gone
}

// healthEvery is how often Health looks at the database's path: a stat
// per page view or API call would cost more than it tells.
const healthEvery = time.Second

// healthWatch is the readers' look at the database file: Health may be
// called from any goroutine, while the writer's dbFile is its own.
type healthWatch struct {
	mu   sync.Mutex
	file *dbFile
	last time.Time
	err  error
}

// Health returns ErrDatabaseGone (wrapped) once the database file was
// deleted or replaced under the running store: the store then refuses
// spans, and what it still shows is a file nobody can open again. It
// looks at the path at most once a second.
func (s *Store) Health() error {
	h := &s.health
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.file == nil || h.err != nil {
		return h.err
	}
	if now := time.Now(); now.Sub(h.last) >= healthEvery {
		h.last = now
		h.err = h.file.check(s.cfg.logger)
	}
	return h.err
}
