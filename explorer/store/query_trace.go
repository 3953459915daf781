package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// maxTraceSpans bounds the spans returned by GetTrace: the earliest.
var maxTraceSpans = 10000

// earliestSpans returns the rowids of the n earliest spans (by start, then
// span id) among rowids, reading only those columns.
func earliestSpans(ctx context.Context, tx *sql.Tx, rowids []int64, n int) ([]int64, error) {
	type key struct {
		rowid, start int64
		spanID       string
	}
	var keys []key
	err := spansByRow(ctx, tx, "rowid, start_ns, span_id", rowids, func(rows *sql.Rows) error {
		var k key
		if err := rows.Scan(&k.rowid, &k.start, &k.spanID); err != nil {
			return err
		}
		keys = append(keys, k)
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(keys, func(a, b key) int { return startOrder(a.start, a.spanID, b.start, b.spanID) })
	out := make([]int64, 0, min(n, len(keys)))
	for _, k := range keys[:min(n, len(keys))] {
		out = append(out, k.rowid)
	}
	return out, nil
}

// spansByRow reads cols of the spans with the given rowids, calling scan
// for each row.
func spansByRow(ctx context.Context, tx *sql.Tx, cols string, rowids []int64, scan func(*sql.Rows) error) error {
	for len(rowids) > 0 {
		chunk := rowids[:min(len(rowids), 500)]
		rowids = rowids[len(chunk):]
		args := make([]any, len(chunk))
		for i, r := range chunk {
			args[i] = r
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+cols+` FROM spans WHERE rowid IN (?`+
			strings.Repeat(",?", len(chunk)-1)+`)`, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			if err := scan(rows); err != nil {
				rows.Close()
				return err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// GetTrace returns a trace with all its spans, or ErrNotFound.
func (s *Store) GetTrace(ctx context.Context, traceID string) (*TraceDetail, error) {
	traceID = strings.ToLower(traceID)
	// One read transaction: the trace's row and the spans it lists.
	tx, err := s.rdb.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var sess, user, spanRows string
	var in, out, total int64
	err = tx.QueryRowContext(ctx, `SELECT session_id, user_id, span_rows, input_tokens, output_tokens, total_tokens
		FROM traces WHERE trace_id = ?`, traceID).Scan(&sess, &user, &spanRows, &in, &out, &total)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	type stored struct {
		start  int64
		spanID string
		scope  string
		rid    int64
		pb     *tracepb.Span
	}
	var found []stored
	resources := map[int64]*resourcepb.Resource{}
	rowids := parseRows(spanRows)
	if len(rowids) > maxTraceSpans {
		// Decode only the spans shown.
		if rowids, err = earliestSpans(ctx, tx, rowids, maxTraceSpans); err != nil {
			return nil, err
		}
	}
	err = spansByRow(ctx, tx, "start_ns, span_id, scope, resource_id, data", rowids, func(rows *sql.Rows) error {
		var st stored
		var data []byte
		if err := rows.Scan(&st.start, &st.spanID, &st.scope, &st.rid, &data); err != nil {
			return err
		}
		st.pb = &tracepb.Span{}
		if err := proto.Unmarshal(data, st.pb); err != nil {
			return fmt.Errorf("decode span: %w", err)
		}
		resources[st.rid] = nil
		found = append(found, st)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(found) == 0 {
		return nil, ErrNotFound
	}
	slices.SortFunc(found, func(a, b stored) int { return startOrder(a.start, a.spanID, b.start, b.spanID) })
	found = found[:min(len(found), maxTraceSpans)]
	for rid := range resources {
		var data []byte
		if err := tx.QueryRowContext(ctx, `SELECT data FROM resources WHERE id = ?`, rid).Scan(&data); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				continue
			}
			return nil, err
		}
		var r resourcepb.Resource
		if proto.Unmarshal(data, &r) == nil {
			resources[rid] = &r
		}
	}
	resAttrs := make(map[int64][]Attribute, len(resources))
	for rid, r := range resources {
		resAttrs[rid] = []Attribute{}
		if r != nil {
			resAttrs[rid] = attributes(r.GetAttributes())
		}
	}
	spans := make([]Span, 0, len(found))
	for _, st := range found {
		res := resources[st.rid]
		// The columns of the span list are what ingest extracts.
		row := extract(res.GetAttributes(), st.scope, st.pb)
		sp := Span{SpanKind: row.spanKind, SessionID: row.sessionID, UserID: row.userID, Model: row.model,
			InputTokens: row.inputTokens, OutputTokens: row.outputTokens, Cost: row.cost, Scope: st.scope,
			Resource: resAttrs[st.rid], InputMessages: row.inMsgs, OutputMessages: row.outMsgs}
		fillSpan(&sp, st.pb)
		spans = append(spans, sp)
	}
	d := finishTrace(traceID, spans)
	d.SessionID, d.UserID = sess, user
	d.InputTokens, d.OutputTokens, d.TotalTokens = in, out, total
	// The evaluations are read on another pooled connection: holding this
	// transaction's meanwhile deadlocked as many concurrent GetTrace calls
	// as the pool has readers.
	_ = tx.Rollback()
	if d.Evaluations, err = s.evaluations(ctx, `target_trace_id = ? OR trace_id = ?`, traceID, traceID); err != nil {
		return nil, err
	}
	return d, nil
}

// finishTrace is the detail of a trace's spans (start order): in tree order,
// with the trace's times.
func finishTrace(traceID string, spans []Span) *TraceDetail {
	d := &TraceDetail{TraceID: traceID, Spans: treeOrder(spans)}
	for i, sp := range d.Spans {
		if i == 0 || sp.Start.Before(d.Start) {
			d.Start = sp.Start
		}
		if sp.End.After(d.End) {
			d.End = sp.End
		}
	}
	d.DurationMS = float64(d.End.Sub(d.Start)) / float64(time.Millisecond)
	return d
}

var otelKinds = [...]string{"UNSPECIFIED", "INTERNAL", "SERVER", "CLIENT", "PRODUCER", "CONSUMER"}

func fillSpan(sp *Span, pb *tracepb.Span) {
	sp.TraceID = fmt.Sprintf("%x", pb.GetTraceId())
	sp.SpanID = fmt.Sprintf("%x", pb.GetSpanId())
	sp.ParentID = fmt.Sprintf("%x", pb.GetParentSpanId())
	sp.Name = pb.GetName()
	if k := int(pb.GetKind()); k >= 0 && k < len(otelKinds) {
		sp.Kind = otelKinds[k]
	}
	sp.Start = nsTime(int64(pb.GetStartTimeUnixNano()))
	sp.End = nsTime(int64(pb.GetEndTimeUnixNano()))
	if sp.End.Before(sp.Start) {
		sp.End = sp.Start
	}
	sp.DurationMS = float64(sp.End.Sub(sp.Start)) / float64(time.Millisecond)
	switch pb.GetStatus().GetCode() {
	case tracepb.Status_STATUS_CODE_OK:
		sp.StatusCode = "OK"
	case tracepb.Status_STATUS_CODE_ERROR:
		sp.StatusCode = "ERROR"
	default:
		sp.StatusCode = "UNSET"
	}
	sp.StatusMessage = pb.GetStatus().GetMessage()
	sp.Attributes = attributes(pb.GetAttributes())
	sp.Events = make([]Event, 0, len(pb.GetEvents()))
	for _, ev := range pb.GetEvents() {
		sp.Events = append(sp.Events, Event{Name: ev.GetName(), Time: nsTime(int64(ev.GetTimeUnixNano())), Attributes: attributes(ev.GetAttributes())})
	}
}

// treeOrder sorts spans depth first (children by start time) and sets Depth.
// Spans whose parent is missing are treated as roots.
func treeOrder(spans []Span) []Span {
	ids := make(map[string]bool, len(spans))
	for _, sp := range spans {
		ids[sp.SpanID] = true
	}
	children := map[string][]int{}
	var roots []int
	for i, sp := range spans {
		if sp.ParentID == "" || !ids[sp.ParentID] || sp.ParentID == sp.SpanID {
			roots = append(roots, i)
		} else {
			children[sp.ParentID] = append(children[sp.ParentID], i)
		}
	}
	out := make([]Span, 0, len(spans))
	seen := make([]bool, len(spans))
	var walk func(i, depth int)
	walk = func(i, depth int) {
		if seen[i] {
			return
		}
		seen[i] = true
		sp := spans[i]
		sp.Depth = depth
		out = append(out, sp)
		for _, c := range children[sp.SpanID] {
			walk(c, depth+1)
		}
	}
	for _, r := range roots {
		walk(r, 0)
	}
	// Cycles: anything not reached is shown flat.
	for i := range spans {
		if !seen[i] {
			walk(i, 0)
		}
	}
	return out
}
