package web

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/traceai-go/traceai/explorer/store"
)

// The dashboard: headline figures against the previous period, a chart per
// metric over time, and a groups table, every bar and row a link to the
// sessions behind it. Charts are SVG drawn here: no script, no external
// asset, the page's CSP unchanged.

// dashMetric is a chart of the dashboard.
type dashMetric struct {
	Key, Label string
	// Worse is the direction that is bad: "up" for rates, latency and
	// cost, "down" for evaluation scores, "" for plain counts.
	Worse string
}

var dashMetrics = []dashMetric{
	{"traces", "Turns", ""},
	{"broken_rate", "Broken turns", "up"},
	{"error_rate", "Turns with errors", "up"},
	{"latency_p95", "Latency p95", "up"},
	{"cost", "Cost", "up"},
}

var dashGroupBys = []option{{"model", "Model", false}, {"prompt_template_version", "Prompt version", false},
	{"prompt_template", "Prompt template", false}, {"user", "User", false}, {"tag", "Tag", false},
	{"span_kind", "Span kind", false}}

type dashHeadline struct {
	Label, Value, Prev, Delta string
	Class                     string // "worse", "better" or ""
}

type dashBar struct {
	X, Y, W, H float64
	URL, Title string
}

type dashChart struct {
	Key, Label, Last string
	Bars             []dashBar
	Max              string
	First, End       string
	Empty            bool
}

type dashCell struct {
	Value, Class string
}

type dashRow struct {
	Key, URL string
	Cells    []dashCell
}

type dashboardData struct {
	Ranges    []option
	GroupBys  []option
	Range     string
	By        string
	Headlines []dashHeadline
	Charts    []dashChart
	Columns   []string
	Rows      []dashRow
	Total     []dashCell
	Interval  string
}

var dashRanges = []struct {
	Key   string
	Label string
	D     time.Duration
}{{"1h", "1 hour", time.Hour}, {"24h", "24 hours", 24 * time.Hour}, {"7d", "7 days", 7 * 24 * time.Hour}, {"30d", "30 days", 30 * 24 * time.Hour}}

func (s *server) dashboard(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	rng := q.Get("range")
	if rng == "" {
		rng = "24h"
	}
	var span time.Duration
	for _, p := range dashRanges {
		if p.Key == rng {
			span = p.D
		}
	}
	if span == 0 {
		s.fail(w, r, http.StatusBadRequest, "invalid range: use one of 1h, 24h, 7d, 30d")
		return
	}
	by := q.Get("by")
	if by == "" {
		by = "model"
	}
	ok := strings.HasPrefix(by, store.GroupByMetadataPrefix)
	d := dashboardData{Range: rng, By: by}
	for _, p := range dashRanges {
		d.Ranges = append(d.Ranges, option{p.Key, p.Label, p.Key == rng})
	}
	for _, g := range dashGroupBys {
		g.Selected = g.Value == by
		ok = ok || g.Selected
		d.GroupBys = append(d.GroupBys, g)
	}
	if !ok {
		s.fail(w, r, http.StatusBadRequest, "invalid by: use model, prompt_template, prompt_template_version, user, tag, span_kind or metadata:<key>")
		return
	}
	now := s.cfg.now().UTC()
	until := now.Truncate(time.Minute).Add(time.Minute)
	since := until.Add(-span)
	ctx := r.Context()
	cur, err := s.q.Groups(ctx, store.GroupQuery{By: by, TurnFilter: store.TurnFilter{Since: since, Until: until}, Limit: 20})
	if err != nil {
		s.queryError(w, r, err, "Dashboard")
		return
	}
	prev, err := s.q.Groups(ctx, store.GroupQuery{By: by, TurnFilter: store.TurnFilter{Since: since.Add(-span), Until: since}, Limit: 1})
	if err != nil {
		s.queryError(w, r, err, "Dashboard")
		return
	}
	ov := s.overview(ctx)
	metrics := append([]dashMetric(nil), dashMetrics...)
	for _, name := range ov.EvaluationNames {
		metrics = append(metrics, dashMetric{"eval:" + name, "Evaluation: " + name, "down"})
	}
	d.Headlines = headlines(cur.Total, prev.Total, metrics)
	for _, m := range metrics {
		c, err := s.chart(ctx, m, since, until)
		if err != nil {
			s.queryError(w, r, err, "Dashboard")
			return
		}
		d.Interval = c.interval
		d.Charts = append(d.Charts, c.dashChart)
	}
	d.Columns, d.Rows, d.Total = groupTable(cur, metrics, since, until)
	s.render(w, r, http.StatusOK, "dashboard", page{Title: "Dashboard", Nav: "dashboard", Overview: ov, Data: d})
}

