package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/traceai-go/traceai/explorer/store"
)

// badge is a small coloured label.
type badge struct {
	Label, Class, Title string
}

type evalAgg struct {
	Name   string
	Count  int
	Mean   *float64
	Labels string
}

func evalAggs(m map[string]store.EvalAggregate) []evalAgg {
	out := make([]evalAgg, 0, len(m))
	for _, name := range slices.Sorted(maps.Keys(m)) {
		a := m[name]
		var ls []string
		for _, l := range slices.Sorted(maps.Keys(a.Labels)) {
			ls = append(ls, l+" ×"+strconv.Itoa(a.Labels[l]))
		}
		out = append(out, evalAgg{Name: name, Count: a.Count, Mean: a.Mean, Labels: strings.Join(ls, ", ")})
	}
	return out
}

type turnView struct {
	N int
	store.Turn
	Badges []badge
	// Match is set on the turns matching the page's search.
	Match      *store.TextMatch
	FirstMatch bool
}

type kv struct{ Key, Value string }

type sessionData struct {
	LatUnit durUnit // of the turns' latencies
	S       *store.SessionDetail
	Turns   []turnView
	Broken  []turnView
	Warned  []turnView // recovered retries and slow turns, not broken
	Chart   chart
	Meta    []kv
	Evals   []evalAgg
	// Search is the page's q; Matched the turns that match it.
	Search  string
	Matched []turnView
}

// reasonBadge turns a store.Turn reason into a badge.
func reasonBadge(t *store.Turn, reason string, median float64) badge {
	switch reason {
	case "error":
		msg := t.ErrorMessage
		if msg == "" {
			msg = "a span of this turn ended with status ERROR"
		}
		return badge{"error", "b-error", msg}
	case "retry":
		return badge{"retry ×" + strconv.Itoa(t.Retries), "b-retry", "the LLM call was retried"}
	case "refused":
		return badge{"refused", "b-refused", "the model refused to answer"}
	case "empty":
		return badge{"empty answer", "b-empty", "the model answered nothing"}
	case "slow":
		l := "slow"
		if median > 0 {
			l = fmt.Sprintf("slow ×%.1f", t.LatencyMS/median)
		}
		return badge{l, "b-slow", "latency " + fmtDuration(t.LatencyMS) + " vs session median " + fmtDuration(median)}
	}
	return badge{reason, "b-other", ""}
}

