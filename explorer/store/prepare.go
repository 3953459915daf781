package store

import (
	"errors"
	"fmt"
	"hash/fnv"
	"runtime"
	"sync"

	"github.com/traceai-go/traceai/explorer/store/internal/record"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

type writeReq struct {
	prep *prepared
	n    int
	done chan error
	// job, when set, is a transaction of its own (a retention batch) that
	// the writer runs instead of storing spans.
	job func(*txn) error
}

// prepared is a request made ready for the writer by the calling goroutine:
// attributes extracted and spans encoded, so that the single writer only
// writes rows, and concurrent exporters extract in parallel.
type prepared struct {
	resources []resourceRow
	spans     []preparedSpan
	// traces summarizes the request's spans of each trace: the traces row
	// of a trace new to the store whose spans all came in this request.
	traces map[string]*traceSummary
	// The distinct (session, tag), (session, model) and (session, key,
	// value) of the spans, in order of appearance: a session's spans repeat
	// them.
	tags, models [][2]string
	meta         []record.Meta
}

type resourceRow struct {
	id   int64
	data []byte
}

type preparedSpan struct {
	row *spanRow
	rid int64 // its resource
	// The spans row (spanCols), boxed here rather than by the writer.
	args [spanColsN]any
}

// prepareChunk is how many spans one goroutine of prepare handles: large
// batches are extracted and encoded on several cores.
const prepareChunk = 128

// prepare extracts and encodes the spans of rs (n of them), taking the
// encodings from encoded when it is not nil (one per span, in order).
func prepare(rs []*tracepb.ResourceSpans, n int, encoded [][]byte) (*prepared, error) {
	p := &prepared{spans: make([]preparedSpan, n)}
	type source struct {
		res   []*commonpb.KeyValue
		scope string
		sp    *tracepb.Span
	}
	src := make([]source, 0, n)
	seen := map[int64]bool{}
	var buf []byte
	for _, r := range rs {
		res := r.GetResource()
		var err error
		buf, err = proto.MarshalOptions{Deterministic: true}.MarshalAppend(buf[:0], res)
		if err != nil {
			return nil, fmt.Errorf("encode resource: %w", err)
		}
		h := fnv.New64a()
		h.Write(buf)
		rid := int64(h.Sum64() >> 1)
		if !seen[rid] {
			seen[rid] = true
			p.resources = append(p.resources, resourceRow{rid, append([]byte(nil), buf...)})
		}
		for _, ss := range r.GetScopeSpans() {
			scope := ss.GetScope().GetName()
			if v := ss.GetScope().GetVersion(); v != "" {
				scope += "@" + v
			}
			for _, sp := range ss.GetSpans() {
				p.spans[len(src)].rid = rid
				src = append(src, source{res.GetAttributes(), scope, sp})
			}
		}
	}
	one := func(lo, hi int) error {
		// The spans of a session repeat its metadata: parse each text
		// once (the maps are only read).
		metadata := map[string]map[string]metaValue{}
		for i := lo; i < hi; i++ {
			row := extract(src[i].res, src[i].scope, src[i].sp)
			// Only the trace page shows messages; the writer holds rows
			// until the commit.
			row.inMsgs, row.outMsgs = nil, nil
			if js := row.metadataJSON; js != "" {
				m, ok := metadata[js]
				if !ok {
					m = parseMetadata(js)
					metadata[js] = m
				}
				row.metadata = m
			}
			var data []byte
			if encoded != nil {
				data = encoded[i]
			} else {
				var err error
				if data, err = proto.Marshal(src[i].sp); err != nil {
					return fmt.Errorf("encode span: %w", err)
				}
			}
			p.spans[i].row = row
			p.spans[i].args = [spanColsN]any{row.traceID, row.spanID, row.startNS, row.scope, p.spans[i].rid, data}
		}
		return nil
	}
	workers := min(runtime.GOMAXPROCS(0), (len(src)+prepareChunk-1)/prepareChunk)
	if workers <= 1 {
		if err := one(0, len(src)); err != nil {
			return nil, err
		}
	} else {
		errs := make([]error, workers)
		var wg sync.WaitGroup
		per := (len(src) + workers - 1) / workers
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[w] = one(w*per, min((w+1)*per, len(src)))
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return nil, err
		}
	}
	// Drop what the receiver rejects before anyway (invalid ids).
	ok := p.spans[:0]
	for _, sp := range p.spans[:len(src)] {
		if len(sp.row.traceID) == 32 && len(sp.row.spanID) == 16 {
			ok = append(ok, sp)
		}
	}
	p.spans = ok
	p.summarize()
	p.sessionFacts()
	return p, nil
}

// sessionFacts fills p.tags, p.models and p.meta.
func (p *prepared) sessionFacts() {
	seen := map[string]bool{}
	once := func(key string) bool {
		if seen[key] {
			return false
		}
		seen[key] = true
		return true
	}
	for i := range p.spans {
		row := p.spans[i].row
		sid := row.sessionID
		if sid == "" {
			continue
		}
		for _, tag := range row.tags {
			if once("t\x00" + sid + "\x00" + tag) {
				p.tags = append(p.tags, [2]string{sid, tag})
			}
		}
		if row.model != "" && once("m\x00"+sid+"\x00"+row.model) {
			p.models = append(p.models, [2]string{sid, row.model})
		}
		for k, v := range row.metadata {
			if once("k\x00" + sid + "\x00" + k + "\x00" + v.text + "\x00" + string(v.kind)) {
				p.meta = append(p.meta, record.Meta{Session: sid, Key: k, Value: v.text, Kind: v.kind})
			}
		}
	}
}

// summarize fills p.traces, as write would from the same spans (a span sent
// twice in the request counts once, its last copy).
func (p *prepared) summarize() {
	// The spans (indexes in p.spans) of each trace, first.
	byTrace := map[string][]int{}
	at := make(map[[2]string]int, len(p.spans))
	for i := range p.spans {
		r := p.spans[i].row
		k := [2]string{r.traceID, r.spanID}
		if j, ok := at[k]; ok {
			byTrace[r.traceID][j] = i
			continue
		}
		at[k] = len(byTrace[r.traceID])
		byTrace[r.traceID] = append(byTrace[r.traceID], i)
	}
	p.traces = make(map[string]*traceSummary, len(byTrace))
	sums := make([]traceSummary, len(byTrace))
	var all []aggSpan
	for id, idx := range byTrace {
		all = all[:0]
		for _, i := range idx {
			all = append(all, aggOf(p.spans[i].row))
		}
		sortSpans(all)
		tr := &sums[len(p.traces)]
		*tr = summarizeTrace(all)
		p.traces[id] = tr
	}
}
