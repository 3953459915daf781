package explorer

import (
	"context"
	"fmt"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/encoding"
	_ "google.golang.org/grpc/encoding/proto" // registers the codec rawCodec wraps
	"google.golang.org/grpc/mem"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/traceai-go/traceai/explorer/store"
)

// otlpGRPC is the OTLP/gRPC TraceService. It takes each request still
// encoded (rawCodec, traceService), so that its spans are counted and
// charged before they are decoded, as on OTLP/HTTP, and the store keeps
// the spans' bytes as received.
type otlpGRPC struct {
	store    store.Backend
	maxSpans int
	budget   *budget
}

// export is TraceService.Export on the request's encoding (at most the
// server's MaxRecvMsgSize).
func (g *otlpGRPC) export(ctx context.Context, data []byte) (*coltracepb.ExportTraceServiceResponse, error) {
	c := &charge{b: g.budget}
	defer c.release()
	if err := grpcBudgetError(c.take(int64(len(data)))); err != nil {
		return nil, err
	}
	// Counted on the wire: a million tiny spans are refused before they
	// are decoded.
	if n, ok := countWireSpans(data); ok {
		if g.maxSpans > 0 && n > g.maxSpans {
			return nil, status.Errorf(codes.ResourceExhausted, "%d spans in one request; at most %d are accepted: send smaller batches", n, g.maxSpans)
		}
		if err := grpcBudgetError(c.take(int64(n) * spanCharge)); err != nil {
			return nil, err
		}
	}
	req := &coltracepb.ExportTraceServiceRequest{}
	if err := proto.Unmarshal(data, req); err != nil {
		return nil, status.Error(codes.InvalidArgument, "malformed OTLP protobuf: "+err.Error())
	}
	rejected, msg, encoded := validate(req, spanBytes(data))
	if err := ingestChunked(ctx, g.store, req.GetResourceSpans(), encoded); err != nil {
		if ctx.Err() != nil {
			return nil, status.FromContextError(ctx.Err()).Err()
		}
		return nil, unavailable("spans not stored: " + err.Error())
	}
	resp := &coltracepb.ExportTraceServiceResponse{}
	if rejected > 0 {
		resp.PartialSuccess = &coltracepb.ExportTracePartialSuccess{RejectedSpans: rejected, ErrorMessage: msg}
	}
	return resp, nil
}

// grpcBudgetError is the gRPC answer to a failed charge.
func grpcBudgetError(err error) error {
	if herr := budgetError(err); herr != nil {
		if herr.code == 413 {
			return status.Error(codes.ResourceExhausted, herr.msg)
		}
		return unavailable(herr.msg)
	}
	return nil
}

// rawRequest is a request left encoded by rawCodec.
type rawRequest struct{ data []byte }

// rawExporter is the handler type of traceService.
type rawExporter interface {
	export(context.Context, []byte) (*coltracepb.ExportTraceServiceResponse, error)
}

// traceService is OTLP's TraceService with an Export handler that takes
// the request encoded.
var traceService = grpc.ServiceDesc{
	ServiceName: coltracepb.TraceService_ServiceDesc.ServiceName,
	HandlerType: (*rawExporter)(nil),
	Methods:     []grpc.MethodDesc{{MethodName: "Export", Handler: exportHandler}},
	Metadata:    coltracepb.TraceService_ServiceDesc.Metadata,
}

const exportMethod = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"

func exportHandler(srv any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
	in := &rawRequest{}
	if err := dec(in); err != nil {
		return nil, err
	}
	handle := func(ctx context.Context, req any) (any, error) {
		r, ok := req.(*rawRequest)
		if !ok {
			return nil, status.Error(codes.Internal, fmt.Sprintf("unexpected request type %T", req))
		}
		return srv.(rawExporter).export(ctx, r.data)
	}
	if interceptor == nil {
		return handle(ctx, in)
	}
	return interceptor(ctx, in, &grpc.UnaryServerInfo{Server: srv, FullMethod: exportMethod}, handle)
}

// rawCodec is gRPC's proto codec, except that it leaves a rawRequest
// encoded.
type rawCodec struct{ encoding.CodecV2 }

func newRawCodec() rawCodec { return rawCodec{encoding.GetCodecV2("proto")} }

func (c rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	if r, ok := v.(*rawRequest); ok {
		r.data = data.Materialize() // a copy: gRPC reuses data's buffers
		return nil
	}
	return c.CodecV2.Unmarshal(data, v)
}
