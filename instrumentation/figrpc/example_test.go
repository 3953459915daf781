package figrpc_test

import (
	"context"
	"fmt"
	"net"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health/grpc_health_v1"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/instrumentation/figrpc"
)

type exampleHealth struct {
	grpc_health_v1.UnimplementedHealthServer
}

func (exampleHealth) Check(ctx context.Context, _ *grpc_health_v1.HealthCheckRequest) (*grpc_health_v1.HealthCheckResponse, error) {
	fmt.Printf("server: session=%q user=%q\n", fi.SessionID(ctx), fi.UserID(ctx))
	return &grpc_health_v1.HealthCheckResponse{Status: grpc_health_v1.HealthCheckResponse_SERVING}, nil
}

// The server handler puts the caller's session into the RPC context before
// otelgrpc starts the server span; the client options send the session
// (and here the user) in W3C baggage to allowed targets only.
func ExampleNewServerHandler() {
	srv := grpc.NewServer(grpc.StatsHandler(figrpc.NewServerHandler(
		figrpc.WithStatsHandler(otelgrpc.NewServerHandler()),
	)))
	grpc_health_v1.RegisterHealthServer(srv, exampleHealth{})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go func() { _ = srv.Serve(lis) }()
	defer srv.Stop()

	conn, err := grpc.NewClient(lis.Addr().String(), append(
		figrpc.DialOptions(figrpc.WithAllowedHosts("*.svc.cluster.local"), figrpc.WithUserPropagation(true)),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithStatsHandler(otelgrpc.NewClientHandler()),
	)...)
	if err != nil {
		panic(err)
	}
	defer conn.Close()

	ctx := fi.UsingAttributes(context.Background(), fi.Attributes{SessionID: "sess-1", UserID: "user-1"})
	if _, err := grpc_health_v1.NewHealthClient(conn).Check(ctx, &grpc_health_v1.HealthCheckRequest{}); err != nil {
		panic(err)
	}
	// Output: server: session="sess-1" user="user-1"
}

// Without WithUserPropagation, only the session crosses the boundary.
func ExampleDialOptions() {
	srv := grpc.NewServer(grpc.StatsHandler(figrpc.NewServerHandler()))
	grpc_health_v1.RegisterHealthServer(srv, exampleHealth{})
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go func() { _ = srv.Serve(lis) }()
	defer srv.Stop()

	conn, err := grpc.NewClient(lis.Addr().String(),
		append(figrpc.DialOptions(), grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	ctx := fi.UsingAttributes(context.Background(), fi.Attributes{SessionID: "sess-2", UserID: "user-2"})
	if _, err := grpc_health_v1.NewHealthClient(conn).Check(ctx, &grpc_health_v1.HealthCheckRequest{}); err != nil {
		panic(err)
	}
	// Output: server: session="sess-2" user=""
}
