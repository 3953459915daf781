package pgstore_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/traceai-go/traceai/explorer/internal/spanconv"
	"github.com/traceai-go/traceai/explorer/internal/synth"
	"github.com/traceai-go/traceai/fi"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

// item is one span with its resource and scope.
type item struct {
	rs *tracepb.ResourceSpans
	ss *tracepb.ScopeSpans
	sp *tracepb.Span
}

func flatten(reqs ...[]*tracepb.ResourceSpans) []item {
	var out []item
	for _, req := range reqs {
		for _, rs := range req {
			for _, ss := range rs.GetScopeSpans() {
				for _, sp := range ss.GetSpans() {
					out = append(out, item{rs, ss, sp})
				}
			}
		}
	}
	return out
}

// pack makes one request of items, a ResourceSpans per span.
func pack(its []item) []*tracepb.ResourceSpans {
	out := make([]*tracepb.ResourceSpans, len(its))
	for i, it := range its {
		out[i] = &tracepb.ResourceSpans{Resource: it.rs.GetResource(), SchemaUrl: it.rs.GetSchemaUrl(),
			ScopeSpans: []*tracepb.ScopeSpans{{Scope: it.ss.GetScope(), Spans: []*tracepb.Span{it.sp}}}}
	}
	return out
}

// corpus is the spans the backends are compared on, as requests: several
// users and sessions, failed, retried and refused turns, tags, metadata,
// models, evaluations (linked, some sent before their target), a turn
// without a session, and a bulk load; every span in some random request
// (a trace's spans are split between requests) and some sent twice.
func corpus(t testing.TB, seed uint64) [][]*tracepb.ResourceSpans {
	t.Helper()
	ctx := context.Background()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(fi.NewSpanProcessor()), sdktrace.WithSpanProcessor(rec))
	r := rand.New(rand.NewPCG(seed, 7))
	models := []string{"gpt-4o-mini", "gpt-4o", "claude-3-5-sonnet-20241022", "some-unpriced-model"}
	var targets []trace.SpanContext
	for i := range 14 {
		c := synth.Conversation{
			SessionID: fmt.Sprintf("sess-%02d", i),
			UserID:    fmt.Sprintf("user-%d", i%5),
			Start:     t0.Add(time.Duration(i) * 37 * time.Minute),
		}
		if i%3 == 0 {
			c.Tags = []string{"billing", fmt.Sprintf("t%d", i%2)}
		}
		if i%4 == 1 {
			c.Metadata = map[string]any{"tier": []string{"gold", "free"}[i%2], "n": i}
		}
		if i == 13 {
			c.SessionID = "" // turns without a session
		}
		for j := range 1 + r.IntN(4) {
			tn := synth.Turn{
				User:      fmt.Sprintf("question %d.%d about order A-%d", i, j, r.IntN(100)),
				Assistant: fmt.Sprintf("Answer %d.%d: café crème", i, j),
				Model:     models[r.IntN(len(models))],
				Latency:   time.Duration(200+r.IntN(3000)) * time.Millisecond,
				InTokens:  int64(10 + r.IntN(500)),
				OutTokens: int64(5 + r.IntN(300)),
			}
			switch r.IntN(6) {
			case 0:
				tn.Error = "upstream 500"
			case 1:
				tn.Retry = true
			case 2:
				tn.FinishReason = "content_filter"
				tn.Assistant = "I cannot help with that."
			}
			for _, e := range synth.Emit(ctx, tp, synth.Conversation{SessionID: c.SessionID, UserID: c.UserID,
				Tags: c.Tags, Metadata: c.Metadata, Start: c.Start.Add(time.Duration(j) * time.Minute), Turns: []synth.Turn{tn}}) {
				targets = append(targets, e.LLM)
			}
		}
	}
	for k, target := range targets {
		if k%3 != 0 {
			continue
		}
		score := ptr(float64(r.IntN(11)) / 10)
		label := []string{"pass", "fail", ""}[r.IntN(3)]
		if k%2 == 0 {
			synth.EmitEvaluation(ctx, tp, target, "faithfulness", score, label, t0.Add(20*time.Hour+time.Duration(k)*time.Second))
		} else {
			synth.EmitEvaluation(ctx, tp, target, "helpfulness", nil, "ok", t0.Add(20*time.Hour+time.Duration(k)*time.Second))
		}
	}
	all := flatten(spanconv.ToProto(rec.Ended()))
	if err := synth.Batch(synth.BatchOptions{Sessions: 10, Users: 4, TurnsPerSession: 3, SpansPerTurn: 4,
		Start: t0.Add(30 * time.Hour), Seed: seed}, 64, func(req []*tracepb.ResourceSpans) error {
		all = append(all, flatten(req)...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	r.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	var reqs [][]*tracepb.ResourceSpans
	for len(all) > 0 {
		n := min(len(all), 1+r.IntN(12))
		reqs = append(reqs, pack(all[:n]))
		if r.IntN(8) == 0 { // an export retried
			reqs = append(reqs, pack(all[:n]))
		}
		all = all[n:]
	}
	return reqs
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