func fmtDash(key string, v float64) string {
	switch key {
	case "traces":
		return fmtInt(int64(v))
	case "broken_rate", "error_rate":
		return fmtPct(v)
	case "latency_p95":
		return fmtDuration(v)
	case "cost":
		return fmtCost(v, true)
	}
	return sig3(v)
}

func headlines(cur, prev store.GroupStats, metrics []dashMetric) []dashHeadline {
	var out []dashHeadline
	for _, m := range metrics {
		v, ok := cur.Value(m.Key)
		h := dashHeadline{Label: m.Label, Value: "—", Prev: "—"}
		if ok {
			h.Value = fmtDash(m.Key, v)
		}
		p, pok := prev.Value(m.Key)
		if pok {
			h.Prev = fmtDash(m.Key, p)
		}
		if ok && pok && v != p {
			diff := v - p
			switch {
			case strings.HasSuffix(m.Key, "_rate"):
				h.Delta = fmt.Sprintf("%+.1f pts", diff*100)
			case p != 0:
				h.Delta = fmt.Sprintf("%+.0f%%", diff/math.Abs(p)*100)
			default:
				h.Delta = "+" + fmtDash(m.Key, diff) // from nothing
			}
			if (m.Worse == "up" && diff > 0) || (m.Worse == "down" && diff < 0) {
				h.Class = "worse"
			} else if m.Worse != "" {
				h.Class = "better"
			}
		}
		out = append(out, h)
	}
	return out
}

type chartOut struct {
	dashChart
	interval string
}

// chart draws one metric over the range as bars, 100 by 40 user units.
func (s *server) chart(ctx context.Context, m dashMetric, since, until time.Time) (chartOut, error) {
	ts, err := s.q.Timeseries(ctx, store.TimeseriesQuery{Metric: m.Key, TurnFilter: store.TurnFilter{Since: since, Until: until}})
	if err != nil {
		return chartOut{}, err
	}
	c := chartOut{dashChart: dashChart{Key: m.Key, Label: m.Label, Empty: true}, interval: ts.Interval}
	if len(ts.Series) == 0 || len(ts.Series[0].Points) == 0 {
		return c, nil
	}
	pts := ts.Series[0].Points
	top := 0.0
	for _, p := range pts {
		if p.Value != nil {
			top = math.Max(top, *p.Value)
			c.Empty = c.Empty && *p.Value == 0 && m.Worse != "down"
		}
	}
	if strings.HasPrefix(m.Key, "eval:") {
		top = math.Max(top, 1)
	}
	w := 100 / float64(len(pts))
	step := pts[0].T
	if len(pts) > 1 {
		step = pts[1].T
	}
	iv := step.Sub(pts[0].T)
	for i, p := range pts {
		if p.Value == nil || top == 0 || *p.Value == 0 && m.Worse != "down" {
			continue // no turns, or a zero: no bar to follow
		}
		h := *p.Value / top * 38
		if h < 0.6 && *p.Value > 0 {
			h = 0.6
		}
		end := p.T.Add(iv)
		v := url.Values{"since": {p.T.Format(time.RFC3339)}, "until": {end.Format(time.RFC3339)}}
		if m.Key == "broken_rate" || m.Key == "error_rate" {
			v.Set("has_errors", "true")
		}
		c.Bars = append(c.Bars, dashBar{X: round1(float64(i)*w + w*0.1), Y: round1(40 - h), W: round1(w * 0.8), H: round1(h),
			URL:   "/?" + v.Encode(),
			Title: fmt.Sprintf("%s: %s (%d turns)", p.T.Format("Jan 2 15:04"), fmtDash(m.Key, *p.Value), p.Samples)})
		c.Last = fmtDash(m.Key, *p.Value)
	}
	c.Max = fmtDash(m.Key, top)
	c.First = pts[0].T.Format("Jan 2 15:04")
	c.End = until.Format("Jan 2 15:04")
	return c, nil
}

