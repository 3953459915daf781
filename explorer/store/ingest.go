package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"sort"
	"strconv"
	"strings"

	"github.com/traceai-go/traceai/fi/semconv"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

type writeReq struct {
	rs   []*tracepb.ResourceSpans
	n    int
	done chan error
}

// writer is the single goroutine writing to the database. It commits the
// requests waiting at the same time in one transaction (group commit), so
// concurrent exporters share the cost of a sync.
func (s *Store) writer() {
	defer close(s.writerEnd)
	for {
		var first *writeReq
		select {
		case first = <-s.reqs:
		case <-s.closing:
			// Ingest cannot send any more (closed is set); finish what is queued.
			for {
				select {
				case r := <-s.reqs:
					s.commit([]*writeReq{r})
				default:
					return
				}
			}
		}
		batch := []*writeReq{first}
		n := first.n
	drain:
		for n < s.cfg.maxBatch {
			select {
			case r := <-s.reqs:
				batch = append(batch, r)
				n += r.n
			default:
				break drain
			}
		}
		s.commit(batch)
	}
}

func (s *Store) commit(batch []*writeReq) {
	err := s.write(batch)
	if err != nil {
		s.cfg.logger.Error("traceai explorer: storing spans failed", "err", err)
	}
	for _, r := range batch {
		r.done <- err
	}
}

type txn struct {
	tx       *sql.Tx
	ctx      context.Context
	stmts    map[string]*sql.Stmt
	traces   map[string]bool
	sessions map[string]bool
	users    map[string]bool
	evals    bool // the batch has evaluations
	seen     map[string]bool
}

// once reports whether key is new in this transaction.
func (t *txn) once(key string) bool {
	if t.seen[key] {
		return false
	}
	if t.seen == nil {
		t.seen = map[string]bool{}
	}
	t.seen[key] = true
	return true
}

func (t *txn) stmt(q string) (*sql.Stmt, error) {
	if st, ok := t.stmts[q]; ok {
		return st, nil
	}
	st, err := t.tx.PrepareContext(t.ctx, q)
	if err != nil {
		return nil, err
	}
	t.stmts[q] = st
	return st, nil
}

func (t *txn) queryRow(q string, args ...any) *sql.Row {
	st, err := t.stmt(q)
	if err != nil {
		// Surface the prepare error through Scan.
		return t.queryRow(q, args...)
	}
	return st.QueryRowContext(t.ctx, args...)
}

func (t *txn) query(q string, args ...any) (*sql.Rows, error) {
	st, err := t.stmt(q)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(t.ctx, args...)
}

func (t *txn) exec(q string, args ...any) error {
	st, err := t.stmt(q)
	if err != nil {
		return err
	}
	_, err = st.ExecContext(t.ctx, args...)
	return err
}

