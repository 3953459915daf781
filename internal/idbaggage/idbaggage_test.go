package idbaggage_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/baggage"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/internal/idbaggage"
)

func captureErrors(t testing.TB) func() []error {
	var mu sync.Mutex
	var errs []error
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}))
	t.Cleanup(func() { otel.SetErrorHandler(otel.ErrorHandlerFunc(func(error) {})) })
	return func() []error {
		mu.Lock()
		defer mu.Unlock()
		return append([]error(nil), errs...)
	}
}

func TestValidateID(t *testing.T) {
	for id, ok := range map[string]bool{
		"":                                    false,
		"s-1":                                 true,
		"ünïcode ok":                          true,
		strings.Repeat("a", fi.MaxIDLength):   true,
		strings.Repeat("a", fi.MaxIDLength+1): false,
		"tab\there":                           false,
		"del\x7f":                             false,
		"bad\xff":                             false,
	} {
		err := idbaggage.ValidateID("session id", id)
		if (err == nil) != ok || err != nil && !errors.Is(err, idbaggage.ErrInvalidID) {
			t.Errorf("ValidateID(%.20q) = %v", id, err)
		}
	}
}

// A maximal id fully percent-encoded still fits one W3C member.
func TestMaxIDFitsMember(t *testing.T) {
	m, err := baggage.NewMemberRaw(idbaggage.SessionKey, strings.Repeat("é", fi.MaxIDLength/2))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(m.String()); n > idbaggage.MaxMemberBytes {
		t.Fatalf("member is %d bytes", n)
	}
}

func TestOutgoingUnchangedWithoutIDs(t *testing.T) {
	ctx := context.Background()
	h := []string{"k=v"}
	out, got, changed := idbaggage.Outgoing(ctx, h, true, true)
	if changed || out != ctx || len(got) != 1 || got[0] != "k=v" {
		t.Errorf("changed %v, header %q", changed, got)
	}
	s, u, rest, changed := idbaggage.Extract(h)
	if s != "" || u != "" || changed || rest[0] != "k=v" {
		t.Errorf("Extract: %q %q %q %v", s, u, rest, changed)
	}
}

// TestOutgoingOverLimit: ids that would push the list past 8192 bytes are
// not sent, and that is reported.
func TestOutgoingOverLimit(t *testing.T) {
	errs := captureErrors(t)
	big := "pad=" + strings.Repeat("x", 8000)
	ctx := fi.UsingSession(context.Background(), strings.Repeat("s", 1000))
	_, h, changed := idbaggage.Outgoing(ctx, []string{big}, true, false)
	if !changed || len(h) != 1 || strings.Contains(h[0], "session.id") || !strings.HasPrefix(h[0], "pad=") {
		t.Errorf("header %.40q changed %v", h, changed)
	}
	if es := errs(); len(es) != 1 || !strings.Contains(es[0].Error(), "8192") {
		t.Errorf("errors %v", es)
	}
}

func TestStripContext(t *testing.T) {
	s, _ := baggage.NewMemberRaw("session.id", "x")
	k, _ := baggage.NewMemberRaw("k", "v")
	b, _ := baggage.New(s, k)
	ctx := idbaggage.StripContext(baggage.ContextWithBaggage(context.Background(), b))
	if got := baggage.FromContext(ctx).String(); got != "k=v" {
		t.Errorf("baggage %q", got)
	}
}

// FuzzExtract: whatever arrives, Extract never panics, returns only valid
// ids, and never hands on an id member.
func FuzzExtract(f *testing.F) {
	for _, s := range []string{"session.id=a", "session.id=a,user.id=b,k=v", "session.id=%FF", "user.id=;p", ",,", "session.id=" + strings.Repeat("a", 2000), "session.id=a;prop=1,user.id"} {
		f.Add(s, "k=v")
	}
	captureErrors(f)
	f.Fuzz(func(t *testing.T, a, b string) {
		s, u, rest, _ := idbaggage.Extract([]string{a, b})
		for _, id := range []string{s, u} {
			if id != "" && idbaggage.ValidateID("id", id) != nil {
				t.Fatalf("invalid id %q returned", id)
			}
		}
		bag, _ := baggage.Parse(strings.Join(rest, ","))
		if bag.Member(idbaggage.SessionKey).Key() != "" || bag.Member(idbaggage.UserKey).Key() != "" {
			t.Fatalf("id member handed on: %q", rest)
		}
	})
}

// FuzzOutgoing: for a non-allowed destination, no id ever goes out,
// whatever the context and header hold.
func FuzzOutgoing(f *testing.F) {
	f.Add("s-1", "u-1", "session.id=x,k=v", true)
	f.Add("s", "", "", false)
	f.Add("", "u", "user.id=%20", true)
	captureErrors(f)
	f.Fuzz(func(t *testing.T, sid, uid, header string, allowed bool) {
		ctx := fi.UsingAttributes(context.Background(), fi.Attributes{SessionID: sid, UserID: uid})
		_, h, _ := idbaggage.Outgoing(ctx, []string{header}, allowed, true)
		joined := strings.Join(h, ",")
		if len(joined) > idbaggage.MaxBaggageBytes {
			t.Fatalf("header %d bytes", len(joined))
		}
		bag, _ := baggage.Parse(joined)
		if !allowed && (bag.Member(idbaggage.SessionKey).Key() != "" || bag.Member(idbaggage.UserKey).Key() != "") {
			t.Fatalf("ids sent to non-allowed host: %q", h)
		}
		if allowed && fi.SessionID(ctx) != "" && len(header) < 4000 && bag.Member(idbaggage.SessionKey).Value() != fi.SessionID(ctx) {
			t.Fatalf("session %q not sent: %q", fi.SessionID(ctx), h)
		}
	})
}
