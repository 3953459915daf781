package explorer

import (
	"context"
	"errors"
	"io"
	"sync"

	"github.com/traceai-go/traceai/explorer/store"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// Bounds on what OTLP requests cost the explorer. A minimal span is some
// tens of bytes on the wire but kilobytes once decoded, summarized and
// bound for SQL, so the body size alone does not bound memory: requests are
// charged per span as well as per byte.
const (
	// DefaultMaxSpansPerRequest bounds the spans of one OTLP request.
	// Exporters send 512 by default, collectors some thousands.
	DefaultMaxSpansPerRequest = 50_000
	// DefaultMaxBytesInFlight bounds the estimated memory of the OTLP
	// requests being read, decoded and stored at once.
	DefaultMaxBytesInFlight = 256 << 20

	// spanCharge is what one span is charged besides its bytes: about
	// what a decoded, prepared span holds until its batch commits.
	spanCharge = 3 << 10
	// jsonFactor charges an OTLP/JSON body this many times its size while
	// it is decoded (a generic tree, then protobuf messages).
	jsonFactor = 8
	// chunkSpans bounds the spans of one write: a larger request is stored
	// in several transactions, one after another, so that one exporter's
	// large request does not hold the writer while others time out.
	chunkSpans = 8192
)

// errBusy is answered 503 with Retry-After (gRPC Unavailable): the requests
// in flight hold the memory budget; the exporter retries.
var errBusy = errors.New("the explorer is busy storing other requests; retry later")

// errTooBig is answered 413 (gRPC ResourceExhausted): the request alone
// needs more than the whole budget, so retrying cannot help.
var errTooBig = errors.New("the request needs more memory than the explorer's bound for requests in flight (--max-inflight): send smaller batches")

// budget counts the bytes requests in flight hold. Taking never waits: a
// busy explorer answers at once and the exporter retries, rather than
// queueing memory it does not have.
type budget struct {
	mu          sync.Mutex
	total, left int64
}

func newBudget(n int64) *budget { return &budget{total: n, left: n} }

// charge is what one request holds of a budget.
type charge struct {
	b    *budget
	held int64
}

// take charges n more bytes. It fails with errBusy while other requests
// hold the budget, and with errTooBig once the request would hold more than
// the whole budget: a request alone may use all of it, never more.
func (c *charge) take(n int64) error {
	if c.b == nil {
		return nil
	}
	c.b.mu.Lock()
	defer c.b.mu.Unlock()
	if c.held+n > c.b.total {
		return errTooBig
	}
	if n > c.b.left {
		return errBusy
	}
	c.b.left -= n
	c.held += n
	return nil
}

// release gives back everything the request held.
func (c *charge) release() {
	if c.b == nil || c.held == 0 {
		return
	}
	c.b.mu.Lock()
	c.b.left += c.held
	c.b.mu.Unlock()
	c.held = 0
}

// chargedReader charges each byte read, failing with errBusy once the
// budget is spent (errTooBig once the body alone is larger than it), so that concurrent large bodies are refused while they
// are read rather than after.
type chargedReader struct {
	r io.Reader
	c *charge
}

func (cr *chargedReader) Read(p []byte) (int, error) {
	n, err := cr.r.Read(p)
	if n > 0 {
		if terr := cr.c.take(int64(n)); terr != nil {
			return 0, terr
		}
	}
	return n, err
}

// countWireSpans counts the spans of a protobuf ExportTraceServiceRequest
// without decoding it; ok is false for a body it cannot walk.
func countWireSpans(b []byte) (n int, ok bool) {
	ok = eachField(b, 1, func(rs []byte) bool {
		return eachField(rs, 2, func(ss []byte) bool {
			return eachField(ss, 2, func([]byte) bool {
				n++
				return true
			})
		})
	})
	return n, ok
}

// countJSONSpans counts the spans of an OTLP/JSON request decoded as a
// generic tree (either field name spelling).
func countJSONSpans(v any) int {
	n := 0
	for _, rs := range jsonList(v, "resourceSpans", "resource_spans") {
		for _, ss := range jsonList(rs, "scopeSpans", "scope_spans") {
			n += len(jsonList(ss, "spans"))
		}
	}
	return n
}

func jsonList(v any, keys ...string) []any {
	m, _ := v.(map[string]any)
	for _, k := range keys {
		if l, ok := m[k].([]any); ok {
			return l
		}
	}
	return nil
}

// spanCount counts the spans of decoded resource spans.
func spanCount(rs []*tracepb.ResourceSpans) int {
	n := 0
	for _, r := range rs {
		for _, ss := range r.GetScopeSpans() {
			n += len(ss.GetSpans())
		}
	}
	return n
}

// ingestChunked stores the spans of rs in writes of at most chunkSpans
// spans each, one after another, and answers once all are stored. A retry
// after a failure stores again what was stored: spans are keyed by id.
func ingestChunked(ctx context.Context, w store.Writer, rs []*tracepb.ResourceSpans, encoded [][]byte) error {
	for _, c := range chunks(rs, encoded, chunkSpans) {
		if _, err := w.IngestEncoded(ctx, c.rs, c.encoded); err != nil {
			return err
		}
	}
	return nil
}

type chunk struct {
	rs      []*tracepb.ResourceSpans
	encoded [][]byte
}

// chunks splits rs into pieces of at most max spans, keeping each span's
// resource and scope; encoded (one encoding per span, or nil) is split
// alongside. A request within max is one chunk, unchanged.
func chunks(rs []*tracepb.ResourceSpans, encoded [][]byte, max int) []chunk {
	total := spanCount(rs)
	if total <= max {
		return []chunk{{rs, encoded}}
	}
	if len(encoded) != total {
		encoded = nil
	}
	var out []chunk
	var cur chunk
	n, i := 0, 0 // spans in cur; spans seen
	flush := func() {
		if n > 0 {
			out = append(out, cur)
		}
		cur, n = chunk{}, 0
	}
	for _, r := range rs {
		var curRes *tracepb.ResourceSpans
		for _, ss := range r.GetScopeSpans() {
			spans := ss.GetSpans()
			for len(spans) > 0 {
				if n == max {
					flush()
					curRes = nil
				}
				k := min(len(spans), max-n)
				if curRes == nil {
					curRes = &tracepb.ResourceSpans{Resource: r.GetResource(), SchemaUrl: r.GetSchemaUrl()}
					cur.rs = append(cur.rs, curRes)
				}
				curRes.ScopeSpans = append(curRes.ScopeSpans, &tracepb.ScopeSpans{Scope: ss.GetScope(), SchemaUrl: ss.GetSchemaUrl(), Spans: spans[:k]})
				if encoded != nil {
					cur.encoded = append(cur.encoded, encoded[i:i+k]...)
				}
				spans, n, i = spans[k:], n+k, i+k
			}
		}
	}
	flush()
	return out
}