func (s *server) session(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	sd, err := s.q.GetSession(r.Context(), id)
	if err != nil {
		s.queryError(w, r, err, "Session")
		return
	}
	d := sessionData{S: sd, Evals: evalAggs(sd.Summary.Evaluations)}
	var lats []float64
	for i := range sd.Turns {
		lats = append(lats, sd.Turns[i].LatencyMS)
	}
	d.LatUnit = unitFor(lats...)
	for i := range sd.Turns {
		t := &sd.Turns[i]
		tv := turnView{N: i + 1, Turn: *t}
		for _, rsn := range t.Reasons {
			tv.Badges = append(tv.Badges, reasonBadge(t, rsn, sd.MedianLatencyMS))
		}
		d.Turns = append(d.Turns, tv)
		if t.Broken {
			d.Broken = append(d.Broken, tv)
		} else if t.Warning {
			d.Warned = append(d.Warned, tv)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(sd.Metadata)) {
		d.Meta = append(d.Meta, kv{k, metaText(sd.Metadata[k])})
	}
	d.Chart = turnChart(sd.Turns)
	if err := s.markMatches(r, &d); err != nil {
		s.queryError(w, r, err, "Session")
		return
	}
	s.render(w, r, http.StatusOK, "session", page{Title: "Session " + id, Nav: "sessions", Data: d})
}

// chart is the server-rendered SVG of latency (line) and tokens (bars) per
// turn.
type chart struct {
	W, H        int
	Left, Right float64 // plot x range
	Top, Bottom float64 // plot y range
	Bars        []chartBar
	Line        string
	Dots        []chartDot
	MaxTokens   string
	MaxLatency  string
	MidTokens   string
	MidLatency  string
	MidY        float64
	Labels      []chartLabel
	Empty       bool
}

type chartBar struct {
	X, Y, W, H float64
	Class      string
	Href       string
	Title      string
}

type chartDot struct {
	X, Y  float64
	Class string
}

type chartLabel struct {
	X    float64
	Text string
}

func turnChart(turns []store.Turn) chart {
	c := chart{W: 1000, H: 170, Left: 56, Right: 1000 - 64, Top: 10, Bottom: 170 - 24}
	if len(turns) == 0 {
		c.Empty = true
		return c
	}
	var maxTok int64
	var maxLat float64
	for _, t := range turns {
		maxTok = max(maxTok, t.Tokens)
		maxLat = max(maxLat, t.LatencyMS)
	}
	if maxTok == 0 {
		maxTok = 1
	}
	if maxLat == 0 {
		maxLat = 1
	}
	c.MaxTokens, c.MidTokens = fmtTokens(maxTok), fmtTokens(maxTok/2)
	c.MaxLatency, c.MidLatency = fmtDuration(maxLat), fmtDuration(maxLat/2)
	c.MidY = round1((c.Top + c.Bottom) / 2)
	ph := c.Bottom - c.Top
	slot := (c.Right - c.Left) / float64(len(turns))
	bw := math.Min(slot*0.6, 40)
	every := int(math.Ceil(float64(len(turns)) / 20)) // at most ~20 axis labels
	var pts strings.Builder
	for i, t := range turns {
		cx := c.Left + slot*(float64(i)+0.5)
		h := float64(t.Tokens) / float64(maxTok) * ph
		if t.Tokens > 0 && h < 1 {
			h = 1
		}
		class := "bar"
		if t.Broken {
			class = "bar broken"
		} else if t.Warning {
			class = "bar warned"
		}
		title := fmt.Sprintf("Turn %d: %s, %s tokens", i+1, fmtDuration(t.LatencyMS), fmtInt(t.Tokens))
		if len(t.Reasons) > 0 {
			title += " — " + strings.Join(t.Reasons, ", ")
		}
		c.Bars = append(c.Bars, chartBar{X: round1(cx - bw/2), Y: round1(c.Bottom - h), W: round1(bw), H: round1(h),
			Class: class, Href: "#turn-" + strconv.Itoa(i+1), Title: title})
		y := c.Bottom - t.LatencyMS/maxLat*ph
		if pts.Len() > 0 {
			pts.WriteByte(' ')
		}
		fmt.Fprintf(&pts, "%g,%g", round1(cx), round1(y))
		dc := "dot"
		if t.Broken {
			dc = "dot broken"
		} else if t.Warning {
			dc = "dot warned"
		}
		c.Dots = append(c.Dots, chartDot{X: round1(cx), Y: round1(y), Class: dc})
		if i%every == 0 {
			c.Labels = append(c.Labels, chartLabel{X: round1(cx), Text: strconv.Itoa(i + 1)})
		}
	}
	c.Line = pts.String()
	return c
}

// Trace page.

type spanRow struct {
	*store.Span
	Depth    int // capped for indentation classes
	BarX     float64
	BarW     float64
	BarClass string
	KindCls  string
	Kind     string
	Selected bool
	URL      string
	Parent   bool
	Offset   string
}

type attrView struct {
	Key, Value string
	Block      bool
}

type eventView struct {
	Name, Offset string
	Attrs        []attrView
}

type spanDetail struct {
	*store.Span
	Hidden    bool
	KindCls   string
	Kind      string
	Attrs     []attrView
	Events    []eventView
	More      string // what the page leaves out of this span, "" for nothing
	ResourceN int    // the number of its resource in traceData.Resources, 0 for none shown
	Offset    string
}

type traceData struct {
	T             *store.TraceDetail
	Rows          []spanRow
	MoreRows      int // spans past maxTraceRows, not in the waterfall
	Details       []spanDetail
	Resources     []resourceView
	MoreResources int // spans whose resource is past maxResources
	JSONURL       string
	Ticks         []string
	Errors        int
	Unit          durUnit // of the spans' durations
	res           resourceSet
}

// preRenderLimit is the largest trace whose every span's details are sent at
// once, so the script can switch between them without a round trip.
const preRenderLimit = 60

var kindClasses = map[string]string{
	"LLM": "k-llm", "CHAIN": "k-chain", "TOOL": "k-tool", "AGENT": "k-agent",
	"RETRIEVER": "k-retriever", "EMBEDDING": "k-embedding", "RERANKER": "k-reranker",
	"GUARDRAIL": "k-guardrail", "EVALUATOR": "k-evaluator", "CONVERSATION": "k-conversation",
}

func kindOf(sp *store.Span) (label, class string) {
	if sp.SpanKind != "" {
		if c, ok := kindClasses[sp.SpanKind]; ok {
			return sp.SpanKind, c
		}
		return sp.SpanKind, "k-other"
	}
	k := sp.Kind
	if k == "" {
		k = "SPAN"
	}
	return k, "k-otel"
}

func (s *server) trace(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	td, err := s.q.GetTrace(r.Context(), id)
	if err != nil {
		s.queryError(w, r, err, "Trace")
		return
	}
	sel := r.URL.Query().Get("span")
	if sel == "" && len(td.Spans) > 0 {
		sel = td.Spans[0].SpanID
	}
	total := td.DurationMS
	if total <= 0 {
		total = 1
	}
	path := "/traces/" + url.PathEscape(id)
	d := traceData{T: td}
	d.Unit = unitFor(td.DurationMS)
	for i := 0; i <= 4; i++ {
		d.Ticks = append(d.Ticks, fmtDurIn(d.Unit, td.DurationMS*float64(i)/4))
	}
	all := len(td.Spans) <= preRenderLimit
	found := false
	budget, resBudget := maxDetailBytes, maxDetailBytes
	for i := range td.Spans {
		sp := &td.Spans[i]
		label, cls := kindOf(sp)
		off := float64(sp.Start.Sub(td.Start).Microseconds()) / 1000
		x := math.Max(0, off/total*1000)
		wdt := math.Max(sp.DurationMS/total*1000, 3)
		if x+wdt > 1000 {
			x = math.Max(0, 1000-wdt)
		}
		bc := "bar " + cls
		if sp.StatusCode == "ERROR" {
			bc = "bar st-error"
			d.Errors++
		}
		row := spanRow{Span: sp, Depth: min(sp.Depth, 20), BarX: round1(x), BarW: round1(wdt), BarClass: bc,
			KindCls: cls, Kind: label, Selected: sp.SpanID == sel, URL: path + "?span=" + url.QueryEscape(sp.SpanID),
			Parent: i+1 < len(td.Spans) && td.Spans[i+1].Depth > sp.Depth, Offset: "+" + fmtDurIn(d.Unit, off)}
		found = found || row.Selected
		if i < maxTraceRows || row.Selected {
			d.Rows = append(d.Rows, row)
		} else {
			d.MoreRows++
		}
		// Every detail sent hidden comes out of one budget; the selected
		// span's has one of its own, so it always shows.
		b := &budget
		if row.Selected {
			own := maxDetailBytes
			b = &own
		} else if !all || i >= maxTraceRows || detailBytes(sp) > budget {
			continue
		}
		attrs, more := boundedViews(sp.Attributes, b)
		events, lost := boundedEvents(sp, b)
		more += lost
		sd := spanDetail{Span: sp, Hidden: !row.Selected, KindCls: cls, Kind: label, Attrs: attrs, Events: events,
			Offset: row.Offset, ResourceN: d.res.add(sp.Resource, &resBudget)}
		if more > 0 {
			sd.More = moreAttrs(more) + " or events"
		}
		d.Details = append(d.Details, sd)
	}
	d.Resources, d.MoreResources = d.res.list, d.res.over
	d.JSONURL = "/api/traces/" + url.PathEscape(id)
	if !found && r.URL.Query().Get("span") != "" {
		s.fail(w, r, http.StatusNotFound, "Span not found in this trace.")
		return
	}
	s.render(w, r, http.StatusOK, "trace", page{Title: "Trace " + shortID(id), Nav: "", Data: d})
}

func attrViews(as []store.Attribute) []attrView {
	out := make([]attrView, 0, len(as))
	for _, a := range as {
		v, block := attrValue(a.Value)
		out = append(out, attrView{Key: a.Key, Value: v, Block: block})
	}
	slices.SortStableFunc(out, func(a, b attrView) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// attrValue renders an attribute value as text; JSON documents and lists are
// indented and shown as a block. What one value can add to a page is
// bounded: indentation only below maxIndentBytes and maxIndentDepth (a
// deeply nested value would grow quadratically), and at most maxValueBytes
// of text.
func attrValue(v any) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "null", false
	case string:
		t := strings.TrimSpace(x)
		if len(t) > 1 && (t[0] == '{' || t[0] == '[') && json.Valid([]byte(t)) {
			return jsonValue([]byte(t))
		}
		return capValue(x), strings.Contains(x, "\n") || len(x) > 120
	case bool:
		return strconv.FormatBool(x), false
	case int64:
		return strconv.FormatInt(x, 10), false
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), false
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return capValue(fmt.Sprint(x)), false
		}
		return jsonValue(b)
	}
}

