package store

import "time"

// TurnFilter selects the turns (traces, evaluation-only ones left out) a
// dashboard figure is computed over. Zero fields do not filter.
type TurnFilter struct {
	// Since and Until bound the turn's start: Since <= start < Until.
	Since, Until time.Time
	UserID       string
	// Tag keeps the turns of sessions with this tag.
	Tag string
	// Model keeps the turns whose final LLM call used this model.
	Model string
	// MetadataKey and MetadataValue keep the turns of sessions with this
	// metadata (any value when MetadataValue is empty).
	MetadataKey, MetadataValue string
}

// GroupBy dimensions of Groups and Timeseries.
const (
	// GroupByModel splits turns by the model of their final LLM call: a
	// partition of the turns.
	GroupByModel = "model"
	// GroupByUser splits turns by user.id: a partition of the turns.
	GroupByUser = "user"
	// GroupByTag puts a turn in the group of each of its session's tags.
	GroupByTag = "tag"
	// GroupByMetadataPrefix, followed by a key, puts a turn in the group of
	// its session's value of that metadata key.
	GroupByMetadataPrefix = "metadata:"
	// GroupByPromptTemplate splits turns by gen_ai.prompt.template.name.
	GroupByPromptTemplate = "prompt_template"
	// GroupByPromptTemplateVersion splits turns by template and version,
	// as "name:version", to compare versions side by side.
	GroupByPromptTemplateVersion = "prompt_template_version"
	// GroupBySpanKind puts a turn in the group of each span kind it holds
	// (LLM, TOOL, CHAIN, ...); a group's errors count the turns where a
	// span of that kind failed, its latencies are of those spans, and
	// GroupStats.Spans counts them. Groups only, not a series dimension.
	GroupBySpanKind = "span_kind"
)

// GroupQuery asks for turn figures per group.
type GroupQuery struct {
	TurnFilter
	// By is GroupByModel, GroupByUser, GroupByTag or GroupByMetadataPrefix
	// and a key.
	By string
	// Sort is a GroupStats field's JSON name ("traces" by default) or
	// "eval:<name>"; Desc orders descending.
	Sort string
	Desc bool
	// Limit bounds the groups returned, 1..MaxLimit; 0 means DefaultLimit.
	Limit int
}

// GroupStats are the figures of a set of turns.
type GroupStats struct {
	// Key names the group ("" for turns without a value, e.g. no model).
	Key      string `json:"key"`
	Sessions int64  `json:"sessions"`
	Traces   int64  `json:"traces"`
	// Spans counts the group's spans under GroupBySpanKind (else 0).
	Spans int64 `json:"spans,omitempty"`
	// Errors counts turns with at least one failed span, recovered retries
	// included; ErrorRate is Errors / Traces.
	Errors    int64   `json:"errors"`
	ErrorRate float64 `json:"error_rate"`
	// Failed counts failed turns (error, refusal, empty or missing answer);
	// BrokenRate is Failed / Traces.
	Failed     int64   `json:"failed"`
	BrokenRate float64 `json:"broken_rate"`
	// P50LatencyMS and P95LatencyMS are percentiles of the turns' durations.
	P50LatencyMS float64 `json:"latency_p50"`
	P95LatencyMS float64 `json:"latency_p95"`
	InputTokens  int64   `json:"input_tokens"`
	OutputTokens int64   `json:"output_tokens"`
	TotalTokens  int64   `json:"tokens"`
	Cost         float64 `json:"cost"`
	// Evaluations aggregates the evaluations of the group's turns by name.
	Evaluations map[string]EvalAggregate `json:"evaluations"`
}

// Groups is the answer to a GroupQuery.
type Groups struct {
	By     string       `json:"by"`
	Groups []GroupStats `json:"groups"`
	// Total is the figures of every turn the filter keeps, each counted
	// once whatever its groups.
	Total GroupStats `json:"total"`
}

// Timeseries metrics.
var TimeseriesMetrics = []string{"sessions", "traces", "users", "errors", "error_rate", "broken_rate",
	"latency_p50", "latency_p95", "tokens", "cost"}

// TimeseriesQuery asks for one metric over time.
type TimeseriesQuery struct {
	TurnFilter
	// Metric is one of TimeseriesMetrics or "eval:<name>" (the mean score).
	Metric string
	// Interval is the bucket width, 1m to 1d; 0 chooses one giving about
	// 60 buckets over the range.
	Interval time.Duration
	// GroupBy, when set (as GroupQuery.By), gives one series per group: the
	// MaxSeries largest by turns.
	GroupBy string
}

// MaxSeries bounds the series of a grouped timeseries.
const MaxSeries = 10

// Point is one bucket of a series. Value is nil for a mean (a rate, a
// latency, an evaluation) with no samples in the bucket.
type Point struct {
	T       time.Time `json:"t"`
	Value   *float64  `json:"value"`
	Samples int64     `json:"samples"`
}

// Series is one line of a timeseries.
type Series struct {
	Key    string  `json:"key"`
	Points []Point `json:"points"`
}

// Timeseries is the answer to a TimeseriesQuery.
type Timeseries struct {
	Metric   string    `json:"metric"`
	Interval string    `json:"interval"`
	Since    time.Time `json:"since"`
	Until    time.Time `json:"until"`
	Series   []Series  `json:"series"`
}
