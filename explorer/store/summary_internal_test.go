package store

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/traceai-go/traceai/fi/semconv"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

const (
	statusErr = int32(tracepb.Status_STATUS_CODE_ERROR)
	ms        = int64(1e6)
)

// span builders for the table: a root agent, LLM calls, a chain, an
// evaluation.
func rootSpan(out string, mods ...func(*aggSpan)) aggSpan {
	a := aggSpan{spanID: "r", spanKind: string(semconv.SpanKindAgent), name: "turn", start: 1 * ms, end: 100 * ms,
		session: "s1", user: "u1", inText: "where is my order?", outText: out}
	for _, m := range mods {
		m(&a)
	}
	return a
}

func llmSpan(id string, start, end int64, mods ...func(*aggSpan)) aggSpan {
	a := aggSpan{spanID: id, parentID: "r", spanKind: string(semconv.SpanKindLLM), name: "chat",
		start: start * ms, end: end * ms, model: "gpt-4o-mini", in: 10, out: 5, total: 15, cost: 0.001, priced: true}
	for _, m := range mods {
		m(&a)
	}
	return a
}

func failedWith(msg string) func(*aggSpan) {
	return func(a *aggSpan) { a.status, a.statusMsg = statusErr, msg }
}

func TestSummarizeTrace(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spans []aggSpan
		check func(t *testing.T, s traceSummary)
	}{
		{
			name:  "plain turn",
			spans: []aggSpan{rootSpan("it shipped"), llmSpan("l1", 10, 60)},
			check: func(t *testing.T, s traceSummary) {
				want := traceSummary{session: "s1", user: "u1", rootName: "turn", start: 1 * ms, end: 100 * ms,
					spans: 2, llm: 1, model: "gpt-4o-mini", input: "where is my order?", output: "it shipped",
					in: 10, out: 5, total: 15, cost: 0.001, llmMS: "50.000", kinds: "AGENT 1 0 0 0 0 0 99.000;LLM 1 0 10 5 15 0.001 50.000"}
				s.text = turnText{}
				if s != want {
					t.Errorf("got  %+v\nwant %+v", s, want)
				}
			},
		},
		{
			name: "retry that recovered is not a failure",
			spans: []aggSpan{rootSpan("it shipped"),
				llmSpan("l1", 10, 20, failedWith("429 rate limited")),
				llmSpan("l2", 30, 60, func(a *aggSpan) { a.retry = 1 })},
			check: func(t *testing.T, s traceSummary) {
				if s.failed || s.errs != 1 || s.retries != 1 || s.llm != 2 || s.output != "it shipped" {
					t.Errorf("got failed %v errs %d retries %d llm %d output %q", s.failed, s.errs, s.retries, s.llm, s.output)
				}
				if s.errMsg != "429 rate limited" || s.llmMS != "10.000,30.000" {
					t.Errorf("errMsg %q llmMS %q", s.errMsg, s.llmMS)
				}
			},
		},
		{
			name: "final LLM call failed: no answer from an inner span",
			spans: []aggSpan{rootSpan(""),
				{spanID: "c", parentID: "r", spanKind: string(semconv.SpanKindChain), name: "build_prompt",
					start: 1 * ms, end: 5 * ms, outText: "Relevant articles: ..."},
				llmSpan("l1", 10, 60, failedWith("500 server error"))},
			check: func(t *testing.T, s traceSummary) {
				if !s.failed || s.output != "" || s.errMsg != "500 server error" {
					t.Errorf("failed %v output %q errMsg %q", s.failed, s.output, s.errMsg)
				}
			},
		},
		{
			name:  "root error wins the message",
			spans: []aggSpan{rootSpan("", failedWith("tool crashed")), llmSpan("l1", 10, 60, failedWith("inner"))},
			check: func(t *testing.T, s traceSummary) {
				if !s.failed || s.errMsg != "tool crashed" || s.errs != 2 {
					t.Errorf("failed %v errMsg %q errs %d", s.failed, s.errMsg, s.errs)
				}
			},
		},
		{
			name: "span kinds: counted, errors, tokens without LLM calls and durations per kind, at most 16 durations",
			spans: func() []aggSpan {
				s := []aggSpan{rootSpan("ok"), {spanID: "t", parentID: "r", spanKind: "TOOL", start: 2 * ms, end: 4 * ms, status: statusErr, in: 4, total: 4},
					{spanID: "u", parentID: "r", start: 2 * ms, end: 3 * ms}}
				for i := range 20 {
					s = append(s, aggSpan{spanID: fmt.Sprint("c", i), parentID: "r", spanKind: "odd kind;x", start: 10 * ms, end: 11 * ms})
				}
				return s
			}(),
			check: func(t *testing.T, s traceSummary) {
				want := "AGENT 1 0 0 0 0 0 99.000;TOOL 1 1 4 0 4 0 2.000;UNKNOWN 1 0 0 0 0 0 1.000;odd_kind_x 20 0 0 0 0 0 " +
					strings.TrimSuffix(strings.Repeat("1.000,", 16), ",")
				if s.kinds != want {
					t.Errorf("kinds %q, want %q", s.kinds, want)
				}
				var got []string
				eachSpanKind(s.kinds, func(k *kindSum) {
					got = append(got, fmt.Sprint(k.kind, k.spans, k.errs, k.in, len(k.ms), k.ms[0]))
				})
				if w := []string{"AGENT1 0 0 1 99", "TOOL1 1 4 1 2", "UNKNOWN1 0 0 1 1", "odd_kind_x20 0 0 16 1"}; !slices.Equal(got, w) {
					t.Errorf("decoded %q, want %q", got, w)
				}
				// Schema 7's encoding has no tokens.
				eachSpanKind("TOOL 2 1 3.000,4.000", func(k *kindSum) {
					if k.kind != "TOOL" || k.spans != 2 || k.errs != 1 || k.tokens || len(k.ms) != 2 {
						t.Errorf("schema 7's entry read as %+v", *k)
					}
				})
			},
		},
		{
			name:  "error without a message names the span",
			spans: []aggSpan{rootSpan("ok"), {spanID: "x", parentID: "r", name: "lookup", start: 2 * ms, end: 3 * ms, status: statusErr}},
			check: func(t *testing.T, s traceSummary) {
				if s.failed || s.errMsg != "lookup failed" {
					t.Errorf("failed %v errMsg %q", s.failed, s.errMsg)
				}
			},
		},
		{
			name:  "refusal",
			spans: []aggSpan{rootSpan("I can't help with that."), llmSpan("l1", 10, 60, func(a *aggSpan) { a.refused = true })},
			check: func(t *testing.T, s traceSummary) {
				if !s.refused || s.failed {
					t.Errorf("refused %v failed %v", s.refused, s.failed)
				}
			},
		},
		{
			name:  "empty answer",
			spans: []aggSpan{rootSpan(" "), llmSpan("l1", 10, 60, func(a *aggSpan) { a.empty = true })},
			check: func(t *testing.T, s traceSummary) {
				if !s.empty {
					t.Errorf("empty %v", s.empty)
				}
			},
		},
		{
			name: "no root output: the latest-ending output answers",
			spans: []aggSpan{rootSpan(""),
				llmSpan("l1", 10, 40, func(a *aggSpan) { a.outText = "draft" }),
				llmSpan("l2", 50, 90, func(a *aggSpan) { a.outText = "final" })},
			check: func(t *testing.T, s traceSummary) {
				if s.output != "final" || s.llm != 2 || s.total != 30 {
					t.Errorf("output %q llm %d total %d", s.output, s.llm, s.total)
				}
			},
		},
		{
			name: "unpriced call counted, not costed",
			spans: []aggSpan{rootSpan("ok"), llmSpan("l1", 10, 20),
				llmSpan("l2", 30, 40, func(a *aggSpan) { a.priced, a.cost, a.model = false, 0, "my-model" })},
			check: func(t *testing.T, s traceSummary) {
				if s.unpriced != 1 || s.cost != 0.001 || s.model != "my-model" {
					t.Errorf("unpriced %d cost %v model %q", s.unpriced, s.cost, s.model)
				}
			},
		},
		{
			name: "evaluation spans are not the turn",
			spans: []aggSpan{rootSpan("ok"), llmSpan("l1", 10, 20),
				{spanID: "e", parentID: "r", spanKind: string(semconv.SpanKindEvaluator), name: "evaluation", start: 500 * ms, end: 501 * ms, status: statusErr}},
			check: func(t *testing.T, s traceSummary) {
				if s.evalOnly || s.spans != 2 || s.end != 100*ms || s.errs != 0 {
					t.Errorf("evalOnly %v spans %d end %d errs %d", s.evalOnly, s.spans, s.end, s.errs)
				}
			},
		},
		{
			name:  "evaluation only",
			spans: []aggSpan{{spanID: "e", parentID: "elsewhere", spanKind: string(semconv.SpanKindEvaluator), name: "evaluation", start: 5, end: 6}},
			check: func(t *testing.T, s traceSummary) {
				if !s.evalOnly || s.spans != 1 || s.rootName != "evaluation" || s.failed {
					t.Errorf("evalOnly %v spans %d root %q", s.evalOnly, s.spans, s.rootName)
				}
			},
		},
		{
			name:  "orphans: the first span whose parent is missing is the root",
			spans: []aggSpan{llmSpan("l1", 10, 20, func(a *aggSpan) { a.parentID = "gone"; a.session = "s9"; a.outText = "hi" })},
			check: func(t *testing.T, s traceSummary) {
				if s.rootName != "chat" || s.session != "s9" || s.output != "hi" {
					t.Errorf("root %q session %q output %q", s.rootName, s.session, s.output)
				}
			},
		},
		{
			name:  "no LLM span: tokens of any span count",
			spans: []aggSpan{rootSpan("ok", func(a *aggSpan) { a.in, a.out, a.total = 3, 4, 7 })},
			check: func(t *testing.T, s traceSummary) {
				if s.llm != 0 || s.total != 7 || s.llmMS != "" || s.model != "" {
					t.Errorf("llm %d total %d llmMS %q model %q", s.llm, s.total, s.llmMS, s.model)
				}
			},
		},
		{
			name:  "nothing",
			spans: nil,
			check: func(t *testing.T, s traceSummary) {
				if !s.evalOnly || s.spans != 0 || s.rootName != "" {
					t.Errorf("%+v", s)
				}
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.check(t, summarizeTrace(tc.spans)) })
	}
}