// Bounds of one rendered value (see attrValue).
const (
	maxIndentBytes = 64 << 10
	maxIndentDepth = 32
	maxValueBytes  = 64 << 10
)

// jsonValue renders valid JSON: inline when short, indented when small and
// shallow enough, else compact; capped.
func jsonValue(doc []byte) (string, bool) {
	var b bytes.Buffer
	if json.Compact(&b, doc) != nil {
		return capValue(string(doc)), true
	}
	if b.Len() <= shortJSON {
		return b.String(), false
	}
	if b.Len() <= maxIndentBytes && jsonDepth(b.Bytes()) <= maxIndentDepth {
		var ib bytes.Buffer
		if json.Indent(&ib, b.Bytes(), "", "  ") == nil {
			return capValue(ib.String()), true
		}
	}
	return capValue(b.String()), true
}

// jsonDepth is the deepest nesting of objects and arrays in compact JSON.
func jsonDepth(b []byte) int {
	depth, deepest, inStr, esc := 0, 0, false, false
	for _, c := range b {
		switch {
		case inStr:
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			}
		case c == '"':
			inStr = true
		case c == '{' || c == '[':
			depth++
			deepest = max(deepest, depth)
		case c == '}' || c == ']':
			depth--
		}
	}
	return deepest
}

// capValue cuts s to maxValueBytes on a rune boundary, saying how much is
// left out and where the whole value is.
func capValue(s string) string {
	if len(s) <= maxValueBytes {
		return s
	}
	n := maxValueBytes
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + fmt.Sprintf("\n… %d more bytes not shown (the JSON API, /api/traces/{id}, has the whole value)", len(s)-n)
}

