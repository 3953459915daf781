package store

import (
	"context"
	"database/sql"
	"encoding/hex"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/traceai-go/traceai/explorer/internal/textquery"
	"github.com/traceai-go/traceai/explorer/store/internal/record"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// This file lends the pure record logic to the other backends through
// internal/record (see its package doc): the same extraction, summaries,
// percentiles, search matching and read queries, not a copy.

func init() {
	record.Prepare = recordPrepare
	record.Summarize = recordSummarize
	record.PercentileWindow = func() int { return percentileWindow }
	record.Percentiles = func(lists []string) (p50, p95 float64) {
		var ms []float64
		for _, l := range lists {
			ms = appendMS(ms, l)
		}
		sort.Float64s(ms)
		return percentile(ms, 0.50), percentile(ms, 0.95)
	}
	record.JSONList = jsonList
	record.TextParts = textParts
	record.ParseSearch = func(q string, in []string) (record.Search, error) {
		sr, err := parseSearch(q, in)
		if sr == nil || err != nil {
			return nil, err
		}
		return recordSearch{sr}, nil
	}
	record.NewReader = func(db *sql.DB, idx *record.Index) any {
		return &Store{rdb: db, index: idx, readTx: &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}}
	}
	record.BuildTrace = recordBuildTrace
	record.NSTime = nsTime
	record.RefreshHours = func(ctx context.Context, tx *sql.Tx, settle, budget time.Duration) (bool, error) {
		hs, more, err := computeHours(ctx, tx, time.Now().Add(-settle).UnixNano(), budget)
		if err != nil {
			return false, err
		}
		return more, writeHours(ctx, tx, hs)
	}
	record.SetRollups = func(on bool) func() {
		old := noRollups.Swap(!on)
		return func() { noRollups.Store(old) }
	}
	record.RollupRowsRead = rollupRowsRead.Load
	record.SetProbeDocs = func(n int) func() {
		old := probeDocs
		probeDocs = n
		return func() { probeDocs = old }
	}
}

func recordPrepare(rs []*tracepb.ResourceSpans, encoded [][]byte) (*record.Batch, error) {
	n := countSpans(rs)
	if len(encoded) != n {
		encoded = nil
	}
	p, err := prepare(rs, n, encoded)
	if err != nil {
		return nil, err
	}
	b := &record.Batch{Spans: make([]record.Span, len(p.spans)), Tags: p.tags, Models: p.models, Meta: p.meta}
	b.Traces = make(map[string]*record.Trace, len(p.traces))
	for id, tr := range p.traces {
		rt := recordTrace(*tr)
		b.Traces[id] = &rt
	}
	for _, r := range p.resources {
		b.Resources = append(b.Resources, record.Resource{ID: r.id, Data: r.data})
	}
	for i, sp := range p.spans {
		r := sp.row
		b.Spans[i] = record.Span{TraceID: r.traceID, SpanID: r.spanID, StartNS: r.startNS, EndNS: r.endNS,
			Scope: r.scope, ResourceID: sp.rid, Data: sp.args[5].([]byte), SessionID: r.sessionID, UserID: r.userID}
		if e := r.eval; e != nil {
			b.Spans[i].Eval = &record.Eval{Name: e.name, Label: e.label, Explanation: truncate(e.explanation, maxText),
				Score: e.score, Target: e.target, Linked: e.linked}
		}
	}
	return b, nil
}

func recordSummarize(spans []record.Stored) record.Trace {
	all := make([]aggSpan, len(spans))
	for i, st := range spans {
		all[i] = aggOf(extract(st.Resource.GetAttributes(), st.Scope, st.Span))
	}
	sortSpans(all)
	return recordTrace(summarizeTrace(all))
}

func recordTrace(tr traceSummary) record.Trace {
	return record.Trace{Session: tr.session, User: tr.user, RootName: tr.rootName, Start: tr.start, End: tr.end,
		Spans: int64(tr.spans), LLMCalls: int64(tr.llm), Errors: int64(tr.errs), ErrorMessage: truncate(tr.errMsg, 1000),
		InputTokens: tr.in, OutputTokens: tr.out, TotalTokens: tr.total, Cost: tr.cost, Unpriced: int64(tr.unpriced),
		Model: tr.model, Input: tr.input, Output: tr.output, Retries: int64(tr.retries), Refused: tr.refused,
		Empty: tr.empty, LLMMS: tr.llmMS, EvalOnly: tr.evalOnly, Failed: tr.failed, Text: tr.text,
		PromptTemplate: tr.promptTemplate, PromptVersion: tr.promptVer, SpanKinds: tr.kinds}
}

type recordSearch struct{ sr *search }

func (r recordSearch) Match(text *[6]string) bool { return r.sr.match((*turnText)(text)) }

func (r recordSearch) Matches(text *[6]string) []record.Match {
	var out []record.Match
	for _, m := range r.sr.matches("", (*turnText)(text)) {
		rm := record.Match{Part: m.Part}
		for _, f := range m.Snippet {
			rm.Snippet = append(rm.Snippet, record.Fragment{Text: f.Text, Match: f.Match})
		}
		out = append(out, rm)
	}
	return out
}

func (r recordSearch) Words() []string {
	var out []string
	for _, t := range r.sr.q.Include() {
		out = append(out, strings.Fields(textquery.Fold(t.Text))...)
	}
	return out
}

// recordBuildTrace is GetTrace's assembly of decoded spans.
func recordBuildTrace(traceID string, spans []record.Stored, max int) any {
	type one struct {
		start  int64
		spanID string
		st     record.Stored
	}
	found := make([]one, len(spans))
	for i, st := range spans {
		found[i] = one{int64(st.Span.GetStartTimeUnixNano()), hex.EncodeToString(st.Span.GetSpanId()), st}
	}
	slices.SortFunc(found, func(a, b one) int { return startOrder(a.start, a.spanID, b.start, b.spanID) })
	found = found[:min(len(found), max)]
	resAttrs := map[*resourcepb.Resource][]Attribute{}
	out := make([]Span, 0, len(found))
	for _, f := range found {
		res := f.st.Resource
		attrs, ok := resAttrs[res]
		if !ok {
			attrs = []Attribute{}
			if res != nil {
				attrs = attributes(res.GetAttributes())
			}
			resAttrs[res] = attrs
		}
		row := extract(res.GetAttributes(), f.st.Scope, f.st.Span)
		sp := Span{SpanKind: row.spanKind, SessionID: row.sessionID, UserID: row.userID, Model: row.model,
			InputTokens: row.inputTokens, OutputTokens: row.outputTokens, Cost: row.cost, Scope: f.st.Scope,
			Resource: attrs, InputMessages: row.inMsgs, OutputMessages: row.outMsgs}
		fillSpan(&sp, f.st.Span)
		out = append(out, sp)
	}
	return finishTrace(traceID, out)
}
