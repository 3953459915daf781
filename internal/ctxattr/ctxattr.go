// Package ctxattr holds the traceAI context attributes (session, user,
// metadata, tags, prompt template, simulator ids) as one immutable value
// under one context key, shared by package fi, which writes it, and by the
// span processor and instrumentation packages, which stamp it on spans.
package ctxattr

import (
	"context"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"

	"github.com/traceai-go/traceai/fi/semconv"
)

type key struct{}

// Scope is one set of context attributes, already merged with every
// enclosing scope. It is never modified after it is stored in a context.
type Scope struct {
	SessionID string
	UserID    string
	Metadata  string // Python-style JSON
	Tags      []string

	TemplateName      string
	TemplateLabel     string
	TemplateVersion   string
	TemplateVariables string // Python-style JSON

	SimRunTestID       string
	SimTestExecutionID string
	SimCallExecutionID string
	SimIsTrace         bool
	SimIsTraceSet      bool

	kvs []attribute.KeyValue

	// stamped marks a context whose next span start is stamped by the
	// caller (an instrumentation package): the processor leaves it alone so
	// that no attribute is set twice. It points to a twin of this scope.
	stamped   bool
	stampedTw atomic.Pointer[Scope]

	// redacted caches kvs after PII redaction, built on first use, so
	// redaction runs once per scope rather than once per span.
	redacted atomic.Pointer[redactedKVs]

	// cache holds values derived from the scope by its users (see Cached).
	cache sync.Map
}

type redactedKVs struct {
	kvs     []attribute.KeyValue
	changed bool
}

// Merge returns a new scope: s (which may be nil) with every non-empty field
// of over replacing its own. over's kvs and marks are ignored.
func Merge(s *Scope, over *Scope) *Scope {
	n := &Scope{}
	if s != nil {
		n.SessionID, n.UserID, n.Metadata, n.Tags = s.SessionID, s.UserID, s.Metadata, s.Tags
		n.TemplateName, n.TemplateLabel, n.TemplateVersion, n.TemplateVariables = s.TemplateName, s.TemplateLabel, s.TemplateVersion, s.TemplateVariables
		n.SimRunTestID, n.SimTestExecutionID, n.SimCallExecutionID = s.SimRunTestID, s.SimTestExecutionID, s.SimCallExecutionID
		n.SimIsTrace, n.SimIsTraceSet = s.SimIsTrace, s.SimIsTraceSet
	}
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&n.SessionID, over.SessionID)
	set(&n.UserID, over.UserID)
	set(&n.Metadata, over.Metadata)
	if len(over.Tags) > 0 {
		n.Tags = over.Tags
	}
	set(&n.TemplateName, over.TemplateName)
	set(&n.TemplateLabel, over.TemplateLabel)
	set(&n.TemplateVersion, over.TemplateVersion)
	set(&n.TemplateVariables, over.TemplateVariables)
	set(&n.SimRunTestID, over.SimRunTestID)
	set(&n.SimTestExecutionID, over.SimTestExecutionID)
	set(&n.SimCallExecutionID, over.SimCallExecutionID)
	if over.SimIsTraceSet {
		n.SimIsTrace, n.SimIsTraceSet = over.SimIsTrace, true
	}
	n.kvs = n.build()
	return n
}

// Empty reports whether s sets no field, so merging it changes nothing.
func (s *Scope) Empty() bool {
	return s.SessionID == "" && s.UserID == "" && s.Metadata == "" && len(s.Tags) == 0 &&
		s.TemplateName == "" && s.TemplateLabel == "" && s.TemplateVersion == "" && s.TemplateVariables == "" &&
		s.SimRunTestID == "" && s.SimTestExecutionID == "" && s.SimCallExecutionID == "" && !s.SimIsTraceSet
}

