package store

import (
	"strings"
	"time"
)

// EvalAggregate summarises the evaluations of one name (gen_ai.evaluation.name)
// recorded against a session's or user's spans.
type EvalAggregate struct {
	// Count is the number of evaluations with this name.
	Count int `json:"count"`
	// Mean is the mean of the numeric scores (gen_ai.evaluation.score.value),
	// nil when none of the evaluations carried a numeric score.
	Mean *float64 `json:"mean"`
	// Labels counts the evaluations per label (gen_ai.evaluation.score.label).
	Labels map[string]int `json:"labels"`
}

// Evaluation is one evaluation span, resolved to the span it judged.
type Evaluation struct {
	Name         string   `json:"name"`
	Score        *float64 `json:"score"`
	Label        string   `json:"label,omitempty"`
	Explanation  string   `json:"explanation,omitempty"`
	SpanID       string   `json:"span_id"`
	TraceID      string   `json:"trace_id"`
	TargetSpanID string   `json:"target_span_id,omitempty"`
	// TargetTraceID is the trace of the judged span, empty while that span
	// has not arrived. The span is looked for in the trace the evaluation
	// span links it in, then in the evaluation's own trace.
	TargetTraceID string    `json:"target_trace_id,omitempty"`
	SessionID     string    `json:"session_id,omitempty"`
	UserID        string    `json:"user_id,omitempty"`
	Time          time.Time `json:"time"`
}

// SessionSummary is one row of the sessions list: everything stored under one
// session.id.
type SessionSummary struct {
	SessionID string `json:"session_id"`
	// UserID is the user.id of the session's most recent span that had one.
	UserID string `json:"user_id"`
	// Traces is the number of turns (traces) in the session.
	Traces int `json:"traces"`
	Spans  int `json:"spans"`
	// LLMCalls is the number of spans with gen_ai.span.kind LLM.
	LLMCalls int `json:"llm_calls"`
	// Errors is the number of spans with status ERROR.
	Errors int `json:"errors"`
	// ErrorTraces is the number of failed turns (see Turn.Error).
	ErrorTraces  int     `json:"error_traces"`
	ErrorRate    float64 `json:"error_rate"` // ErrorTraces / Traces
	InputTokens  int64   `json:"input_tokens"`
	OutputTokens int64   `json:"output_tokens"`
	TotalTokens  int64   `json:"total_tokens"`
	// Cost is the estimated cost in USD of the priced LLM calls;
	// CostComplete is false when some LLM call used a model without a price.
	Cost         float64   `json:"cost"`
	CostComplete bool      `json:"cost_complete"`
	FirstInput   string    `json:"first_input"`
	LastOutput   string    `json:"last_output"`
	Start        time.Time `json:"start"`
	End          time.Time `json:"end"`
	DurationMS   float64   `json:"duration_ms"`
	Models       []string  `json:"models"`
	Tags         []string  `json:"tags"`
	// P50LatencyMS and P95LatencyMS are percentiles of LLM span durations.
	P50LatencyMS float64                  `json:"p50_latency_ms"`
	P95LatencyMS float64                  `json:"p95_latency_ms"`
	Evaluations  map[string]EvalAggregate `json:"evaluations"`
	// Match is set on a search (SessionFilter.Q): the session's best
	// matching turn (latest, unless sorted by relevance) with its snippet.
	Match *TextMatch `json:"match,omitempty"`

	evalSort float64 // the sort value of a SessionsByEval order
}

// UserSummary is one row of the users list: everything stored under one
// user.id.
type UserSummary struct {
	UserID       string                   `json:"user_id"`
	Sessions     int                      `json:"sessions"`
	Traces       int                      `json:"traces"`
	Spans        int                      `json:"spans"`
	LLMCalls     int                      `json:"llm_calls"`
	Errors       int                      `json:"errors"`
	ErrorTraces  int                      `json:"error_traces"`
	ErrorRate    float64                  `json:"error_rate"`
	InputTokens  int64                    `json:"input_tokens"`
	OutputTokens int64                    `json:"output_tokens"`
	TotalTokens  int64                    `json:"total_tokens"`
	Cost         float64                  `json:"cost"`
	CostComplete bool                     `json:"cost_complete"`
	FirstSeen    time.Time                `json:"first_seen"`
	LastSeen     time.Time                `json:"last_seen"`
	Models       []string                 `json:"models"`
	P50LatencyMS float64                  `json:"p50_latency_ms"`
	P95LatencyMS float64                  `json:"p95_latency_ms"`
	Evaluations  map[string]EvalAggregate `json:"evaluations"`

	evalSort float64 // the sort value of a UsersByEval order
}