// shortJSON is the longest JSON value shown inline rather than indented.
const shortJSON = 80

// Rankings page.

type rankRow struct {
	store.RankingRow
	URL   string
	Value string
	BarW  float64
	Sub   string
}

type rankTable struct {
	Title string
	Class string
	Rows  []rankRow
	// Tied: every row has the same value, TiedValue, so none is listed.
	Tied      bool
	TiedValue string
}

// formTime is t as a datetime-local input shows it (UTC), "" for no time.
func formTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	if t.Second() != 0 || t.Nanosecond() != 0 {
		return t.UTC().Format("2006-01-02T15:04:05")
	}
	return t.UTC().Format("2006-01-02T15:04")
}

type rankingsData struct {
	Since, Until string // the time filter, as the form's inputs show it
	Presets      []preset
	AllTimeURL   string // drops the time filter; "" without one
	By           []option
	Metrics      []option
	Limits       []option
	ByValue      string
	Metric       string
	Label        string
	Worst        rankTable
	Best         rankTable
}

var metricLabels = []option{
	{Value: "error_rate", Label: "Error rate"},
	{Value: "latency_p95", Label: "p95 LLM latency"},
	{Value: "tokens", Label: "Tokens"},
	{Value: "cost", Label: "Cost"},
}

func fmtMetric(metric string, v float64) string {
	switch {
	case metric == "error_rate":
		return fmtPct(v)
	case metric == "latency_p95":
		return fmtDuration(v)
	case metric == "tokens":
		return fmtTokens(int64(v))
	case metric == "cost":
		return fmtCost(v, true)
	}
	return sig3(v)
}