// build lays the attributes out once per scope, in the order of the Python
// reference's CONTEXT_ATTRIBUTES.
func (s *Scope) build() []attribute.KeyValue {
	kvs := make([]attribute.KeyValue, 0, 13)
	if s.SessionID != "" {
		kvs = append(kvs, semconv.SessionID.String(s.SessionID), semconv.GenAIConversationID.String(s.SessionID))
	}
	if s.UserID != "" {
		kvs = append(kvs, semconv.UserID.String(s.UserID))
	}
	if s.Metadata != "" {
		kvs = append(kvs, semconv.Metadata.String(s.Metadata))
	}
	if len(s.Tags) > 0 {
		kvs = append(kvs, semconv.TagTags.StringSlice(s.Tags))
	}
	if s.TemplateName != "" {
		kvs = append(kvs, semconv.GenAIPromptTemplateName.String(s.TemplateName))
	}
	if s.TemplateLabel != "" {
		kvs = append(kvs, semconv.GenAIPromptTemplateLabel.String(s.TemplateLabel))
	}
	if s.TemplateVersion != "" {
		kvs = append(kvs, semconv.GenAIPromptTemplateVersion.String(s.TemplateVersion))
	}
	if s.TemplateVariables != "" {
		kvs = append(kvs, semconv.GenAIPromptTemplateVariables.String(s.TemplateVariables))
	}
	if s.SimRunTestID != "" {
		kvs = append(kvs, semconv.SimulatorRunTestID.String(s.SimRunTestID))
	}
	if s.SimTestExecutionID != "" {
		kvs = append(kvs, semconv.SimulatorTestExecutionID.String(s.SimTestExecutionID))
	}
	if s.SimCallExecutionID != "" {
		kvs = append(kvs, semconv.SimulatorCallExecutionID.String(s.SimCallExecutionID))
	}
	if s.SimIsTraceSet {
		kvs = append(kvs, semconv.SimulatorIsSimulatorTrace.Bool(s.SimIsTrace))
	}
	return kvs
}

// KeyValues returns the span attributes of s. The slice is shared: callers
// must not modify it.
func (s *Scope) KeyValues() []attribute.KeyValue {
	if s == nil {
		return nil
	}
	return s.kvs
}

// Redacted returns the attributes of s passed through redact, which is
// called at most once or twice per scope (the result is cached) on a copy, so
// it may modify its argument. changed reports whether any value differs from
// KeyValues. Every caller must pass the same redaction. The slice is shared:
// callers must not modify it.
func (s *Scope) Redacted(redact func([]attribute.KeyValue) []attribute.KeyValue) (kvs []attribute.KeyValue, changed bool) {
	if s == nil || len(s.kvs) == 0 {
		return nil, false
	}
	if r := s.redacted.Load(); r != nil {
		return r.kvs, r.changed
	}
	out := redact(append([]attribute.KeyValue(nil), s.kvs...))
	r := &redactedKVs{kvs: out, changed: len(out) != len(s.kvs)}
	for i := range out {
		if i >= len(s.kvs) || out[i] != s.kvs[i] {
			r.changed = true
			break
		}
	}
	if !r.changed {
		r.kvs = s.kvs
	}
	s.redacted.Store(r)
	return r.kvs, r.changed
}

// Cached returns the value cached in s under key, building and storing it
// on first use. The value must depend only on s and key, and callers must use
// a bounded set of keys. Concurrent first uses may build it more than once;
// one result wins.
func (s *Scope) Cached(key any, build func() any) any {
	if v, ok := s.cache.Load(key); ok {
		return v
	}
	v, _ := s.cache.LoadOrStore(key, build())
	return v
}

// Stamped reports whether the caller starting a span in this context has
// stamped the attributes itself.
func (s *Scope) Stamped() bool { return s != nil && s.stamped }

// With returns ctx carrying s.
func With(ctx context.Context, s *Scope) context.Context {
	return context.WithValue(ctx, key{}, s)
}

// From returns the scope in ctx, or nil.
func From(ctx context.Context) *Scope {
	s, _ := ctx.Value(key{}).(*Scope)
	return s
}

// MarkStamped returns a context for starting exactly one span whose caller
// stamps the context attributes itself, so the fi span processor skips it.
// Use the returned context only as the parent given to Tracer.Start; derive
// children from the original context with trace.ContextWithSpan, or they too
// would be skipped.
func MarkStamped(ctx context.Context) context.Context {
	s := From(ctx)
	if s == nil || s.stamped {
		return ctx
	}
	tw := s.stampedTw.Load()
	if tw == nil {
		tw = &Scope{}
		*tw = Scope{
			SessionID: s.SessionID, UserID: s.UserID, Metadata: s.Metadata, Tags: s.Tags,
			TemplateName: s.TemplateName, TemplateLabel: s.TemplateLabel, TemplateVersion: s.TemplateVersion, TemplateVariables: s.TemplateVariables,
			SimRunTestID: s.SimRunTestID, SimTestExecutionID: s.SimTestExecutionID, SimCallExecutionID: s.SimCallExecutionID,
			SimIsTrace: s.SimIsTrace, SimIsTraceSet: s.SimIsTraceSet,
			kvs: s.kvs, stamped: true,
		}
		s.stampedTw.Store(tw)
	}
	return With(ctx, tw)
}

type suppressKey struct{}

// Suppress returns ctx in which traceAI instrumentation creates no spans.
func Suppress(ctx context.Context) context.Context {
	return context.WithValue(ctx, suppressKey{}, true)
}

// Suppressed reports whether ctx is inside a Suppress scope.
func Suppressed(ctx context.Context) bool {
	v, _ := ctx.Value(suppressKey{}).(bool)
	return v
}