// Turn is one trace of a session, shown as one exchange of the conversation.
type Turn struct {
	TraceID string    `json:"trace_id"`
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
	// Input is the user's message of the turn; Output the assistant's answer.
	Input        string  `json:"input"`
	Output       string  `json:"output"`
	LatencyMS    float64 `json:"latency_ms"`
	InputTokens  int64   `json:"input_tokens"`
	OutputTokens int64   `json:"output_tokens"`
	Tokens       int64   `json:"tokens"`
	Cost         float64 `json:"cost"`
	Model        string  `json:"model"`
	Spans        int     `json:"spans"`
	LLMCalls     int     `json:"llm_calls"`
	// Error is set when the turn failed: its root span or its final LLM call
	// has status ERROR (a retried call that recovered is not an error);
	// ErrorMessage is that span's status message.
	Error        bool   `json:"error"`
	ErrorMessage string `json:"error_message,omitempty"`
	// Retries counts LLM spans that were a retry attempt.
	Retries int  `json:"retries"`
	Refused bool `json:"refused"`
	Empty   bool `json:"empty"`
	// Slow is set when the turn took more than 3 times the session's median.
	Slow bool `json:"slow"`
	// Broken is set when the turn failed: Error, Refused or Empty. Warning
	// is set when it recovered or was slow: Retries or Slow, without being
	// broken. Reasons names which ("error", "retry", "refused", "empty",
	// "slow").
	Broken      bool         `json:"broken"`
	Warning     bool         `json:"warning"`
	Reasons     []string     `json:"reasons"`
	Evaluations []Evaluation `json:"evaluations"`
}

// SessionDetail is one session with its conversation.
type SessionDetail struct {
	Summary SessionSummary `json:"session"`
	// MedianLatencyMS is the median turn latency, the base of Turn.Slow.
	MedianLatencyMS float64 `json:"median_latency_ms"`
	// Turns in start order.
	Turns []Turn `json:"turns"`
	// Truncated is set when the session has more turns than returned.
	Truncated bool `json:"truncated"`
	// Metadata is the parsed "metadata" attribute of the session's spans
	// (the last value seen per key), each value typed as it was written:
	// a string, a json.Number, a bool, nil, or a json.RawMessage holding
	// an object or an array.
	Metadata map[string]any `json:"metadata"`
}

// UserDetail is one user with their sessions, newest first.
type UserDetail struct {
	Summary  UserSummary      `json:"user"`
	Sessions []SessionSummary `json:"sessions"`
	// Next is the cursor of the next page of sessions, empty on the last.
	Next string `json:"next"`
}

// Attribute is one span, event or resource attribute. Value is a string,
// bool, int64, float64, []any, or nil.
type Attribute struct {
	Key   string `json:"key"`
	Value any    `json:"value"`
}

// Event is one span event.
type Event struct {
	Name       string      `json:"name"`
	Time       time.Time   `json:"time"`
	Attributes []Attribute `json:"attributes"`
}

// Message is one input or output message of an LLM span, rebuilt from the
// flattened gen_ai.input.messages / gen_ai.output.messages keys.
type Message struct {
	Role      string     `json:"role"`
	Content   string     `json:"content"`
	ToolCalls []ToolCall `json:"tool_calls,omitempty"`
}

// ToolCall is a tool call requested in a message.
type ToolCall struct {
	ID        string `json:"id,omitempty"`
	Name      string `json:"name"`
	Arguments string `json:"arguments,omitempty"`
}

// Span is one stored span with all its data.
type Span struct {
	TraceID  string `json:"trace_id"`
	SpanID   string `json:"span_id"`
	ParentID string `json:"parent_id,omitempty"`
	Name     string `json:"name"`
	// Kind is the OpenTelemetry span kind ("INTERNAL", "CLIENT", ...);
	// SpanKind the traceAI gen_ai.span.kind ("LLM", "CHAIN", ...).
	Kind          string    `json:"kind"`
	SpanKind      string    `json:"span_kind"`
	Start         time.Time `json:"start"`
	End           time.Time `json:"end"`
	DurationMS    float64   `json:"duration_ms"`
	StatusCode    string    `json:"status_code"` // "UNSET", "OK" or "ERROR"
	StatusMessage string    `json:"status_message,omitempty"`
	SessionID     string    `json:"session_id,omitempty"`
	UserID        string    `json:"user_id,omitempty"`
	Model         string    `json:"model,omitempty"`
	InputTokens   int64     `json:"input_tokens"`
	OutputTokens  int64     `json:"output_tokens"`
	Cost          float64   `json:"cost"`
	// Depth is the span's depth in the trace tree (0 for roots and orphans).
	Depth          int         `json:"depth"`
	Scope          string      `json:"scope,omitempty"`
	Attributes     []Attribute `json:"attributes"`
	Resource       []Attribute `json:"resource"`
	Events         []Event     `json:"events"`
	InputMessages  []Message   `json:"input_messages,omitempty"`
	OutputMessages []Message   `json:"output_messages,omitempty"`
}

