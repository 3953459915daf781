package pgstore_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/traceai-go/traceai/explorer/store"
	"github.com/traceai-go/traceai/internal/pgtest"
)

// proxy forwards TCP connections to a server, and can cut them all and
// refuse new ones (the database unreachable) and come back on its address.
type proxy struct {
	t      *testing.T
	addr   string
	target string
	mu     sync.Mutex
	ln     net.Listener
	conns  []net.Conn
}

func newProxy(t *testing.T, target string) *proxy {
	p := &proxy{t: t, target: target, addr: "127.0.0.1:0"}
	p.up()
	t.Cleanup(p.down)
	return p
}

func (p *proxy) up() {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatal(err)
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, s)
			p.mu.Unlock()
			go func() { io.Copy(s, c); s.Close() }()
			go func() { io.Copy(c, s); c.Close() }()
		}
	}()
}

func (p *proxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// TestUnreachableThenRecovers: while the database is unreachable, writes
// and reads return errors (no panic, no hang past the caller's deadline,
// nothing acknowledged); when it is back, the same store writes and reads
// again without being reopened, and what was acknowledged before is there.
func TestUnreachableThenRecovers(t *testing.T) {
	dsn := pgtest.DSN(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	p := newProxy(t, u.Host)
	u.Host = p.addr
	st := openPG(t, u.String())
	reqs := corpus(t, 3)
	ctx := context.Background()
	if _, err := st.Ingest(ctx, reqs[0]); err != nil {
		t.Fatal(err)
	}
	before, err := st.Overview(ctx)
	if err != nil {
		t.Fatal(err)
	}

	p.down()
	for i := range 3 {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		start := time.Now()
		if n, err := st.Ingest(cctx, reqs[1]); err == nil || n != 0 {
			t.Errorf("ingest %d while unreachable: %d, %v; want an error", i, n, err)
		}
		if _, _, err := st.ListSessions(cctx, store.SessionFilter{}); err == nil {
			t.Errorf("list %d while unreachable: no error", i)
		} else if errors.Is(err, store.ErrNotFound) {
			t.Errorf("list while unreachable: %v, want a storage error", err)
		}
		if _, err := st.GetTrace(cctx, "0123456789abcdef0123456789abcdef"); err == nil || errors.Is(err, store.ErrNotFound) {
			t.Errorf("trace while unreachable: %v, want a storage error", err)
		}
		cancel()
		if d := time.Since(start); d > 6*time.Second {
			t.Errorf("calls while unreachable took %v", d)
		}
	}

	p.up()
	deadline := time.Now().Add(10 * time.Second)
	for attempt := 1; ; attempt++ {
		_, err := st.Ingest(ctx, reqs[1])
		if err == nil {
			t.Logf("ingest succeeded on attempt %d after the database came back", attempt)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no recovery: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	after, err := st.Overview(ctx)
	if err != nil {
		t.Fatalf("overview after recovery: %v", err)
	}
	if after.Spans <= before.Spans {
		t.Errorf("spans %d before, %d after recovery", before.Spans, after.Spans)
	}
	if _, _, err := st.ListSessions(ctx, store.SessionFilter{}); err != nil {
		t.Errorf("list after recovery: %v", err)
	}
}

// TestEmptyResource: a request without a resource (its encoding is no
// bytes) is stored, as on SQLite.
func TestEmptyResource(t *testing.T) {
	ctx := context.Background()
	pg := openPG(t, pgtest.DSN(t))
	sq := openSQLite(t)
	req := []*tracepb.ResourceSpans{{ScopeSpans: []*tracepb.ScopeSpans{{Spans: []*tracepb.Span{{
		TraceId: bytes.Repeat([]byte{1}, 16), SpanId: bytes.Repeat([]byte{2}, 8), Name: "bare",
		StartTimeUnixNano: uint64(t0.UnixNano()), EndTimeUnixNano: uint64(t0.Add(time.Second).UnixNano()),
	}}}}}}
	for _, st := range []store.Writer{sq, pg} {
		if n, err := st.Ingest(ctx, req); err != nil || n != 1 {
			t.Fatalf("ingest: %d, %v", n, err)
		}
	}
	id := "01010101010101010101010101010101"
	ta, ea := sq.GetTrace(ctx, id)
	tb, eb := pg.GetTrace(ctx, id)
	same(t, "trace", ta, tb, ea, eb)
	if eb != nil {
		t.Fatal(eb)
	}
}
