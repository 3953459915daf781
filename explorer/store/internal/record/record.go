// Package record carries the SQLite store's pure record logic to the other
// backends, so that they turn the same spans into the same rows and answer
// queries with the same code instead of a copy of it.
//
// The logic stays in package store, unexported, beside the SQLite code it
// grew with (its tests run there unchanged); store fills the functions below
// when it is initialised, and a backend importing store (for its types) can
// rely on them being set. Values of store's own types (a *store.Span, a
// *store.TraceDetail) travel as any, since this package cannot name them.
package record

import (
	"context"
	"database/sql"
	"time"

	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// Resource is a resources row: a resource's deterministic encoding and its
// id (a hash of it).
type Resource struct {
	ID   int64
	Data []byte
}

// Span is a spans row with what the writer needs of the span's attributes.
type Span struct {
	TraceID, SpanID   string
	StartNS, EndNS    int64
	Scope             string
	ResourceID        int64
	Data              []byte // the span's protobuf
	SessionID, UserID string
	Eval              *Eval // set on an evaluation span
}

// Eval is what an evaluation span says, as the evaluations row keeps it
// (Explanation already truncated).
type Eval struct {
	Name, Label, Explanation string
	Score                    *float64
	// Target is the span judged ("" for the evaluation's own trace);
	// Linked the trace the evaluation's link names.
	Target, Linked string
}

// Batch is an export request turned into rows: spans with ids of the
// lengths the store accepts, and the distinct session facts they carry in
// order of appearance.
type Batch struct {
	Resources []Resource
	Spans     []Span
	Tags      [][2]string // (session, tag)
	Models    [][2]string // (session, model)
	Meta      []Meta
	// Traces are the summaries of the request's traces from its spans
	// alone: a trace's row when none of its spans was stored before.
	Traces map[string]*Trace
}

// Meta is a session_meta row: one metadata key of a session. Value is the
// text filters match ("3", "true", "pro"); Kind says which JSON type it was
// written as, so that the API gives numbers and booleans back typed.
type Meta struct {
	Session, Key, Value string
	Kind                MetaKind
}

// MetaKind is the JSON type of a metadata value, as stored in
// session_meta.kind.
type MetaKind string

// Kinds of metadata values. A string is stored as itself; a number or
// boolean as its JSON text; an object or array as its compact JSON.
const (
	MetaString MetaKind = ""
	MetaNumber MetaKind = "number"
	MetaBool   MetaKind = "bool"
	MetaNull   MetaKind = "null"
	MetaJSON   MetaKind = "json"
)

// Trace is a traces row: the summary of all the spans of one trace. Text
// is its search document, one text per part of TextParts.
type Trace struct {
	Session, User, RootName string
	Start, End              int64
	Spans, LLMCalls, Errors int64
	ErrorMessage            string // truncated as stored
	InputTokens             int64
	OutputTokens            int64
	TotalTokens             int64
	Cost                    float64
	Unpriced                int64
	Model, Input, Output    string
	Retries                 int64
	Refused, Empty          bool
	LLMMS                   string // the LLM latencies, comma-separated
	EvalOnly, Failed        bool
	Text                    [6]string
	// PromptTemplate and PromptVersion name the turn's prompt template.
	PromptTemplate, PromptVersion string
	// SpanKinds sums the turn's spans per kind (store's span_kinds column).
	SpanKinds string
}

// Stored is one span as a backend keeps it, decoded.
type Stored struct {
	Resource *resourcepb.Resource
	Scope    string
	Span     *tracepb.Span
}

// Match is one part of a turn holding a search match; Snippet alternates
// plain and matching text (store.TextMatch).
type Match struct {
	Part    string
	Snippet []Fragment
}

// Fragment is a piece of a snippet.
type Fragment struct {
	Text  string
	Match bool
}

// Search is a parsed search (store.SessionFilter.Q with In).
type Search interface {
	// Match reports whether a turn's document matches.
	Match(text *[6]string) bool
	// Matches returns the parts of the document that hold a match.
	Matches(text *[6]string) []Match
	// Words are folded words (textquery.Fold) that every matching
	// document holds, folded, in one of its parts: a necessary condition
	// an index can test before Match decides.
	Words() []string
}

// Index is the turn index of another database, for the store's search.
// Its turn_text table has the SQLite one's columns (rowid being the
// document's number, in indexing order) and traces.search_doc points at
// it.
type Index struct {
	// Match returns the documents matching s, in document order, at most
	// limit of them.
	Match func(ctx context.Context, s Search, limit int) ([]Hit, error)
	// HitsJoin is the store's sessionHitsJoin on this database: it joins
	// a JSON array of [session, score, document] (the one argument) to
	// the sessions table as m_sid, m_score, m_doc.
	HitsJoin string
}

// Hit is a matching document.
type Hit struct {
	Doc     int64
	Session string
	Score   float64 // relevance, higher is better
}

// Set by package store when it is initialised.
var (
	// Prepare turns an export request into rows; encoded, when it holds
	// one encoding per span, is stored as received.
	Prepare func(rs []*tracepb.ResourceSpans, encoded [][]byte) (*Batch, error)
	// Summarize is the traces row of a trace from all its stored spans.
	Summarize func(spans []Stored) Trace
	// PercentileWindow is how many of the latest turns feed p50/p95.
	PercentileWindow func() int
	// Percentiles are p50 and p95 of the latencies in traces.llm_ms lists.
	Percentiles func(llmMS []string) (p50, p95 float64)
	// JSONList is a list as the sessions and users rows store it.
	JSONList func([]string) string
	// TextParts names the parts of a search document.
	TextParts []string
	// ParseSearch parses a search; nil (and no error) when q is empty. Its
	// errors are *store.FilterError.
	ParseSearch func(q string, in []string) (Search, error)
	// NewReader returns a store.Reader (a *store.Store reading through
	// db) whose SQL is the SQLite store's, written with ? placeholders.
	// The search finds matching turns through idx; GetTrace and
	// SearchTurns are SQLite's own and must not be called on another
	// database.
	NewReader func(db *sql.DB, idx *Index) any
	// BuildTrace is the *store.TraceDetail of a trace's spans (without its
	// session, user and evaluations), at most max of the earliest spans.
	BuildTrace func(traceID string, spans []Stored, max int) any
	// NSTime is a time as the Reader shows an int64 of nanoseconds.
	NSTime func(ns int64) time.Time
	// RefreshHours recomputes, in tx, the dashboard's rollups of the
	// hours marked stale at least settle ago, for about budget; more tells
	// that such hours are left.
	RefreshHours func(ctx context.Context, tx *sql.Tx, settle, budget time.Duration) (more bool, err error)
	// SetRollups turns the dashboard's reads of rollups on or off (off:
	// every query scans the turns) and returns the restore: tests compare
	// the two on every backend.
	SetRollups func(on bool) (restore func())
	// RollupRowsRead counts the rollup rows the dashboard's queries read.
	RollupRowsRead func() int64
	// SetProbeDocs sets how many matching turns a search reads before it
	// lists sessions in order and checks their turns instead, and returns
	// the restore: tests run the searches both ways on every backend.
	SetProbeDocs func(n int) (restore func())
)
