package fi

import (
	"context"
	"errors"
	"fmt"
	"unicode/utf8"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"

	"github.com/traceai-go/traceai/internal/ctxattr"
	"github.com/traceai-go/traceai/internal/pyjson"
)

// Limits on context attributes. A value over a limit is refused (not set, so
// an enclosing scope's value stays visible) and reported to the
// OpenTelemetry error handler; spans are never made to carry unbounded data.
const (
	// MaxIDLength is the longest session, user or simulator id accepted, in bytes.
	MaxIDLength = 1024
	// MaxMetadataLength is the longest accepted metadata or prompt-template
	// variables JSON, in bytes.
	MaxMetadataLength = 64 << 10
	// MaxTags is the most tags one scope carries; tags beyond it are dropped.
	MaxTags = 64
	// MaxTagLength is the longest tag accepted, in bytes.
	MaxTagLength = 256
)

// Attributes is everything UsingAttributes puts into a context. Empty fields
// are not set, so an enclosing scope's values stay visible for them.
type Attributes struct {
	// SessionID becomes session.id and gen_ai.conversation.id.
	SessionID string
	// UserID becomes user.id.
	UserID string
	// Metadata becomes metadata, a JSON object written as Python's json.dumps
	// writes it (keys sorted, since Go maps have no order).
	Metadata map[string]any
	// Tags becomes tag.tags, a string-list attribute.
	Tags []string
	// PromptTemplate becomes the gen_ai.prompt.template.* attributes.
	PromptTemplate *PromptTemplate
	// Simulator becomes the fi.simulator.* attributes.
	Simulator *SimulatorAttributes
}

// PromptTemplate describes the prompt template a call was rendered from.
type PromptTemplate struct {
	// Template becomes gen_ai.prompt.template.name.
	Template string
	// Label becomes gen_ai.prompt.template.label.
	Label string
	// Version becomes gen_ai.prompt.template.version.
	Version string
	// Variables becomes gen_ai.prompt.template.variables, as JSON.
	Variables map[string]any
}

// SimulatorAttributes identifies a run of the Future AGI simulator.
type SimulatorAttributes struct {
	RunTestID       string // fi.simulator.run_test_id
	TestExecutionID string // fi.simulator.test_execution_id
	CallExecutionID string // fi.simulator.call_execution_id
	// IsSimulatorTrace becomes fi.simulator.is_simulator_trace when not nil;
	// false is a real value.
	IsSimulatorTrace *bool
}

// ErrInvalidAttribute is wrapped by every error reported for a refused
// context attribute, so an error handler can tell them apart.
var ErrInvalidAttribute = errors.New("fi: invalid context attribute")

func report(format string, args ...any) {
	otel.Handle(fmt.Errorf("%w: "+format, append([]any{ErrInvalidAttribute}, args...)...))
}

// checkID validates an id; it reports and returns false when the id must
// not be set.
func checkID(what, id string) bool {
	switch {
	case id == "":
		report("%s is empty; not set", what)
	case len(id) > MaxIDLength:
		report("%s is %d bytes, over the %d-byte limit; not set", what, len(id), MaxIDLength)
	case !utf8.ValidString(id):
		report("%s is not valid UTF-8; not set", what)
	default:
		return true
	}
	return false
}

func encodeJSON(what string, v map[string]any) string {
	if len(v) == 0 {
		return ""
	}
	s, err := pyjson.Marshal(v)
	if err != nil {
		report("%s: %v", what, err)
	}
	if len(s) > MaxMetadataLength {
		report("%s is %d bytes of JSON, over the %d-byte limit; not set", what, len(s), MaxMetadataLength)
		return ""
	}
	return s
}

func checkTags(tags []string) []string {
	if len(tags) == 0 {
		return nil
	}
	out := make([]string, 0, min(len(tags), MaxTags))
	for i, t := range tags {
		if len(out) == MaxTags {
			report("tags: %d given, only the first %d kept", len(tags), MaxTags)
			break
		}
		switch {
		case t == "":
			report("tags[%d] is empty; dropped", i)
		case len(t) > MaxTagLength:
			report("tags[%d] is %d bytes, over the %d-byte limit; dropped", i, len(t), MaxTagLength)
		case !utf8.ValidString(t):
			report("tags[%d] is not valid UTF-8; dropped", i)
		default:
			out = append(out, t)
		}
	}
	return out
}

// optional checks an optional string field: empty means "not given".
func optional(what, v string) string {
	if v == "" || checkID(what, v) {
		return v
	}
	return ""
}

func with(ctx context.Context, over *ctxattr.Scope) context.Context {
	if over.Empty() {
		return ctx // nothing given: no new scope, no allocation
	}
	return ctxattr.With(ctx, ctxattr.Merge(ctxattr.From(ctx), over))
}

// UsingSession returns a copy of ctx in which every span started gets
// session.id and gen_ai.conversation.id set to sessionID. An empty or
// oversized id is reported to the OpenTelemetry error handler and ctx is
// returned unchanged.
func UsingSession(ctx context.Context, sessionID string) context.Context {
	if !checkID("session id", sessionID) {
		return ctx
	}
	return with(ctx, &ctxattr.Scope{SessionID: sessionID})
}

// UsingUser returns a copy of ctx in which every span started gets user.id.
// An empty or oversized id is reported and ctx is returned unchanged.
func UsingUser(ctx context.Context, userID string) context.Context {
	if !checkID("user id", userID) {
		return ctx
	}
	return with(ctx, &ctxattr.Scope{UserID: userID})
}

