// Package figrpc carries traceAI sessions across gRPC services.
//
// On the server, NewServerHandler is a stats.Handler that reads the session
// and user ids of each RPC from its incoming metadata (x-session-id,
// x-user-id, or the session.id / user.id members of W3C baggage) and puts
// them into the RPC context with fi.UsingAttributes. Give it otelgrpc's
// handler with WithStatsHandler, so the server span carries the ids too:
//
//	srv := grpc.NewServer(grpc.StatsHandler(
//		figrpc.NewServerHandler(figrpc.WithStatsHandler(otelgrpc.NewServerHandler()))))
//
// On the client, DialOptions (or UnaryClientInterceptor and
// StreamClientInterceptor) write the session id, and the user id when
// enabled, into the baggage of calls to allowed targets (loopback and the
// hosts you list) and remove them from calls to every other target.
//
// The ids live in the fi context scope; baggage is only their wire format.
package figrpc

import (
	"context"
	"fmt"
	"net"
	"strings"

	"go.opentelemetry.io/otel"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/stats"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/internal/idbaggage"
)

// Default metadata keys read by the server handler.
const (
	DefaultSessionKey = "x-session-id"
	DefaultUserKey    = "x-user-id"
)

type serverHandler struct{ cfg config }

// NewServerHandler returns a stats.Handler for grpc.NewServer that puts the
// session and user ids of each incoming RPC into its context. Invalid ids
// are reported to otel.Handle and ignored; the RPC is served either way.
func NewServerHandler(opts ...Option) stats.Handler {
	return &serverHandler{cfg: newConfig(opts)}
}

// TagRPC implements stats.Handler.
func (h *serverHandler) TagRPC(ctx context.Context, info *stats.RPCTagInfo) context.Context {
	ctx = h.prepare(ctx)
	if h.cfg.next != nil {
		return h.cfg.next.TagRPC(ctx, info)
	}
	return ctx
}

func first(md metadata.MD, key string) string {
	if key == "" {
		return ""
	}
	if v := md.Get(key); len(v) > 0 {
		return v[0]
	}
	return ""
}

func (h *serverHandler) prepare(ctx context.Context) (out context.Context) {
	defer func() {
		if p := recover(); p != nil {
			otel.Handle(fmt.Errorf("figrpc: recovered from panic while reading session ids: %v", p))
			out = ctx
		}
	}()
	md, _ := metadata.FromIncomingContext(ctx)
	bSession, bUser, rest, changed := idbaggage.Extract(md.Get(idbaggage.Header))
	sid, uid := idbaggage.Pick(md, h.cfg.sources, h.cfg.trustedBaggage, bSession, bUser)
	nctx := idbaggage.StripContext(ctx)
	if changed {
		md = md.Copy()
		if rest == nil {
			delete(md, idbaggage.Header)
		} else {
			md[idbaggage.Header] = rest
		}
		nctx = metadata.NewIncomingContext(nctx, md)
	}
	if sid != "" || uid != "" {
		nctx = fi.UsingAttributes(nctx, fi.Attributes{SessionID: sid, UserID: uid})
	}
	return nctx
}

// HandleRPC implements stats.Handler.
func (h *serverHandler) HandleRPC(ctx context.Context, s stats.RPCStats) {
	if h.cfg.next != nil {
		h.cfg.next.HandleRPC(ctx, s)
	}
}

// TagConn implements stats.Handler.
func (h *serverHandler) TagConn(ctx context.Context, info *stats.ConnTagInfo) context.Context {
	if h.cfg.next != nil {
		return h.cfg.next.TagConn(ctx, info)
	}
	return ctx
}

// HandleConn implements stats.Handler.
func (h *serverHandler) HandleConn(ctx context.Context, s stats.ConnStats) {
	if h.cfg.next != nil {
		h.cfg.next.HandleConn(ctx, s)
	}
}

type client struct {
	hosts    *idbaggage.Hosts
	loopback bool
	user     bool
}

func newClient(opts []Option) *client {
	cfg := newConfig(opts)
	return &client{hosts: idbaggage.NewHosts(cfg.loopback, cfg.hosts...), loopback: cfg.loopback, user: cfg.user}
}

// allowed reports whether every address of a gRPC target is allowed.
func (c *client) allowed(target string) bool {
	t := target
	switch {
	case strings.HasPrefix(t, "unix:"), strings.HasPrefix(t, "unix-abstract:"):
		return c.loopback
	case strings.Contains(t, "://"):
		t = t[strings.Index(t, "://")+3:]
		i := strings.IndexByte(t, '/')
		if i < 0 {
			return false
		}
		t = t[i+1:]
	case strings.HasPrefix(t, "dns:"), strings.HasPrefix(t, "passthrough:"), strings.HasPrefix(t, "ipv4:"), strings.HasPrefix(t, "ipv6:"):
		t = t[strings.IndexByte(t, ':')+1:]
	}
	if t == "" {
		return false
	}
	for a := range strings.SplitSeq(t, ",") {
		if _, _, err := net.SplitHostPort(a); err != nil && strings.Count(a, ":") > 1 && !strings.HasPrefix(a, "[") {
			a = "[" + a + "]" // bare IPv6 address
		}
		if !c.hosts.Allowed(a) {
			return false
		}
	}
	return true
}

func (c *client) outgoing(ctx context.Context, target string) (out context.Context) {
	defer func() {
		if p := recover(); p != nil {
			otel.Handle(fmt.Errorf("figrpc: recovered from panic while writing session ids: %v", p))
			out = idbaggage.StripContext(ctx)
		}
	}()
	md, _ := metadata.FromOutgoingContext(ctx)
	nctx, h, changed := idbaggage.Outgoing(ctx, md.Get(idbaggage.Header), c.allowed(target), c.user)
	if !changed {
		return ctx
	}
	md = md.Copy()
	if h == nil {
		delete(md, idbaggage.Header)
	} else {
		md[idbaggage.Header] = h
	}
	return metadata.NewOutgoingContext(nctx, md)
}

// UnaryClientInterceptor writes the ids into the baggage of unary calls to
// allowed targets and removes them from calls to others. It runs before
// the client's stats handlers, so otelgrpc's propagator injects the
// adjusted baggage.
func UnaryClientInterceptor(opts ...Option) grpc.UnaryClientInterceptor {
	c := newClient(opts)
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, callOpts ...grpc.CallOption) error {
		return invoker(c.outgoing(ctx, cc.Target()), method, req, reply, cc, callOpts...)
	}
}

// StreamClientInterceptor is UnaryClientInterceptor for streaming calls.
func StreamClientInterceptor(opts ...Option) grpc.StreamClientInterceptor {
	c := newClient(opts)
	return func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, callOpts ...grpc.CallOption) (grpc.ClientStream, error) {
		return streamer(c.outgoing(ctx, cc.Target()), desc, cc, method, callOpts...)
	}
}

// DialOptions returns both client interceptors as dial options:
//
//	conn, err := grpc.NewClient(target, append(figrpc.DialOptions(),
//		grpc.WithStatsHandler(otelgrpc.NewClientHandler()))...)
func DialOptions(opts ...Option) []grpc.DialOption {
	return []grpc.DialOption{
		grpc.WithChainUnaryInterceptor(UnaryClientInterceptor(opts...)),
		grpc.WithChainStreamInterceptor(StreamClientInterceptor(opts...)),
	}
}