func TestPercentile(t *testing.T) {
	for _, tc := range []struct {
		values []float64
		p      float64
		want   float64
	}{
		{nil, 0.5, 0},
		{[]float64{7}, 0.5, 7},
		{[]float64{7}, 0.95, 7},
		{[]float64{1, 2}, 0.5, 1.5},
		{[]float64{1, 2, 3, 4}, 0.5, 2.5},
		{[]float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 0.95, 10.5},
		{[]float64{1, 2, 3}, 1, 3},
		{[]float64{1, 2, 3}, 0, 1},
	} {
		if got := percentile(tc.values, tc.p); got != tc.want {
			t.Errorf("percentile(%v, %v) = %v, want %v", tc.values, tc.p, got, tc.want)
		}
	}
}

func TestLatencyWindow(t *testing.T) {
	defer func(n int) { percentileWindow = n }(percentileWindow)
	percentileWindow = 3
	change := func(start int64, llmMS string) *traceChange {
		return &traceChange{new: traceSummary{start: start, llmMS: llmMS}}
	}
	w := (&latencyWindow{}).with([]*traceChange{change(10, "100.000"), change(30, "300.000,310.000"), change(20, ""), change(20, "200.000")})
	starts := func(w *latencyWindow) []int64 {
		var s []int64
		for _, t := range w.turns {
			s = append(s, t.start)
		}
		return s
	}
	if got := starts(w); !slices.Equal(got, []int64{30, 20, 10}) {
		t.Fatalf("window turns %v, want newest first without the turn lacking LLM calls", got)
	}
	if p50, p95 := w.percentiles(); p50 != 250 || p95 != 308.5 {
		t.Errorf("percentiles %v %v, want 250 308.5", p50, p95)
	}
	// A newer turn pushes the oldest out; the window it came from is untouched.
	w2 := w.with([]*traceChange{change(40, "1000.000")})
	if got := starts(w2); !slices.Equal(got, []int64{40, 30, 20}) {
		t.Errorf("after a newer turn %v", got)
	}
	if got := starts(w); !slices.Equal(got, []int64{30, 20, 10}) {
		t.Errorf("the old window changed: %v", got)
	}
	// An older turn than the whole full window does not enter it.
	if got := starts(w2.with([]*traceChange{change(1, "5.000")})); !slices.Equal(got, []int64{40, 30, 20}) {
		t.Errorf("after an older turn %v", got)
	}
	if p50, p95 := (&latencyWindow{}).percentiles(); p50 != 0 || p95 != 0 {
		t.Errorf("empty window %v %v", p50, p95)
	}
}