// UsingMetadata returns a copy of ctx in which every span started gets
// metadata, the JSON of md. Values JSON cannot hold are written as their
// string form and reported; an empty map leaves ctx unchanged.
func UsingMetadata(ctx context.Context, md map[string]any) context.Context {
	s := encodeJSON("metadata", md)
	if s == "" {
		return ctx
	}
	return with(ctx, &ctxattr.Scope{Metadata: s})
}

// UsingTags returns a copy of ctx in which every span started gets tag.tags.
// Empty or oversized tags are dropped and reported; no tags leaves ctx
// unchanged.
func UsingTags(ctx context.Context, tags ...string) context.Context {
	t := checkTags(tags)
	if len(t) == 0 {
		return ctx
	}
	return with(ctx, &ctxattr.Scope{Tags: t})
}

// UsingPromptTemplate returns a copy of ctx in which every span started gets
// the gen_ai.prompt.template.* attributes of the non-empty fields of pt.
func UsingPromptTemplate(ctx context.Context, pt PromptTemplate) context.Context {
	over := promptScope(&pt, &ctxattr.Scope{})
	return with(ctx, over)
}

func promptScope(pt *PromptTemplate, s *ctxattr.Scope) *ctxattr.Scope {
	s.TemplateName = optional("prompt template", pt.Template)
	s.TemplateLabel = optional("prompt template label", pt.Label)
	s.TemplateVersion = optional("prompt template version", pt.Version)
	s.TemplateVariables = encodeJSON("prompt template variables", pt.Variables)
	return s
}

// UsingSimulatorAttributes returns a copy of ctx in which every span started
// gets the fi.simulator.* attributes of the fields of sa that are set.
func UsingSimulatorAttributes(ctx context.Context, sa SimulatorAttributes) context.Context {
	return with(ctx, simulatorScope(&sa, &ctxattr.Scope{}))
}

func simulatorScope(sa *SimulatorAttributes, s *ctxattr.Scope) *ctxattr.Scope {
	s.SimRunTestID = optional("simulator run_test_id", sa.RunTestID)
	s.SimTestExecutionID = optional("simulator test_execution_id", sa.TestExecutionID)
	s.SimCallExecutionID = optional("simulator call_execution_id", sa.CallExecutionID)
	if sa.IsSimulatorTrace != nil {
		s.SimIsTrace, s.SimIsTraceSet = *sa.IsSimulatorTrace, true
	}
	return s
}

// UsingAttributes returns a copy of ctx carrying every non-empty field of a,
// in one scope. It is the Go form of traceAI's using_attributes. Fields left
// empty keep the enclosing scope's values; an empty SessionID or UserID is
// not an error here, since it means "not given".
func UsingAttributes(ctx context.Context, a Attributes) context.Context {
	over := &ctxattr.Scope{
		SessionID: optional("session id", a.SessionID),
		UserID:    optional("user id", a.UserID),
		Metadata:  encodeJSON("metadata", a.Metadata),
		Tags:      checkTags(a.Tags),
	}
	if a.PromptTemplate != nil {
		promptScope(a.PromptTemplate, over)
	}
	if a.Simulator != nil {
		simulatorScope(a.Simulator, over)
	}
	return with(ctx, over)
}

// WrapSession is the decorator form of UsingSession: it returns fn wrapped
// so that it runs with the session in its context.
//
//	handle := fi.WrapSession("session-1", func(ctx context.Context) error { ... })
//	err := handle(ctx)
func WrapSession(sessionID string, fn func(context.Context) error) func(context.Context) error {
	return func(ctx context.Context) error { return fn(UsingSession(ctx, sessionID)) }
}

// WrapUser is the decorator form of UsingUser.
func WrapUser(userID string, fn func(context.Context) error) func(context.Context) error {
	return func(ctx context.Context) error { return fn(UsingUser(ctx, userID)) }
}

// WrapAttributes is the decorator form of UsingAttributes.
func WrapAttributes(a Attributes, fn func(context.Context) error) func(context.Context) error {
	return func(ctx context.Context) error { return fn(UsingAttributes(ctx, a)) }
}

// ContextAttributes returns the span attributes the context carries, in the
// order of the Python reference (session.id, gen_ai.conversation.id,
// user.id, metadata, tag.tags, prompt template, simulator). The slice is
// shared and must not be modified.
func ContextAttributes(ctx context.Context) []attribute.KeyValue {
	return ctxattr.From(ctx).KeyValues()
}

// SessionID returns the session id ctx carries, or "".
func SessionID(ctx context.Context) string {
	if s := ctxattr.From(ctx); s != nil {
		return s.SessionID
	}
	return ""
}

// UserID returns the user id ctx carries, or "".
func UserID(ctx context.Context) string {
	if s := ctxattr.From(ctx); s != nil {
		return s.UserID
	}
	return ""
}

// SuppressTracing returns a copy of ctx in which traceAI instrumentation and
// the fi.Tracer helpers create no spans: calls go straight through. It is the
// Go form of traceAI's suppress_tracing.
func SuppressTracing(ctx context.Context) context.Context { return ctxattr.Suppress(ctx) }

// IsTracingSuppressed reports whether ctx is inside SuppressTracing.
func IsTracingSuppressed(ctx context.Context) bool { return ctxattr.Suppressed(ctx) }
