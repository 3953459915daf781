package figrpc_test

import (
	"context"
	"testing"

	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/stats"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/instrumentation/figrpc"
)

type nopStats struct{}

func (nopStats) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context   { return ctx }
func (nopStats) HandleRPC(context.Context, stats.RPCStats)                         {}
func (nopStats) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }
func (nopStats) HandleConn(context.Context, stats.ConnStats)                       {}

var sink string

func benchTag(b *testing.B, h stats.Handler, kv ...string) {
	ctx := metadata.NewIncomingContext(context.Background(), metadata.Pairs(kv...))
	info := &stats.RPCTagInfo{FullMethodName: "/svc/M"}
	b.ReportAllocs()
	for b.Loop() {
		sink = fi.SessionID(h.TagRPC(ctx, info))
	}
}

// BenchmarkTagRPCBare is the baseline: the next stats handler alone.
func BenchmarkTagRPCBare(b *testing.B) {
	benchTag(b, nopStats{}, "baggage", "session.id=sess-0123456789,user.id=user-42,tenant=blue")
}

// BenchmarkTagRPCMetadata: ids from x-session-id / x-user-id.
func BenchmarkTagRPCMetadata(b *testing.B) {
	benchTag(b, figrpc.NewServerHandler(figrpc.WithStatsHandler(nopStats{})), "x-session-id", "sess-0123456789", "x-user-id", "user-42")
}

// BenchmarkTagRPCBaggage: ids from baggage, stripped from the metadata.
func BenchmarkTagRPCBaggage(b *testing.B) {
	benchTag(b, figrpc.NewServerHandler(figrpc.WithStatsHandler(nopStats{})), "baggage", "session.id=sess-0123456789,user.id=user-42,tenant=blue")
}