const insertSpan = `INSERT OR REPLACE INTO spans (trace_id, span_id, parent_id, name, kind, span_kind,
	start_ns, end_ns, status_code, status_message, session_id, user_id, model, input_tokens,
	output_tokens, total_tokens, cost, priced, retry, in_text, out_text, refused, empty, scope,
	resource_id, data) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (s *Store) write(batch []*writeReq) (err error) {
	ctx := context.Background()
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	t := &txn{tx: tx, ctx: ctx, stmts: map[string]*sql.Stmt{},
		traces: map[string]bool{}, sessions: map[string]bool{}, users: map[string]bool{}}
	newResources := map[uint64]bool{}
	pending := s.pending
	defer func() {
		for _, st := range t.stmts {
			st.Close()
		}
		if err != nil {
			_ = tx.Rollback()
			return
		}
		if err = tx.Commit(); err != nil {
			err = fmt.Errorf("commit: %w", err)
			return
		}
		for id := range newResources {
			s.resources[id] = true
		}
		s.pending = pending
	}()

	var evals []*spanRow
	var buf []byte
	defer func() {
		if err == nil && t.evals {
			s.haveEvals = true
		}
	}()
	for _, r := range batch {
		for _, rs := range r.rs {
			res := rs.GetResource()
			buf, err = proto.MarshalOptions{Deterministic: true}.MarshalAppend(buf[:0], res)
			if err != nil {
				return fmt.Errorf("encode resource: %w", err)
			}
			h := fnv.New64a()
			h.Write(buf)
			rid := int64(h.Sum64() >> 1)
			if !s.resources[uint64(rid)] && !newResources[uint64(rid)] {
				if err = t.exec(`INSERT OR IGNORE INTO resources (id, data) VALUES (?, ?)`, rid, buf); err != nil {
					return fmt.Errorf("insert resource: %w", err)
				}
				newResources[uint64(rid)] = true
			}
			for _, ss := range rs.GetScopeSpans() {
				scope := ss.GetScope().GetName()
				if v := ss.GetScope().GetVersion(); v != "" {
					scope += "@" + v
				}
				for _, sp := range ss.GetSpans() {
					row := extract(res.GetAttributes(), scope, sp)
					if len(row.traceID) != 32 || len(row.spanID) != 16 {
						// The receiver rejects these before; skip defensively.
						continue
					}
					buf, err = proto.Marshal(sp)
					if err != nil {
						return fmt.Errorf("encode span: %w", err)
					}
					if err = t.exec(insertSpan, row.traceID, row.spanID, row.parentID, row.name, row.kind,
						row.spanKind, row.startNS, row.endNS, row.statusCode, row.statusMessage,
						row.sessionID, row.userID, row.model, row.inputTokens, row.outputTokens,
						row.totalTokens, row.cost, b2i(row.priced), row.retry, row.inText, row.outText,
						b2i(row.refused), b2i(row.empty), row.scope, rid, buf); err != nil {
						return fmt.Errorf("insert span: %w", err)
					}
					t.traces[row.traceID] = true
					if row.sessionID != "" {
						// Spans of a session repeat its tags, model and
						// metadata: write each once per batch.
						for _, tag := range row.tags {
							if t.once("t\x00" + row.sessionID + "\x00" + tag) {
								if err = t.exec(`INSERT OR IGNORE INTO session_tags (session_id, tag) VALUES (?, ?)`, row.sessionID, tag); err != nil {
									return err
								}
							}
						}
						if row.model != "" && t.once("m\x00"+row.sessionID+"\x00"+row.model) {
							if err = t.exec(`INSERT OR IGNORE INTO session_models (session_id, model) VALUES (?, ?)`, row.sessionID, row.model); err != nil {
								return err
							}
						}
						for k, v := range row.metadata {
							if t.once("k\x00" + row.sessionID + "\x00" + k + "\x00" + v) {
								if err = t.exec(`INSERT OR REPLACE INTO session_meta (session_id, key, value) VALUES (?, ?, ?)`, row.sessionID, k, v); err != nil {
									return err
								}
							}
						}
					}
					if row.eval != nil {
						t.evals = true
						evals = append(evals, row)
					}
				}
			}
		}
	}

	for id := range t.traces {
		if err = s.refreshTrace(t, id); err != nil {
			return fmt.Errorf("trace %s: %w", id, err)
		}
	}
	for _, e := range evals {
		resolved, err := s.putEvaluation(t, e)
		if err != nil {
			return fmt.Errorf("evaluation: %w", err)
		}
		if !resolved && e.eval.target != "" {
			pending++
		}
	}
	if pending > 0 {
		n, err := s.resolvePending(t)
		if err != nil {
			return fmt.Errorf("resolve evaluations: %w", err)
		}
		pending -= n
	}
	for id := range t.sessions {
		if err = s.refreshSession(t, id); err != nil {
			return fmt.Errorf("session %q: %w", id, err)
		}
	}
	for id := range t.users {
		if err = s.refreshUser(t, id); err != nil {
			return fmt.Errorf("user %q: %w", id, err)
		}
	}
	return nil
}

type aggSpan struct {
	spanID, parentID, spanKind, name string
	start, end                       int64
	status                           int32
	statusMsg                        string
	session, user, model             string
	in, out, total                   int64
	cost                             float64
	priced, refused, empty           bool
	retry                            int64
	inText, outText                  string
}

// refreshTrace recomputes the traces row of one trace from its spans.
func (s *Store) refreshTrace(t *txn, traceID string) error {
	st, err := t.stmt(`SELECT span_id, parent_id, span_kind, name, start_ns, end_ns, status_code,
		status_message, session_id, user_id, model, input_tokens, output_tokens, total_tokens, cost,
		priced, refused, empty, retry, in_text, out_text FROM spans WHERE trace_id = ? ORDER BY start_ns, span_id`)
	if err != nil {
		return err
	}
	rows, err := st.QueryContext(t.ctx, traceID)
	if err != nil {
		return err
	}
	var all []aggSpan
	for rows.Next() {
		var a aggSpan
		var priced, refused, empty int
		if err := rows.Scan(&a.spanID, &a.parentID, &a.spanKind, &a.name, &a.start, &a.end, &a.status,
			&a.statusMsg, &a.session, &a.user, &a.model, &a.in, &a.out, &a.total, &a.cost,
			&priced, &refused, &empty, &a.retry, &a.inText, &a.outText); err != nil {
			rows.Close()
			return err
		}
		a.priced, a.refused, a.empty = priced != 0, refused != 0, empty != 0
		all = append(all, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}

	var old struct{ session, user string }
	err = t.queryRow(`SELECT session_id, user_id FROM traces WHERE trace_id = ?`, traceID).Scan(&old.session, &old.user)
	if err != nil && err != sql.ErrNoRows {
		return err
	}

	ids := make(map[string]bool, len(all))
	for _, a := range all {
		ids[a.spanID] = true
	}
	var spans []aggSpan // without evaluator spans
	for _, a := range all {
		if a.spanKind != string(semconv.SpanKindEvaluator) {
			spans = append(spans, a)
		}
	}
	evalOnly := len(spans) == 0
	if evalOnly {
		spans = all
	}
	var root *aggSpan
	for i := range spans {
		if spans[i].parentID == "" || !ids[spans[i].parentID] {
			root = &spans[i]
			break
		}
	}
	if root == nil && len(spans) > 0 {
		root = &spans[0]
	}
	var (
		start, end                 int64
		session, user              string
		llm, errs, retries         int
		errMsg, model              string
		in, out, total             int64
		cost                       float64
		unpriced                   int
		input, output              string
		lastLLM                    *aggSpan
		llmMS                      []string
		tokIn, tokOut, tokTotal    int64 // over all spans, used when no LLM span has tokens
		outputEnd                  int64
		refused, empty, anyLLMErrs bool
	)
	if root != nil {
		session, user = root.session, root.user
		input, output = root.inText, root.outText
		outputEnd = root.end
	}
	for i := range spans {
		a := &spans[i]
		if start == 0 || a.start < start {
			start = a.start
		}
		if a.end > end {
			end = a.end
		}
		if session == "" {
			session = a.session
		}
		if user == "" {
			user = a.user
		}
		if a.status == int32(tracepb.Status_STATUS_CODE_ERROR) {
			errs++
			if errMsg == "" {
				errMsg = a.statusMsg
				if errMsg == "" {
					errMsg = a.name + " failed"
				}
			}
		}
		tokIn += a.in
		tokOut += a.out
		tokTotal += a.total
		if input == "" && a.inText != "" {
			input = a.inText
		}
		if a.spanKind == string(semconv.SpanKindLLM) {
			llm++
			in += a.in
			out += a.out
			total += a.total
			if a.priced {
				cost += a.cost
			} else {
				unpriced++
			}
			if a.retry > 0 {
				retries++
			}
			if a.status == int32(tracepb.Status_STATUS_CODE_ERROR) {
				anyLLMErrs = true
			}
			llmMS = append(llmMS, strconv.FormatFloat(float64(a.end-a.start)/1e6, 'f', 3, 64))
			if lastLLM == nil || a.end >= lastLLM.end {
				lastLLM = a
			}
		}
	}
	_ = anyLLMErrs
	// The turn failed when its outcome did: the root or the final LLM call
	// errored. A retried call that recovered is a retry, not a failure.
	failed := false
	if root != nil && root.status == int32(tracepb.Status_STATUS_CODE_ERROR) {
		failed, errMsg = true, firstNonEmpty(root.statusMsg, errMsg)
	}
	if lastLLM != nil && lastLLM.status == int32(tracepb.Status_STATUS_CODE_ERROR) {
		if !failed {
			errMsg = firstNonEmpty(lastLLM.statusMsg, errMsg)
		}
		failed = true
	}
	if llm == 0 {
		in, out, total = tokIn, tokOut, tokTotal
	}
	if root == nil || root.outText == "" {
		// The latest-ending span with an output answers the turn.
		for i := range spans {
			if spans[i].outText != "" && (output == "" || spans[i].end >= outputEnd) {
				output, outputEnd = spans[i].outText, spans[i].end
			}
		}
	}
	if lastLLM != nil {
		model = lastLLM.model
		refused = lastLLM.refused || isRefusal(nil, output)
		empty = lastLLM.empty && strings.TrimSpace(output) == ""
	}
	rootName := ""
	if root != nil {
		rootName = root.name
	}
	if err := t.exec(`INSERT OR REPLACE INTO traces (trace_id, session_id, user_id, start_ns, end_ns,
		root_name, spans, llm_calls, errors, error_message, input_tokens, output_tokens, total_tokens,
		cost, unpriced, model, input, output, retries, refused, empty, llm_ms, eval_only, failed)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		traceID, session, user, start, end, rootName, len(spans), llm, errs, truncate(errMsg, 1000),
		in, out, total, cost, unpriced, model, input, output, retries, b2i(refused), b2i(empty),
		strings.Join(llmMS, ","), b2i(evalOnly), b2i(failed)); err != nil {
		return err
	}
	for _, id := range []string{old.session, session} {
		if id != "" {
			t.sessions[id] = true
		}
	}
	for _, id := range []string{old.user, user} {
		if id != "" {
			t.users[id] = true
		}
	}
	// Evaluations of this trace's spans follow the trace's session and user.
	if !s.haveEvals && !t.evals {
		return nil
	}
	if err := t.exec(`UPDATE evaluations SET session_id = ?, user_id = ? WHERE target_trace_id = ?
		AND (session_id != ? OR user_id != ?)`, session, user, traceID, session, user); err != nil {
		return err
	}
	return nil
}

