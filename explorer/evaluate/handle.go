package evaluate

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"

	"go.opentelemetry.io/otel/trace"

	"github.com/traceai-go/traceai/explorer/store"
	"github.com/traceai-go/traceai/fi/semconv"
)

// handle judges one job's target with each of its evaluators.
func (r *run) handle(ctx context.Context, j job) {
	d := j.session
	turn := &d.Turns[j.turn]
	t := &Target{Level: j.level, SessionID: d.Summary.SessionID, UserID: d.Summary.UserID, TraceID: turn.TraceID,
		Input: turn.Input, Output: turn.Output, Failed: turn.Error}
	first := 0
	if j.level == LevelTurn {
		first = max(0, j.turn-maxEarlier)
	}
	end := j.turn
	if j.level == LevelSession {
		end = len(d.Turns)
	}
	for i := first; i < end; i++ {
		tt := &d.Turns[i]
		t.Turns = append(t.Turns, TurnText{TraceID: tt.TraceID, User: tt.Input, Assistant: tt.Output, Failed: tt.Error, Error: tt.ErrorMessage})
	}
	if ctx.Err() != nil {
		return // interrupted: neither judged nor failed
	}
	root, docs, err := r.traceFacts(ctx, turn.TraceID)
	if ctx.Err() != nil {
		return
	}
	if err != nil {
		for _, e := range j.evals {
			r.fail(e, t, err)
		}
		return
	}
	t.Context = docs
	for _, e := range j.evals {
		if ctx.Err() != nil {
			return
		}
		r.judge(ctx, e, t, root)
	}
}

// traceFacts reads the judged trace: its root span (the evaluation's
// target) and the documents of its RETRIEVER spans.
func (r *run) traceFacts(ctx context.Context, traceID string) (trace.SpanContext, []string, error) {
	td, err := r.b.GetTrace(ctx, traceID)
	if err != nil {
		return trace.SpanContext{}, nil, fmt.Errorf("read trace %s: %w", traceID, err)
	}
	var rootID string
	var docs []string
	size := 0
	for i := range td.Spans {
		sp := &td.Spans[i]
		if sp.SpanKind == string(semconv.SpanKindEvaluator) {
			continue
		}
		if rootID == "" && sp.ParentID == "" {
			rootID = sp.SpanID
		}
		if sp.SpanKind == string(semconv.SpanKindRetriever) {
			for _, d := range retrieved(sp) {
				if size+len(d) > maxContext {
					d = clip(d, max(0, maxContext-size))
				}
				if d == "" {
					continue
				}
				size += len(d)
				docs = append(docs, d)
			}
		}
	}
	if rootID == "" {
		// Only orphans: the earliest span stands in for the root.
		for i := range td.Spans {
			if td.Spans[i].SpanKind != string(semconv.SpanKindEvaluator) {
				rootID = td.Spans[i].SpanID
				break
			}
		}
	}
	tid, err1 := trace.TraceIDFromHex(traceID)
	sid, err2 := trace.SpanIDFromHex(rootID)
	if err1 != nil || err2 != nil {
		return trace.SpanContext{}, nil, fmt.Errorf("trace %s has no span to evaluate", traceID)
	}
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled, Remote: true})
	return sc, docs, nil
}

// retrieved returns a RETRIEVER span's documents: the
// retrieval.documents.<i>.document.content attributes in order, else
// gen_ai.retrieval.documents (JSON), else the span's output.value.
func retrieved(sp *store.Span) []string {
	type doc struct {
		i    int
		text string
	}
	var indexed []doc
	var genai, output string
	prefix := string(semconv.RetrievalDocuments) + "."
	suffix := "." + string(semconv.DocumentContent)
	for _, a := range sp.Attributes {
		s, ok := a.Value.(string)
		if !ok {
			continue
		}
		switch {
		case strings.HasPrefix(a.Key, prefix) && strings.HasSuffix(a.Key, suffix):
			n, err := strconv.Atoi(a.Key[len(prefix) : len(a.Key)-len(suffix)])
			if err == nil {
				indexed = append(indexed, doc{n, s})
			}
		case a.Key == string(semconv.GenAIRetrievalDocuments):
			genai = s
		case a.Key == string(semconv.OutputValue):
			output = s
		}
	}
	if len(indexed) > 0 {
		sort.Slice(indexed, func(a, b int) bool { return indexed[a].i < indexed[b].i })
		out := make([]string, len(indexed))
		for i, d := range indexed {
			out[i] = d.text
		}
		return out
	}
	if genai != "" {
		var items []json.RawMessage
		if json.Unmarshal([]byte(genai), &items) == nil {
			var out []string
			for _, it := range items {
				var s string
				if json.Unmarshal(it, &s) == nil {
					out = append(out, s)
					continue
				}
				var o map[string]any
				if json.Unmarshal(it, &o) == nil {
					for _, k := range []string{"content", "text", "document.content"} {
						if v, ok := o[k].(string); ok {
							out = append(out, v)
							break
						}
					}
				}
			}
			if len(out) > 0 {
				return out
			}
		}
	}
	if output != "" {
		return []string{output}
	}
	return nil
}

// judge asks about t with e and records the verdict.
func (r *run) judge(ctx context.Context, e *Evaluator, t *Target, root trace.SpanContext) {
	er := r.byEval[e]
	if e.NeedsContext && len(t.Context) == 0 {
		atomic.AddInt64(&er.NotApplicable, 1)
		r.done.Add(1)
		return
	}
	prompt, err := e.render(t)
	if err != nil {
		r.fail(e, t, err)
		return
	}
	req := &Request{Evaluator: e, Target: t, System: e.systemPrompt(), Prompt: prompt}
	if r.cfg.DryRun {
		atomic.AddInt64(&er.PromptTokens, int64(estimateTokens(req.System)+estimateTokens(prompt)))
		atomic.AddInt64(&er.CompletionTokens, dryRunCompletion)
		atomic.AddInt64(&er.Judged, 1)
		r.done.Add(1)
		return
	}
	if err := r.lim.wait(ctx); err != nil {
		return
	}
	resp, err := r.cfg.Judge.Judge(ctx, req)
	if ctx.Err() != nil {
		return
	}
	atomic.AddInt64(&er.PromptTokens, int64(resp.PromptTokens))
	atomic.AddInt64(&er.CompletionTokens, int64(resp.CompletionTokens))
	if err != nil {
		r.fail(e, t, err)
		return
	}
	v, err := e.parseVerdict(resp.Text)
	if err != nil {
		r.fail(e, t, err)
		return
	}
	key := t.TraceID
	if e.Level == LevelSession {
		key = t.SessionID
	}
	r.rec.record(ctx, e, evalSpanID(e, e.Level, key), root, t, v)
	er.scoreSum.add(v.Score)
	atomic.AddInt64(&er.Judged, 1)
	r.done.Add(1)
}
