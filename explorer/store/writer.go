package store

import (
	"database/sql"
	"errors"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
)

// writer is the write side of a Store: the one connection that writes, the
// goroutines around it (the writer loop, the syncer, the checkpointer) and
// the caches only the writer goroutine reads, which let a batch skip
// lookups of what it wrote before. Readers never touch it.
type writer struct {
	cfg  config
	path string
	file *dbFile // notices the file deleted or replaced
	wdb  *sql.DB // the single writer connection
	cdb  *sql.DB // the checkpointer's connection

	reqs      chan *writeReq
	closing   chan struct{}
	writerEnd chan struct{}
	commits   chan struct{} // a commit since the last checkpoint (capacity 1)
	ckptEnd   chan struct{}

	// With syncWAL, committed batches are acknowledged by the syncer once
	// it has flushed the WAL (see syncer).
	syncWAL bool
	synced  chan []*writeReq
	syncEnd chan struct{}

	syncHook    func() // tests: runs before each flush
	writeHook   func() // tests: runs when the writer has a request, before it gathers more
	readWindows bool   // tests: read every latency window from the table
	noSearch    bool   // benchmarks: no search documents at ingest

	// Caches, read and written by the writer goroutine only.
	resources     map[uint64]bool
	resourceCache map[int64][]*commonpb.KeyValue // resourceAttrs
	facts         map[string]string              // session facts stored (txn.fact)
	windows       map[string]*latencyWindow      // see latencyWindow
	windowTurns   int                            // turns in windows
	systemSeen    map[string]uint64              // the system prompt last indexed per session (dedupeSystem)
	dataVersion   int64                          // PRAGMA data_version when windows were kept
	stmts         map[string]*sql.Stmt           // writeQueries prepared on wdb
	pending       int                            // evaluations whose target span has not arrived
	haveEvals     bool                           // the database holds evaluations
}

func newWriter(cfg config, path string, wdb, cdb *sql.DB) *writer {
	return &writer{
		cfg:           cfg,
		path:          path,
		file:          watchFile(path),
		wdb:           wdb,
		cdb:           cdb,
		reqs:          make(chan *writeReq, 64),
		closing:       make(chan struct{}),
		writerEnd:     make(chan struct{}),
		commits:       make(chan struct{}, 1),
		ckptEnd:       make(chan struct{}),
		synced:        make(chan []*writeReq, 64),
		syncEnd:       make(chan struct{}),
		resources:     map[uint64]bool{},
		resourceCache: map[int64][]*commonpb.KeyValue{},
		facts:         map[string]string{},
		windows:       map[string]*latencyWindow{},
		systemSeen:    map[string]uint64{},
	}
}

// writer is the single goroutine writing to the database. It commits the
// requests waiting at the same time in one transaction (group commit), so
// concurrent exporters share the cost of a sync.
func (w *writer) loop() {
	defer close(w.writerEnd)
	defer close(w.synced)
	for {
		var first *writeReq
		select {
		case first = <-w.reqs:
			if w.writeHook != nil {
				w.writeHook()
			}
		case <-w.closing:
			// Ingest cannot send any more (closed is set); finish what is queued.
			for {
				select {
				case r := <-w.reqs:
					if r.job != nil {
						w.runJob(r)
						continue
					}
					w.commit([]*writeReq{r})
				default:
					return
				}
			}
		}
		if first.job != nil {
			w.runJob(first)
			continue
		}
		batch := []*writeReq{first}
		n := first.n
		var job *writeReq // a job queued behind the batch runs after it
	drain:
		for n < w.cfg.maxBatch {
			select {
			case r := <-w.reqs:
				if r.job != nil {
					job = r
					break drain
				}
				batch = append(batch, r)
				n += r.n
			default:
				break drain
			}
		}
		w.commit(batch)
		if job != nil {
			w.runJob(job)
		}
	}
}

func (w *writer) commit(batch []*writeReq) {
	err := w.file.check(w.cfg.logger)
	if err == nil {
		err = w.write(batch)
	}
	if err != nil && !errors.Is(err, ErrDatabaseGone) {
		w.cfg.logger.Error("traceai explorer: storing spans failed", "err", err)
	}
	if err == nil && w.syncWAL {
		w.synced <- batch
	} else {
		for _, r := range batch {
			r.done <- err
		}
	}
	select {
	case w.commits <- struct{}{}:
	default:
	}
}