// putEvaluation stores one evaluation span, resolved to its target span's
// trace, session and user when that span is stored.
func (s *Store) putEvaluation(t *txn, e *spanRow) (resolved bool, err error) {
	targetTrace, session, user := "", e.sessionID, e.userID
	if e.eval.target != "" {
		var ts, tu string
		err := t.queryRow(`SELECT s.trace_id, coalesce(t.session_id, ''), coalesce(t.user_id, '')
			FROM spans s LEFT JOIN traces t ON t.trace_id = s.trace_id WHERE s.span_id = ? LIMIT 1`, e.eval.target).Scan(&targetTrace, &ts, &tu)
		switch {
		case err == sql.ErrNoRows:
		case err != nil:
			return false, err
		default:
			resolved = true
			if ts != "" {
				session = ts
			}
			if tu != "" {
				user = tu
			}
		}
	} else {
		// No target: the evaluation judges its own trace.
		targetTrace = e.traceID
		resolved = true
	}
	var score any
	if e.eval.score != nil {
		score = *e.eval.score
	}
	return resolved, t.exec(`INSERT OR REPLACE INTO evaluations (span_id, trace_id, target_span_id,
		target_trace_id, session_id, user_id, name, score, label, explanation, time_ns)
		VALUES (?,?,?,?,?,?,?,?,?,?,?)`, e.spanID, e.traceID, e.eval.target, targetTrace, session, user,
		e.eval.name, score, e.eval.label, truncate(e.eval.explanation, maxText), e.endNS)
}

