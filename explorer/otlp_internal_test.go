package explorer

import (
	"testing"

	"github.com/traceai-go/traceai/explorer/internal/synth"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
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
