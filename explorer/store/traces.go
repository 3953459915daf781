package store

import (
	"cmp"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// oldTrace is a traces row as stored before the batch.
type oldTrace struct {
	session, user string
	spanRows      string // its spans (formatRows)
	a             agg    // this trace alone (traces = 1 unless eval-only)
	evalOnly      bool
	searchDoc     int64 // its search document (search_index.go), 0 for none
}

// lookupTraces returns the stored rows of the ids already stored.
func (t *txn) lookupTraces(ids []string) (map[string]oldTrace, error) {
	out := map[string]oldTrace{}
	err := t.lookupIn(traceLookup, ids, func(rows *sql.Rows) error {
		var id string
		var o oldTrace
		var evalOnly int
		if err := rows.Scan(&id, &o.session, &o.user, &o.a.start, &o.a.end, &o.a.spans, &o.a.llm,
			&o.a.errors, &o.a.errTraces, &o.a.in, &o.a.out, &o.a.total, &o.a.cost, &o.a.unpriced, &evalOnly, &o.spanRows, &o.searchDoc); err != nil {
			return err
		}
		o.evalOnly = evalOnly != 0
		if !o.evalOnly {
			o.a.traces = 1
		}
		out[id] = o
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

type aggSpan struct {
	spanID, parentID, spanKind, name string
	start, end                       int64
	status                           int32
	statusMsg                        string
	session, user, model             string
	promptTemplate, promptVer        string
	in, out, total                   int64
	cost                             float64
	priced, refused, empty           bool
	retry                            int64
	inText, outText                  string
	text                             *spanText
}

// aggOf is what summarizeTrace needs of a span.
func aggOf(r *spanRow) aggSpan {
	return aggSpan{spanID: r.spanID, parentID: r.parentID, spanKind: r.spanKind, name: r.name,
		start: r.startNS, end: r.endNS, status: r.statusCode, statusMsg: r.statusMessage,
		session: r.sessionID, user: r.userID, model: r.model, promptTemplate: r.promptTemplate, promptVer: r.promptVer, in: r.inputTokens,
		out: r.outputTokens, total: r.totalTokens, cost: r.cost, priced: r.priced,
		refused: r.refused, empty: r.empty, retry: r.retry, inText: r.inText, outText: r.outText, text: r.text}
}

// sortSpans puts spans in start order (span id breaking ties).
func sortSpans(all []aggSpan) {
	slices.SortFunc(all, func(a, b aggSpan) int { return startOrder(a.start, a.spanID, b.start, b.spanID) })
}

// startOrder compares two spans by start, then span id: the order of a
// trace's spans everywhere.
func startOrder(aStart int64, aID string, bStart int64, bID string) int {
	if c := cmp.Compare(aStart, bStart); c != 0 {
		return c
	}
	return strings.Compare(aID, bID)
}

// traceSpans reads the spans stored before the batch of a trace (its rows,
// as formatRows wrote them) and adds the batch's (fresh) to them, in start
// order. A stored span sent again is replaced: its row is deleted and kept
// leaves it out. The stored spans are decoded from their data and extracted
// again.
func (t *txn) traceSpans(spanRows string, fresh []*spanRow) (all []aggSpan, kept []int64, err error) {
	byID := make(map[string]*spanRow, len(fresh))
	for _, r := range fresh {
		byID[r.spanID] = r
	}
	var gone []int64
	err = t.lookupRows(selectSpanRows, parseRows(spanRows), func(rows *sql.Rows) error {
		var rowid, rid int64
		var spanID, scope string
		var data []byte
		if err := rows.Scan(&rowid, &spanID, &scope, &rid, &data); err != nil {
			return err
		}
		if _, ok := byID[spanID]; ok {
			gone = append(gone, rowid)
			return nil
		}
		var pb tracepb.Span
		if err := proto.Unmarshal(data, &pb); err != nil {
			return fmt.Errorf("decode span %s: %w", spanID, err)
		}
		res, err := t.resourceAttrs(rid)
		if err != nil {
			return err
		}
		all = append(all, aggOf(extract(res, scope, &pb)))
		kept = append(kept, rowid)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	if err := t.deleteRows(gone); err != nil {
		return nil, nil, err
	}
	for _, r := range fresh {
		all = append(all, aggOf(r))
	}
	sortSpans(all)
	return all, kept, nil
}

// formatRows writes a trace's span rowids for traces.span_rows. A trace's
// spans are found through that list rather than through an index of trace
// ids, whose random keys cost every span written an insert at a random
// place (with random ids, a third of ingest's time).
func formatRows(rowids []int64) string {
	b := make([]byte, 0, 8*len(rowids))
	for i, r := range rowids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, r, 10)
	}
	return string(b)
}

// parseRows reads traces.span_rows (skipping what is not a number).
func parseRows(list string) []int64 {
	if list == "" {
		return nil
	}
	out := make([]int64, 0, strings.Count(list, ",")+1)
	for len(list) > 0 {
		item, rest, _ := strings.Cut(list, ",")
		if r, err := strconv.ParseInt(item, 10, 64); err == nil {
			out = append(out, r)
		}
		list = rest
	}
	return out
}

const lastSpanRow = `SELECT coalesce(max(rowid), 0) FROM spans`

// selectSpanRows reads up to lookupN spans by rowid.
var selectSpanRows = `SELECT rowid, span_id, scope, resource_id, data FROM spans WHERE rowid IN (?` +
	strings.Repeat(",?", lookupN-1) + `)`

// selectSpanIDs reads the span ids of up to lookupN spans by rowid.
var selectSpanIDs = `SELECT span_id FROM spans WHERE rowid IN (?` + strings.Repeat(",?", lookupN-1) + `)`

// deleteSpanRows deletes up to lookupN spans by rowid.
var deleteSpanRows = `DELETE FROM spans WHERE rowid IN (?` + strings.Repeat(",?", lookupN-1) + `)`

func (t *txn) deleteRows(rowids []int64) error {
	return inChunks(rowids, func(args []any) error { return t.exec(deleteSpanRows, args...) })
}

// maxResourceCache bounds the writer's cache of decoded resources.
const maxResourceCache = 256

// resourceAttrs returns the attributes of a stored resource (none when it
// is missing or unreadable: extraction only falls back to them).
func (t *txn) resourceAttrs(id int64) ([]*commonpb.KeyValue, error) {
	if kvs, ok := t.w.resourceCache[id]; ok {
		return kvs, nil
	}
	var data []byte
	switch err := t.queryRow(`SELECT data FROM resources WHERE id = ?`, id).Scan(&data); {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return nil, fmt.Errorf("resource %d: %w", id, err)
	}
	var r resourcepb.Resource
	if proto.Unmarshal(data, &r) != nil {
		return nil, nil
	}
	if len(t.w.resourceCache) >= maxResourceCache {
		clear(t.w.resourceCache)
	}
	t.w.resourceCache[id] = r.GetAttributes()
	return r.GetAttributes(), nil
}
