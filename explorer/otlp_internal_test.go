package explorer

import (
	"fmt"
	"strings"
	"testing"

	"github.com/traceai-go/traceai/explorer/internal/synth"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// FuzzSpanBytes checks spanBytes against proto.Unmarshal: for every body
// Unmarshal accepts, it finds one encoding per decoded span, in order, each
// decoding to that span.
func FuzzSpanBytes(f *testing.F) {
	err := synth.Batch(synth.BatchOptions{Sessions: 3, Users: 2, TurnsPerSession: 2, SpansPerTurn: 3, Seed: 1}, 7,
		func(rs []*tracepb.ResourceSpans) error {
			body, err := proto.Marshal(&coltracepb.ExportTraceServiceRequest{ResourceSpans: rs})
			f.Add(body)
			// The same with an unknown field around and a span in a
			// second scope occurrence.
			extra := protowire.AppendTag(nil, 99, protowire.VarintType)
			extra = protowire.AppendVarint(extra, 7)
			f.Add(append(append(extra, body...), body...))
			return err
		})
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte{})
	f.Add([]byte{0x0a, 0x02, 0x12, 0x00})
	f.Fuzz(func(t *testing.T, body []byte) {
		var req coltracepb.ExportTraceServiceRequest
		if proto.Unmarshal(body, &req) != nil {
			spanBytes(body) // must not panic
			return
		}
		var spans []*tracepb.Span
		for _, rs := range req.GetResourceSpans() {
			for _, ss := range rs.GetScopeSpans() {
				spans = append(spans, ss.GetSpans()...)
			}
		}
		if n, ok := countWireSpans(body); !ok || n != len(spans) {
			t.Fatalf("countWireSpans = %d, %v; decoded %d spans", n, ok, len(spans))
		}
		enc := spanBytes(body)
		if len(spans) > 0 && enc == nil || len(enc) != len(spans) {
			t.Fatalf("%d encodings for %d spans", len(enc), len(spans))
		}
		for i, b := range enc {
			var sp tracepb.Span
			if err := proto.Unmarshal(b, &sp); err != nil {
				t.Fatalf("span %d: %v", i, err)
			}
			if !proto.Equal(&sp, spans[i]) {
				t.Fatalf("span %d decodes to %v, want %v", i, &sp, spans[i])
			}
		}
	})
}

// chunks splits a large request into writes of at most the given spans,
// keeping every span once, in order, with its resource, scope and encoding.
func TestChunks(t *testing.T) {
	var rs []*tracepb.ResourceSpans
	var enc [][]byte
	id := 0
	for r := range 2 {
		res := &tracepb.ResourceSpans{Resource: &resourcepb.Resource{Attributes: []*commonpb.KeyValue{{Key: "r", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: int64(r)}}}}}}
		for sc, n := range []int{7, 0, 13} {
			ss := &tracepb.ScopeSpans{Scope: &commonpb.InstrumentationScope{Name: fmt.Sprint(r, sc)}}
			for range n {
				ss.Spans = append(ss.Spans, &tracepb.Span{Name: fmt.Sprint(id)})
				enc = append(enc, []byte(fmt.Sprint(id)))
				id++
			}
			res.ScopeSpans = append(res.ScopeSpans, ss)
		}
		rs = append(rs, res)
	}
	if got := chunks(rs, enc, 40); len(got) != 1 || len(got[0].rs) != 2 || len(got[0].encoded) != 40 {
		t.Fatalf("a request within the bound is split: %d chunks", len(got))
	}
	for _, max := range []int{1, 6, 7, 8, 13, 39} {
		got := chunks(rs, enc, max)
		next := 0
		for _, c := range got {
			n := 0
			for _, r := range c.rs {
				for _, ss := range r.ScopeSpans {
					for _, sp := range ss.Spans {
						if sp.Name != fmt.Sprint(next) || string(c.encoded[n]) != sp.Name {
							t.Fatalf("max %d: span %s (encoding %s), want %d", max, sp.Name, c.encoded[n], next)
						}
						// The span keeps its resource and scope.
						r0 := next / 20
						if v := r.Resource.Attributes[0].Value.GetIntValue(); v != int64(r0) || !strings.HasPrefix(ss.Scope.Name, fmt.Sprint(r0)) {
							t.Fatalf("max %d: span %d under resource %d scope %s", max, next, v, ss.Scope.Name)
						}
						next++
						n++
					}
				}
			}
			if n == 0 || n > max || n != len(c.encoded) {
				t.Fatalf("max %d: a chunk of %d spans, %d encodings", max, n, len(c.encoded))
			}
		}
		if next != 40 {
			t.Fatalf("max %d: %d spans in the chunks, want 40", max, next)
		}
	}
}