// resolvePending attaches evaluations that arrived before their target span.
func (s *Store) resolvePending(t *txn) (int, error) {
	rows, err := t.query(`SELECT e.trace_id, e.span_id, s.trace_id, coalesce(tr.session_id, ''), coalesce(tr.user_id, '')
		FROM evaluations e JOIN spans s ON s.span_id = e.target_span_id
		LEFT JOIN traces tr ON tr.trace_id = s.trace_id
		WHERE e.target_trace_id = '' AND e.target_span_id != ''`)
	if err != nil {
		return 0, err
	}
	type fix struct{ trace, span, target, session, user string }
	var fixes []fix
	for rows.Next() {
		var f fix
		if err := rows.Scan(&f.trace, &f.span, &f.target, &f.session, &f.user); err != nil {
			rows.Close()
			return 0, err
		}
		fixes = append(fixes, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for _, f := range fixes {
		if err := t.exec(`UPDATE evaluations SET target_trace_id = ?,
			session_id = CASE WHEN ? != '' THEN ? ELSE session_id END,
			user_id = CASE WHEN ? != '' THEN ? ELSE user_id END
			WHERE trace_id = ? AND span_id = ?`, f.target, f.session, f.session, f.user, f.user, f.trace, f.span); err != nil {
			return 0, err
		}
	}
	return len(fixes), nil
}

// percentileWindow bounds the turns whose LLM latencies feed the p50/p95 of
// a session or user: the most recent ones.
const percentileWindow = 2000

func (s *Store) llmPercentiles(t *txn, col, id string) (p50, p95 float64, err error) {
	rows, err := t.query(`SELECT llm_ms FROM traces WHERE `+col+` = ? AND llm_ms != '' ORDER BY start_ns DESC LIMIT ?`, id, percentileWindow)
	if err != nil {
		return 0, 0, err
	}
	defer rows.Close()
	var ms []float64
	for rows.Next() {
		var list string
		if err := rows.Scan(&list); err != nil {
			return 0, 0, err
		}
		for _, f := range strings.Split(list, ",") {
			if v, err := strconv.ParseFloat(f, 64); err == nil {
				ms = append(ms, v)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return 0, 0, err
	}
	sort.Float64s(ms)
	return percentile(ms, 0.50), percentile(ms, 0.95), nil
}

// percentile of sorted values, nearest-rank with linear interpolation.
func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	pos := p * float64(len(sorted)-1)
	lo := int(pos)
	if lo+1 >= len(sorted) {
		return sorted[len(sorted)-1]
	}
	frac := pos - float64(lo)
	return sorted[lo] + (sorted[lo+1]-sorted[lo])*frac
}

const aggCols = `count(*), coalesce(sum(spans),0), coalesce(sum(llm_calls),0), coalesce(sum(errors),0),
	coalesce(sum(failed),0), coalesce(sum(input_tokens),0), coalesce(sum(output_tokens),0),
	coalesce(sum(total_tokens),0), coalesce(sum(cost),0), coalesce(sum(unpriced),0),
	coalesce(min(start_ns),0), coalesce(max(end_ns),0)`

type agg struct {
	traces, spans, llm, errors, errTraces int64
	in, out, total                        int64
	cost                                  float64
	unpriced                              int64
	start, end                            int64
}

func (a *agg) scan(row *sql.Row) error {
	return row.Scan(&a.traces, &a.spans, &a.llm, &a.errors, &a.errTraces, &a.in, &a.out, &a.total,
		&a.cost, &a.unpriced, &a.start, &a.end)
}

func (a *agg) errorRate() float64 {
	if a.traces == 0 {
		return 0
	}
	return float64(a.errTraces) / float64(a.traces)
}

func (s *Store) refreshSession(t *txn, id string) error {
	var a agg
	if err := a.scan(t.queryRow(`SELECT `+aggCols+` FROM traces WHERE session_id = ? AND eval_only = 0`, id)); err != nil {
		return err
	}
	if a.traces == 0 {
		return t.exec(`DELETE FROM sessions WHERE session_id = ?`, id)
	}
	var user, first, last string
	if err := t.queryRow(`SELECT user_id FROM traces WHERE session_id = ? AND user_id != '' ORDER BY start_ns DESC LIMIT 1`, id).Scan(&user); err != nil && err != sql.ErrNoRows {
		return err
	}
	if err := t.queryRow(`SELECT input FROM traces WHERE session_id = ? AND input != '' AND eval_only = 0 ORDER BY start_ns LIMIT 1`, id).Scan(&first); err != nil && err != sql.ErrNoRows {
		return err
	}
	if err := t.queryRow(`SELECT output FROM traces WHERE session_id = ? AND output != '' AND eval_only = 0 ORDER BY start_ns DESC LIMIT 1`, id).Scan(&last); err != nil && err != sql.ErrNoRows {
		return err
	}
	p50, p95, err := s.llmPercentiles(t, "session_id", id)
	if err != nil {
		return err
	}
	models, err := t.strings(`SELECT model FROM session_models WHERE session_id = ? ORDER BY model LIMIT 50`, id)
	if err != nil {
		return err
	}
	tags, err := t.strings(`SELECT tag FROM session_tags WHERE session_id = ? ORDER BY tag LIMIT 100`, id)
	if err != nil {
		return err
	}
	return t.exec(`INSERT OR REPLACE INTO sessions (session_id, user_id, traces, spans, llm_calls, errors,
		error_traces, error_rate, input_tokens, output_tokens, total_tokens, cost, unpriced, first_input,
		last_output, start_ns, end_ns, duration_ms, p50_ms, p95_ms, models, tags)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		id, user, a.traces, a.spans, a.llm, a.errors, a.errTraces, a.errorRate(), a.in, a.out, a.total,
		a.cost, a.unpriced, first, last, a.start, a.end, float64(a.end-a.start)/1e6, p50, p95,
		jsonList(models), jsonList(tags))
}

func (s *Store) refreshUser(t *txn, id string) error {
	var a agg
	if err := a.scan(t.queryRow(`SELECT `+aggCols+` FROM traces WHERE user_id = ? AND eval_only = 0`, id)); err != nil {
		return err
	}
	if a.traces == 0 {
		return t.exec(`DELETE FROM users WHERE user_id = ?`, id)
	}
	var sessions int64
	if err := t.queryRow(`SELECT count(DISTINCT session_id) FROM traces WHERE user_id = ? AND session_id != '' AND eval_only = 0`, id).Scan(&sessions); err != nil {
		return err
	}
	p50, p95, err := s.llmPercentiles(t, "user_id", id)
	if err != nil {
		return err
	}
	models, err := t.strings(`SELECT DISTINCT model FROM traces WHERE user_id = ? AND model != '' LIMIT 50`, id)
	if err != nil {
		return err
	}
	sort.Strings(models)
	return t.exec(`INSERT OR REPLACE INTO users (user_id, sessions, traces, spans, llm_calls, errors,
		error_traces, error_rate, input_tokens, output_tokens, total_tokens, cost, unpriced, first_ns,
		last_ns, p50_ms, p95_ms, models) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		id, sessions, a.traces, a.spans, a.llm, a.errors, a.errTraces, a.errorRate(), a.in, a.out,
		a.total, a.cost, a.unpriced, a.start, a.end, p50, p95, jsonList(models))
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (t *txn) strings(q string, args ...any) ([]string, error) {
	rows, err := t.query(q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func jsonList(v []string) string {
	if len(v) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(v)
	return string(b)
}
