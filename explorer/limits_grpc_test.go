package explorer_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/traceai-go/traceai/explorer"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// rawBytes is a request already encoded, sent as it is by rawClient.
type rawBytes []byte

type rawClient struct{ encoding.CodecV2 }

func (c rawClient) Marshal(v any) (mem.BufferSlice, error) {
	if b, ok := v.(rawBytes); ok {
		return mem.BufferSlice{mem.SliceBuffer(b)}, nil
	}
	return c.CodecV2.Marshal(v)
}

// exportRaw sends an encoded ExportTraceServiceRequest over OTLP/gRPC.
func exportRaw(t *testing.T, addr string, body []byte) error {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallSendMsgSize(64<<20)))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var resp coltracepb.ExportTraceServiceResponse
	return conn.Invoke(context.Background(), "/opentelemetry.proto.collector.trace.v1.TraceService/Export", rawBytes(body), &resp,
		grpc.ForceCodecV2(rawClient{encoding.GetCodecV2("proto")}))
}

// Over gRPC too, a million minimal spans are refused from their wire
// format, before any is decoded: gRPC hands the receiver the request
// still encoded.
func TestOTLPGRPCMillionSpansRefused(t *testing.T) {
	x := start(t)
	body := millionSpansBody(1_000_000)
	var err error
	alloc, took := allocated(func() { err = exportRaw(t, x.OTLPGRPCAddr(), body) })
	if status.Code(err) != codes.ResourceExhausted || !strings.Contains(err.Error(), "at most 50000") {
		t.Fatalf("a million spans over gRPC: %v", err)
	}
	// The client's and the server's copies of the body, and gRPC's
	// buffers; decoding the spans would take gigabytes.
	if limit := uint64(8 * len(body)); alloc > limit {
		t.Errorf("refusing %d MB allocated %d MB, want under %d MB", len(body)>>20, alloc>>20, limit>>20)
	}
	t.Logf("1,000,000 spans (%d MB) over gRPC: ResourceExhausted in %v, %d MB allocated", len(body)>>20, took.Round(time.Millisecond), alloc>>20)
}

// A request that alone needs more than the whole in-flight budget is
// refused for good (413, gRPC ResourceExhausted), not taken over the
// bound nor answered "retry later"; a request within it is stored.
func TestOTLPRequestLargerThanBudget(t *testing.T) {
	x := start(t, explorer.WithMaxBytesInFlight(1<<20))
	url := x.OTLPHTTPEndpoint() + "/v1/traces"
	big, _ := proto.Marshal(&coltracepb.ExportTraceServiceRequest{ResourceSpans: minimalSpans(2000, 100)}) // ~6 MB charged
	if code, b := post(t, url, "application/x-protobuf", "", big); code != http.StatusRequestEntityTooLarge || !strings.Contains(string(b), "max-inflight") {
		t.Errorf("protobuf over the budget: %d %q", code, b)
	}
	js, err := otlpJSON(minimalSpans(2000, 100))
	if err != nil {
		t.Fatal(err)
	}
	if code, b := post(t, url, "application/json", "", js); code != http.StatusRequestEntityTooLarge {
		t.Errorf("JSON over the budget: %d %q", code, b)
	}
	if err := exportRaw(t, x.OTLPGRPCAddr(), big); status.Code(err) != codes.ResourceExhausted || !strings.Contains(err.Error(), "max-inflight") {
		t.Errorf("gRPC over the budget: %v", err)
	}
	small, _ := proto.Marshal(&coltracepb.ExportTraceServiceRequest{ResourceSpans: minimalSpans(100, 100)})
	if code, b := post(t, url, "application/x-protobuf", "", small); code != http.StatusOK {
		t.Errorf("protobuf within the budget: %d %q", code, b)
	}
	if err := exportRaw(t, x.OTLPGRPCAddr(), small); err != nil {
		t.Errorf("gRPC within the budget: %v", err)
	}
}