// TraceDetail is one trace with its spans in tree order (depth first, children
// by start time).
type TraceDetail struct {
	TraceID    string    `json:"trace_id"`
	SessionID  string    `json:"session_id,omitempty"`
	UserID     string    `json:"user_id,omitempty"`
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
	DurationMS float64   `json:"duration_ms"`
	// InputTokens, OutputTokens and TotalTokens are the turn's tokens as
	// the session counts them: summed over the trace's LLM spans (over all
	// its spans when none is one), evaluator spans left out, so that a
	// parent span repeating its children's usage is not counted twice.
	InputTokens  int64        `json:"input_tokens"`
	OutputTokens int64        `json:"output_tokens"`
	TotalTokens  int64        `json:"total_tokens"`
	Spans        []Span       `json:"spans"`
	Evaluations  []Evaluation `json:"evaluations"`
}

// SessionFilter selects and orders sessions. Zero fields do not filter.
type SessionFilter struct {
	UserID string
	Tag    string
	// Since and Until bound the session's last activity (End >= Since) and
	// first activity (Start < Until).
	Since, Until  time.Time
	HasErrors     *bool
	Model         string
	MetadataKey   string
	MetadataValue string // only with MetadataKey; empty matches any value
	// PromptTemplate keeps sessions with a turn of this prompt template,
	// and PromptVersion (only with PromptTemplate) of this version.
	PromptTemplate, PromptVersion string
	// Eval keeps the sessions with an evaluation of this name; with
	// EvalBelow, those whose mean score of it is below EvalBelow.
	Eval      string
	EvalBelow *float64
	// Q keeps the sessions with a turn whose text matches this search:
	// words (all must match), "exact phrases", -word or -"phrase" to
	// exclude; case and diacritics are ignored and substrings match.
	// A malformed search is a *FilterError.
	Q string
	// In are the parts of a turn Q looks in (SearchParts); empty means all
	// but system prompts ("system").
	In []string
	// Sort is one of SessionSorts; empty means SessionsByEnd (last
	// activity), or SessionsByRelevance (descending) with Q.
	Sort SessionSort
	// Desc orders descending; when Sort is empty the order is newest first.
	Desc bool
	// Limit is the page size, 1..MaxLimit; 0 means DefaultLimit.
	Limit  int
	Cursor string
}

// UserFilter selects and orders users. Zero fields do not filter.
type UserFilter struct {
	// Since and Until bound the user's last and first activity.
	Since, Until time.Time
	HasErrors    *bool
	// Sort is one of UserSorts; empty means UsersByLastSeen.
	Sort   UserSort
	Desc   bool
	Limit  int
	Cursor string
}

// Paging defaults.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// SessionSort is an order of the sessions list; the value is the sort
// parameter of the API and the pages.
type SessionSort string

// The orders of the sessions list.
const (
	SessionsByStart      SessionSort = "start"
	SessionsByEnd        SessionSort = "end"
	SessionsByDuration   SessionSort = "duration"
	SessionsByTraces     SessionSort = "traces"
	SessionsBySpans      SessionSort = "spans"
	SessionsByErrors     SessionSort = "errors"
	SessionsByFailed     SessionSort = "failed"
	SessionsByErrorRate  SessionSort = "error_rate"
	SessionsByTokens     SessionSort = "tokens"
	SessionsByCost       SessionSort = "cost"
	SessionsByLatencyP50 SessionSort = "latency_p50"
	SessionsByLatencyP95 SessionSort = "latency_p95"
	SessionsBySessionID  SessionSort = "session_id"
	SessionsByUserID     SessionSort = "user_id"
	SessionsByRelevance  SessionSort = "relevance"
)

