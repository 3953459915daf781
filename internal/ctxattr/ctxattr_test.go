package ctxattr

import (
	"context"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/attribute"

	"github.com/traceai-go/traceai/fi/semconv"
)

func keys(s *Scope) []string {
	var out []string
	for _, kv := range s.KeyValues() {
		out = append(out, string(kv.Key)+"="+kv.Value.Emit())
	}
	return out
}

func TestFromEmpty(t *testing.T) {
	if From(context.Background()) != nil {
		t.Error("From(empty) is not nil")
	}
	var s *Scope
	if s.KeyValues() != nil || s.Stamped() {
		t.Error("nil scope has values or is stamped")
	}
}

func TestMergeOverridesPerField(t *testing.T) {
	outer := Merge(nil, &Scope{SessionID: "s1", Metadata: `{"a": 1}`, Tags: []string{"t"}, SimIsTrace: false, SimIsTraceSet: true})
	inner := Merge(outer, &Scope{UserID: "u1", SimIsTrace: true}) // SimIsTraceSet false: not given
	if got, want := keys(inner), []string{
		"session.id=s1", "gen_ai.conversation.id=s1", "user.id=u1", `metadata={"a": 1}`, `tag.tags=["t"]`,
		"fi.simulator.is_simulator_trace=false",
	}; !equal(got, want) {
		t.Errorf("inner:\n got %v\nwant %v", got, want)
	}
	// The outer scope is never modified.
	if got := keys(outer); len(got) != 5 || outer.UserID != "" {
		t.Errorf("outer changed: %v", got)
	}
	last := Merge(inner, &Scope{SessionID: "s2", SimIsTrace: true, SimIsTraceSet: true, TemplateName: "T"})
	if got, want := keys(last), []string{
		"session.id=s2", "gen_ai.conversation.id=s2", "user.id=u1", `metadata={"a": 1}`, `tag.tags=["t"]`,
		"gen_ai.prompt.template.name=T", "fi.simulator.is_simulator_trace=true",
	}; !equal(got, want) {
		t.Errorf("last:\n got %v\nwant %v", got, want)
	}
}

func TestFullOrder(t *testing.T) {
	s := Merge(nil, &Scope{
		SessionID: "s", UserID: "u", Metadata: "{}", Tags: []string{"a", "b"},
		TemplateName: "n", TemplateLabel: "l", TemplateVersion: "v", TemplateVariables: "{}",
		SimRunTestID: "r", SimTestExecutionID: "e", SimCallExecutionID: "c", SimIsTrace: true, SimIsTraceSet: true,
	})
	var got []string
	for _, kv := range s.KeyValues() {
		got = append(got, string(kv.Key))
	}
	want := []string{
		string(semconv.SessionID), string(semconv.GenAIConversationID), string(semconv.UserID), string(semconv.Metadata),
		string(semconv.TagTags), string(semconv.GenAIPromptTemplateName), string(semconv.GenAIPromptTemplateLabel),
		string(semconv.GenAIPromptTemplateVersion), string(semconv.GenAIPromptTemplateVariables),
		string(semconv.SimulatorRunTestID), string(semconv.SimulatorTestExecutionID), string(semconv.SimulatorCallExecutionID),
		string(semconv.SimulatorIsSimulatorTrace),
	}
	if !equal(got, want) {
		t.Errorf("order:\n got %v\nwant %v", got, want)
	}
}

func TestOneLookupWhateverTheDepth(t *testing.T) {
	ctx := context.Background()
	for i := range 20 {
		ctx = With(ctx, Merge(From(ctx), &Scope{SessionID: "s", UserID: string(rune('a' + i))}))
	}
	s := From(ctx)
	if s.UserID != "t" || len(s.KeyValues()) != 3 {
		t.Errorf("innermost scope: %+v", keys(s))
	}
	// The kvs are built once and shared: two reads give the same slice.
	if &s.KeyValues()[0] != &From(ctx).KeyValues()[0] {
		t.Error("KeyValues rebuilt per read")
	}
}

func TestMarkStamped(t *testing.T) {
	if ctx := context.Background(); MarkStamped(ctx) != ctx {
		t.Error("MarkStamped without a scope changed the context")
	}
	base := With(context.Background(), Merge(nil, &Scope{SessionID: "s", UserID: "u"}))
	m := MarkStamped(base)
	if !From(m).Stamped() || From(base).Stamped() {
		t.Fatal("stamped mark wrong")
	}
	if got := keys(From(m)); !equal(got, keys(From(base))) {
		t.Errorf("stamped twin differs: %v", got)
	}
	if MarkStamped(m) != m {
		t.Error("marking twice made a new context")
	}
	// The twin is made once per scope, even under concurrency.
	var wg sync.WaitGroup
	twins := make([]*Scope, 8)
	for i := range twins {
		wg.Add(1)
		go func() { defer wg.Done(); twins[i] = From(MarkStamped(base)) }()
	}
	wg.Wait()
	for _, tw := range twins {
		if !tw.Stamped() || tw.SessionID != "s" {
			t.Errorf("twin %+v", tw)
		}
	}
	if From(MarkStamped(base)) != From(MarkStamped(base)) {
		t.Error("twin not cached")
	}
	// A scope derived from a stamped context is not stamped.
	child := With(m, Merge(From(m), &Scope{UserID: "u2"}))
	if From(child).Stamped() {
		t.Error("a new scope inherited the stamped mark")
	}
}

func TestSuppress(t *testing.T) {
	ctx := context.Background()
	if Suppressed(ctx) {
		t.Fatal("suppressed by default")
	}
	s := Suppress(ctx)
	if !Suppressed(s) || !Suppressed(With(s, Merge(nil, &Scope{UserID: "u"}))) {
		t.Error("Suppress lost")
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestRedactedCached(t *testing.T) {
	s := Merge(nil, &Scope{SessionID: "s", UserID: "secret"})
	calls := 0
	redact := func(kvs []attribute.KeyValue) []attribute.KeyValue {
		calls++
		for i, kv := range kvs {
			if kv.Value.AsString() == "secret" {
				kvs[i] = kv.Key.String("<X>")
			}
		}
		return kvs
	}
	for range 3 {
		kvs, changed := s.Redacted(redact)
		if !changed || kvs[2].Value.AsString() != "<X>" || kvs[0].Value.AsString() != "s" {
			t.Fatalf("Redacted = %v, %v", kvs, changed)
		}
	}
	if calls != 1 {
		t.Errorf("redact called %d times", calls)
	}
	if s.KeyValues()[2].Value.AsString() != "secret" {
		t.Error("KeyValues modified")
	}
	clean := Merge(nil, &Scope{UserID: "u"})
	if kvs, changed := clean.Redacted(redact); changed || &kvs[0] != &clean.KeyValues()[0] {
		t.Error("clean scope: changed or copied")
	}
	var none *Scope
	if kvs, changed := none.Redacted(redact); kvs != nil || changed {
		t.Error("nil scope")
	}
}

func TestCached(t *testing.T) {
	s := Merge(nil, &Scope{UserID: "u"})
	builds := 0
	build := func() any { builds++; return builds }
	if s.Cached("a", build) != 1 || s.Cached("a", build) != 1 || s.Cached("b", build) != 2 {
		t.Error("Cached did not cache per key")
	}
	if Merge(s, &Scope{SessionID: "x"}).Cached("a", build) != 3 {
		t.Error("a merged scope shared its parent's cache")
	}
}