func (s *server) rankings(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	by := q.Get("by")
	if by == "" {
		by = "session"
	}
	if by != "session" && by != "user" {
		s.fail(w, r, http.StatusBadRequest, "invalid by: want session or user")
		return
	}
	metric := q.Get("metric")
	since, until, err := readTimes(q, s.cfg.now())
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, err.Error())
		return
	}
	limit := 10
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			s.fail(w, r, http.StatusBadRequest, "invalid limit: want 1..100")
			return
		}
		limit = n
	}
	// Without a metric the store picks one (the evaluation scored most
	// often, else the error rate); the worst table is that answer.
	var worst *store.Ranking
	if metric == "" {
		rk, err := s.q.Rankings(r.Context(), store.RankingQuery{By: by, Order: "worst", Limit: limit, Since: since, Until: until})
		if err != nil {
			s.queryError(w, r, err, "Ranking")
			return
		}
		worst, metric = rk, rk.Metric
	}
	ov := s.overview(r.Context())
	d := rankingsData{ByValue: by, Metric: metric, Since: formTime(since), Until: formTime(until)}
	for _, p := range rangePresets {
		d.Presets = append(d.Presets, preset{Label: p.Label, Active: q.Get("range") == p.Key,
			URL: withParams("/rankings", q, "range", p.Key, "since", "")})
	}
	if q.Get("range") != "" || q.Get("since") != "" || q.Get("until") != "" {
		d.AllTimeURL = withParams("/rankings", q, "range", "", "since", "", "until", "")
	}
	d.By = []option{{"session", "Sessions", by == "session"}, {"user", "Users", by == "user"}}
	known := false
	for _, m := range metricLabels {
		m.Selected = m.Value == metric
		known = known || m.Selected
		d.Metrics = append(d.Metrics, m)
		if m.Selected {
			d.Label = m.Label
		}
	}
	for _, name := range ov.EvaluationNames {
		m := option{Value: "eval:" + name, Label: "Evaluation: " + name, Selected: metric == "eval:"+name}
		known = known || m.Selected
		d.Metrics = append(d.Metrics, m)
		if m.Selected {
			d.Label = m.Label
		}
	}
	if !known {
		if name, ok := strings.CutPrefix(metric, "eval:"); ok && name != "" {
			d.Label = "Evaluation: " + name
			d.Metrics = append(d.Metrics, option{Value: metric, Label: d.Label, Selected: true})
		} else {
			s.fail(w, r, http.StatusBadRequest, "invalid metric: want error_rate, latency_p95, tokens, cost or eval:<name>")
			return
		}
	}
	for _, n := range []int{5, 10, 25, 50} {
		d.Limits = append(d.Limits, option{Value: strconv.Itoa(n), Label: "Top " + strconv.Itoa(n), Selected: n == limit})
	}
	tables := []struct {
		order string
		into  *rankTable
		title string
		class string
	}{{"worst", &d.Worst, "Worst", "worst"}, {"best", &d.Best, "Best", "best"}}
	for _, t := range tables {
		rk := worst
		if t.order != "worst" || rk == nil {
			var err error
			if rk, err = s.q.Rankings(r.Context(), store.RankingQuery{By: by, Metric: metric, Order: t.order, Limit: limit, Since: since, Until: until}); err != nil {
				s.queryError(w, r, err, "Ranking")
				return
			}
		}
		t.into.Title, t.into.Class = t.title, t.class
		if rk.Tied {
			t.into.Tied, t.into.TiedValue = true, fmtMetric(metric, rk.TiedValue)
		}
		var top float64
		for _, row := range rk.Rows {
			top = math.Max(top, math.Abs(row.Value))
		}
		unit := unitFor(top) // one unit for the table's latencies
		for _, row := range rk.Rows {
			rr := rankRow{RankingRow: row, Value: fmtMetric(metric, row.Value)}
			if metric == "latency_p95" {
				rr.Value = fmtDurIn(unit, row.Value)
			}
			if top > 0 {
				rr.BarW = round1(math.Abs(row.Value) / top * 100)
			}
			if by == "session" {
				rr.URL = "/sessions/" + url.PathEscape(row.ID)
				if row.Session != nil {
					rr.Sub = fmt.Sprintf("%s · %d turns", row.Session.UserID, row.Session.Traces)
				}
			} else {
				rr.URL = "/users/" + url.PathEscape(row.ID)
				if row.User != nil {
					rr.Sub = fmt.Sprintf("%d sessions · %d turns", row.User.Sessions, row.User.Traces)
				}
			}
			t.into.Rows = append(t.into.Rows, rr)
		}
	}
	s.render(w, r, http.StatusOK, "rankings", page{Title: "Rankings", Nav: "rankings", Overview: ov, Data: d})
}

// metaText prints a typed metadata value as the application wrote it:
// strings bare, everything else as JSON.
func metaText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