// SessionSorts are the accepted SessionFilter.Sort values.
var SessionSorts = []SessionSort{SessionsByStart, SessionsByEnd, SessionsByDuration, SessionsByTraces, SessionsBySpans, SessionsByErrors, SessionsByFailed, SessionsByErrorRate, SessionsByTokens, SessionsByCost, SessionsByLatencyP50, SessionsByLatencyP95, SessionsBySessionID, SessionsByUserID, SessionsByRelevance}

// SessionsByEval sorts the sessions list by each session's mean score of
// the named evaluation (parameter "eval:<name>"); sessions without a score
// for it come last in either order.
func SessionsByEval(name string) SessionSort { return SessionSort(evalSortPrefix + name) }

// Eval returns the evaluation name of a SessionsByEval order.
func (s SessionSort) Eval() (string, bool) { return strings.CutPrefix(string(s), evalSortPrefix) }

// UserSort is an order of the users list; the value is the sort parameter
// of the API and the pages.
type UserSort string

// The orders of the users list.
const (
	UsersByLastSeen   UserSort = "last_seen"
	UsersByFirstSeen  UserSort = "first_seen"
	UsersBySessions   UserSort = "sessions"
	UsersByTraces     UserSort = "traces"
	UsersByErrors     UserSort = "errors"
	UsersByFailed     UserSort = "failed"
	UsersByErrorRate  UserSort = "error_rate"
	UsersByTokens     UserSort = "tokens"
	UsersByCost       UserSort = "cost"
	UsersByLatencyP95 UserSort = "latency_p95"
	UsersByUserID     UserSort = "user_id"
)

// UserSorts are the accepted UserFilter.Sort values.
var UserSorts = []UserSort{UsersByLastSeen, UsersByFirstSeen, UsersBySessions, UsersByTraces, UsersByErrors, UsersByFailed, UsersByErrorRate, UsersByTokens, UsersByCost, UsersByLatencyP95, UsersByUserID}

// UsersByEval sorts the users list by each user's mean score of the named
// evaluation (parameter "eval:<name>"); users without a score for it come
// last in either order.
func UsersByEval(name string) UserSort { return UserSort(evalSortPrefix + name) }

// Eval returns the evaluation name of a UsersByEval order.
func (s UserSort) Eval() (string, bool) { return strings.CutPrefix(string(s), evalSortPrefix) }

// RankingQuery asks for the best or worst sessions or users by a metric.
type RankingQuery struct {
	// By is "session" or "user".
	By string
	// Metric is "error_rate", "latency_p95", "tokens", "cost" or
	// "eval:<name>" (mean score of that evaluation). Empty means the
	// evaluation scored most often, or "error_rate" when there is none.
	Metric string
	// Order is "worst" or "best". Worst means highest error rate, latency,
	// tokens and cost, and lowest evaluation score.
	Order string
	Limit int
	// Since and Until bound the activity considered, as in SessionFilter.
	Since, Until time.Time
}

// RankingRow is one ranked session or user.
type RankingRow struct {
	Rank int `json:"rank"`
	// ID is the session id or user id.
	ID    string  `json:"id"`
	Value float64 `json:"value"`
	// Samples is the number of values behind Value (turns, LLM calls or
	// evaluations).
	Samples int             `json:"samples"`
	Session *SessionSummary `json:"session,omitempty"`
	User    *UserSummary    `json:"user,omitempty"`
}

// Ranking is the answer to a RankingQuery.
type Ranking struct {
	By     string       `json:"by"`
	Metric string       `json:"metric"`
	Order  string       `json:"order"`
	Rows   []RankingRow `json:"rows"`
	// Tied is set when every session or user considered has the same
	// value (TiedValue): there is nothing to rank, and Rows is empty.
	Tied      bool    `json:"tied,omitempty"`
	TiedValue float64 `json:"tied_value,omitempty"`
}

// Overview is a count of everything stored.
type Overview struct {
	Spans        int64     `json:"spans"`
	Traces       int64     `json:"traces"`
	Sessions     int64     `json:"sessions"`
	Users        int64     `json:"users"`
	Errors       int64     `json:"errors"`
	Evaluations  int64     `json:"evaluations"`
	InputTokens  int64     `json:"input_tokens"`
	OutputTokens int64     `json:"output_tokens"`
	Cost         float64   `json:"cost"`
	First        time.Time `json:"first"`
	Last         time.Time `json:"last"`
	// EvaluationNames lists every gen_ai.evaluation.name seen, sorted.
	EvaluationNames []string `json:"evaluation_names"`
	// Models lists every model seen, sorted.
	Models []string `json:"models"`
	// Tags lists every tag seen, sorted.
	Tags []string `json:"tags"`
}
