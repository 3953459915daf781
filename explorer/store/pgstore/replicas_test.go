package pgstore_test

import (
	"context"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/traceai-go/traceai/explorer/store/internal/record"
	"github.com/traceai-go/traceai/internal/pgtest"
)

// TestReplicasExactAggregates: two stores (two explorer replicas) on one
// database ingest interleaved halves of the same requests, four exporters
// each, at once: spans of one trace, session and user arrive at both
// replicas concurrently. Afterwards every traces row equals the summary
// of its stored spans, and every answer (sessions, users, p50/p95,
// evaluations, rankings, overview) equals SQLite's after ingesting the
// same requests one by one.
func TestReplicasExactAggregates(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	a, b := openPG(t, dsn), openPG(t, dsn)
	sq := openSQLite(t)
	reqs := corpus(t, 2)
	for i, req := range reqs {
		if _, err := sq.Ingest(ctx, req); err != nil {
			t.Fatalf("sqlite request %d: %v", i, err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(reqs))
	for w := range 8 {
		st := a
		if w%2 == 1 {
			st = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Exporter w sends every eighth request: replica a the even
			// ones, b the odd ones.
			for i := w; i < len(reqs); i += 8 {
				if _, err := st.Ingest(ctx, reqs[i]); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	checkTraces(t, dsn)
	compareAll(t, sq, a, false)
	compareAll(t, sq, b, false)
}

// checkTraces compares every traces row with the summary of the trace's
// stored spans, and counts the spans.
func checkTraces(t *testing.T, dsn string) {
	t.Helper()
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	res := map[int64]*resourcepb.Resource{}
	rows, _ := pool.Query(ctx, `SELECT id, data FROM resources`)
	var id int64
	var data []byte
	if _, err := pgx.ForEachRow(rows, []any{&id, &data}, func() error {
		r := &resourcepb.Resource{}
		res[id] = r
		return proto.Unmarshal(data, r)
	}); err != nil {
		t.Fatal(err)
	}
	spans := map[string][]record.Stored{}
	rows, _ = pool.Query(ctx, `SELECT trace_id, scope, resource_id, data FROM spans`)
	var tid, scope string
	if _, err := pgx.ForEachRow(rows, []any{&tid, &scope, &id, &data}, func() error {
		sp := &tracepb.Span{}
		spans[tid] = append(spans[tid], record.Stored{Resource: res[id], Scope: scope, Span: sp})
		return proto.Unmarshal(data, sp)
	}); err != nil {
		t.Fatal(err)
	}
	type row struct {
		session, user    string
		spans, llm, errs int64
		in, out, total   int64
		cost             float64
		llmMS            string
		evalOnly, failed int16
		start, end       int64
	}
	n := 0
	rows, _ = pool.Query(ctx, `SELECT trace_id, session_id, user_id, spans, llm_calls, errors, input_tokens,
		output_tokens, total_tokens, cost, llm_ms, eval_only, failed, start_ns, end_ns FROM traces`)
	var r row
	if _, err := pgx.ForEachRow(rows, []any{&tid, &r.session, &r.user, &r.spans, &r.llm, &r.errs, &r.in, &r.out,
		&r.total, &r.cost, &r.llmMS, &r.evalOnly, &r.failed, &r.start, &r.end}, func() error {
		n++
		s := record.Summarize(spans[tid])
		want := row{s.Session, s.User, s.Spans, s.LLMCalls, s.Errors, s.InputTokens, s.OutputTokens, s.TotalTokens,
			s.Cost, s.LLMMS, b2i16(s.EvalOnly), b2i16(s.Failed), s.Start, s.End}
		if r != want {
			t.Errorf("trace %s: row %+v, its spans give %+v", tid, r, want)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n != len(spans) || n < 50 {
		t.Errorf("%d traces rows for the spans of %d traces", n, len(spans))
	}
}

func b2i16(b bool) int16 {
	if b {
		return 1
	}
	return 0
}
