package storetest

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/traceai-go/traceai/explorer/internal/spanconv"
	"github.com/traceai-go/traceai/explorer/internal/synth"
	"github.com/traceai-go/traceai/explorer/store"
	"github.com/traceai-go/traceai/fi"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// SpanItem is one span with its resource and scope.
type SpanItem struct {
	Res   *resourcepb.Resource
	Scope *commonpb.InstrumentationScope
	Span  *tracepb.Span
}

// Pack makes a request of the items, one ResourceSpans each.
func Pack(its []SpanItem) []*tracepb.ResourceSpans {
	var out []*tracepb.ResourceSpans
	for _, it := range its {
		out = append(out, &tracepb.ResourceSpans{Resource: it.Res, ScopeSpans: []*tracepb.ScopeSpans{{Scope: it.Scope, Spans: []*tracepb.Span{it.Span}}}})
	}
	return out
}

// SplitSpans returns synthetic sessions, a conversation and evaluations as
// single spans (items), the same spans with three traces edited (final),
// and the edited spans alone (moved): sending items in any split and order
// then moved must store what sending final at once does.
func SplitSpans(t testing.TB) (items, final, moved []SpanItem) {
	t.Helper()
	ctx := context.Background()
	add := func(rs []*tracepb.ResourceSpans) {
		for _, r := range rs {
			for _, ss := range r.ScopeSpans {
				for _, sp := range ss.Spans {
					items = append(items, SpanItem{r.Resource, ss.Scope, sp})
				}
			}
		}
	}
	if err := synth.Batch(synth.BatchOptions{Sessions: 12, Users: 3, TurnsPerSession: 5, SpansPerTurn: 4, Seed: 1}, 64,
		func(rs []*tracepb.ResourceSpans) error { add(rs); return nil }); err != nil {
		t.Fatal(err)
	}
	mem := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(fi.NewSpanProcessor()), sdktrace.WithSyncer(mem))
	a := synth.Emit(ctx, tp, ConvA())
	synth.EmitEvaluation(ctx, tp, a[0].LLM, "faithfulness", ptr(0.2), "fail", t0.Add(2*time.Hour))
	synth.EmitEvaluation(ctx, tp, a[3].LLM, "faithfulness", ptr(0.7), "pass", t0.Add(2*time.Hour))
	add(spanconv.ToProto(mem.GetSpans().Snapshots()))

	// Traces re-sent changed: the third turn of the first synthetic
	// session moves to another session and user, a turn of the third
	// session to another user, and the root of the second session's first
	// turn starts later and ends sooner (the session's start moves).
	setStr := func(sp *tracepb.Span, key, v string) {
		for _, kv := range sp.Attributes {
			if kv.Key == key {
				kv.Value = &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}
			}
		}
	}
	edits := map[string]func(*tracepb.Span){
		string(items[8].Span.TraceId): func(sp *tracepb.Span) {
			setStr(sp, "session.id", "sess-moved")
			setStr(sp, "user.id", "user-moved")
		},
		string(items[44].Span.TraceId): func(sp *tracepb.Span) { setStr(sp, "user.id", "user-other") },
		string(items[20].Span.TraceId): func(sp *tracepb.Span) {
			if len(sp.ParentSpanId) == 0 {
				sp.StartTimeUnixNano += uint64(time.Second)
				sp.EndTimeUnixNano -= uint64(100 * time.Millisecond)
			}
		},
	}
	final = make([]SpanItem, len(items))
	for i, it := range items {
		final[i] = it
		edit := edits[string(it.Span.TraceId)]
		if edit == nil {
			continue
		}
		c := proto.Clone(it.Span).(*tracepb.Span)
		edit(c)
		final[i].Span = c
		moved = append(moved, final[i])
	}
	if len(moved) != 12 {
		t.Fatalf("%d spans edited", len(moved))
	}
	return items, final, moved
}

// SplitRequests cuts the items, shuffled, into requests of 1 to 40 spans,
// and repeats some requests as exporter retries do.
func SplitRequests(items []SpanItem, seed uint64) [][]*tracepb.ResourceSpans {
	rng := rand.New(rand.NewPCG(seed, 6))
	shuffled := append([]SpanItem(nil), items...)
	rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	var sent [][]*tracepb.ResourceSpans
	for len(shuffled) > 0 {
		n := min(1+rng.IntN(40), len(shuffled))
		if rng.IntN(4) == 0 {
			n = 1
		}
		sent = append(sent, Pack(shuffled[:n]))
		shuffled = shuffled[n:]
		if rng.IntN(3) == 0 {
			sent = append(sent, sent[rng.IntN(len(sent))])
		}
	}
	return sent
}

// testIngestSplitOrderAndRetries checks that the aggregates do not depend
// on how spans are batched: the same spans stored in one batch, and stored
// one by one or in small shuffled batches with retried (duplicate)
// batches, give identical sessions, users, turns and overview. Some traces
// are finally re-sent changed (another session or user, a shorter time
// range), which must leave the aggregates as if the first version had
// never been there.
func testIngestSplitOrderAndRetries(t *testing.T, open Opener) {
	ctx := context.Background()
	items, final, moved := SplitSpans(t)
	ref := open(t)
	if _, err := ref.Ingest(ctx, Pack(final)); err != nil {
		t.Fatal(err)
	}
	split := open(t)
	for _, rs := range SplitRequests(items, 5) {
		if _, err := split.Ingest(ctx, rs); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := split.Ingest(ctx, Pack(moved)); err != nil {
		t.Fatal(err)
	}

	want, got := Snapshot(t, ref), Snapshot(t, split)
	if want != got {
		t.Errorf("split ingest differs from one batch:\n got %s\nwant %s", got, want)
	}
	if !strings.Contains(want, `"sess-moved"`) || !strings.Contains(want, `"user-moved"`) ||
		!strings.Contains(want, `"user-other"`) || !strings.Contains(want, `"faithfulness"`) {
		t.Errorf("snapshot lacks the moved trace or the evaluations: %s", want)
	}
}

// Snapshot renders everything the pages show as canonical JSON (floats to
// 9 significant digits: sums may be added in another order).
func Snapshot(t testing.TB, st store.Reader) string {
	t.Helper()
	ctx := context.Background()
	var all []any
	cur := ""
	for {
		page, next, err := st.ListSessions(ctx, store.SessionFilter{Limit: 7, Cursor: cur})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range page {
			d, err := st.GetSession(ctx, s.SessionID)
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, s, d)
			for _, turn := range d.Turns {
				tr, err := st.GetTrace(ctx, turn.TraceID)
				if err != nil {
					t.Fatal(err)
				}
				all = append(all, tr)
			}
		}
		if next == "" {
			break
		}
		cur = next
	}
	users, _, err := st.ListUsers(ctx, store.UserFilter{Limit: store.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	o, err := st.Overview(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r, err := st.Rankings(ctx, store.RankingQuery{By: "user", Metric: "latency_p95"})
	if err != nil {
		t.Fatal(err)
	}
	all = append(all, users, o, r)
	b, err := json.Marshal(all)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	var round func(v any) any
	round = func(v any) any {
		switch x := v.(type) {
		case float64:
			return strconv.FormatFloat(x, 'g', 9, 64)
		case []any:
			for i := range x {
				x[i] = round(x[i])
			}
		case map[string]any:
			for k := range x {
				x[k] = round(x[k])
			}
		}
		return v
	}
	b, _ = json.Marshal(round(v))
	return string(b)
}