// groupTable lays out the groups with the worst and best value of each
// column marked, and a link from each row to its sessions.
func groupTable(g *store.Groups, metrics []dashMetric, since, until time.Time) ([]string, []dashRow, []dashCell) {
	cols := []string{"Sessions"}
	for _, m := range metrics {
		cols = append(cols, m.Label)
	}
	// A column of latencies reads in one unit: its largest value's.
	var lats []float64
	for _, x := range append([]store.GroupStats{g.Total}, g.Groups...) {
		if v, ok := x.Value("latency_p95"); ok {
			lats = append(lats, v)
		}
	}
	unit := unitFor(lats...)
	cells := func(x *store.GroupStats) []dashCell {
		out := []dashCell{{Value: fmtInt(x.Sessions)}}
		for _, m := range metrics {
			c := dashCell{Value: "—"}
			if v, ok := x.Value(m.Key); ok {
				c.Value = fmtDash(m.Key, v)
				if m.Key == "latency_p95" {
					c.Value = fmtDurIn(unit, v)
				}
			}
			out = append(out, c)
		}
		return out
	}
	var rows []dashRow
	for i := range g.Groups {
		x := &g.Groups[i]
		v := url.Values{"since": {since.Format(time.RFC3339)}, "until": {until.Format(time.RFC3339)}}
		switch {
		case g.By == store.GroupByModel:
			v.Set("model", x.Key)
		case g.By == store.GroupByUser:
			v.Set("user_id", x.Key)
		case g.By == store.GroupByTag:
			v.Set("tag", x.Key)
		case g.By == store.GroupByPromptTemplate:
			v.Set("prompt_template", x.Key)
		case g.By == store.GroupBySpanKind:
			// Sessions are not filtered by span kind: the row opens the
			// range's sessions.
		case g.By == store.GroupByPromptTemplateVersion:
			name, ver, _ := strings.Cut(x.Key, ":")
			v.Set("prompt_template", name)
			v.Set("prompt_version", ver)
		default:
			v.Set("metadata_key", strings.TrimPrefix(g.By, store.GroupByMetadataPrefix))
			v.Set("metadata_value", x.Key)
		}
		key := x.Key
		if key == "" {
			key = "(none)"
		}
		rows = append(rows, dashRow{Key: key, URL: "/?" + v.Encode(), Cells: cells(x)})
	}
	// Mark the worst and the best group of each judged column.
	if len(rows) > 1 {
		for j, m := range metrics {
			if m.Worse == "" {
				continue
			}
			wi, bi := -1, -1
			var wv, bv float64
			for i := range g.Groups {
				v, ok := g.Groups[i].Value(m.Key)
				if !ok {
					continue
				}
				bad := v
				if m.Worse == "down" {
					bad = -v
				}
				if wi < 0 || bad > wv {
					wi, wv = i, bad
				}
				if bi < 0 || bad < bv {
					bi, bv = i, bad
				}
			}
			if wi >= 0 && wv != bv {
				rows[wi].Cells[j+1].Class = "worse"
				rows[bi].Cells[j+1].Class = "better"
			}
		}
	}
	return cols, rows, cells(&g.Total)
}
