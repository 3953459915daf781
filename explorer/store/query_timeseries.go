package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// intervals are the bucket widths Timeseries chooses from.
var intervals = []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour}

// maxBuckets bounds the points of one series.
const maxBuckets = 1500

// FormatInterval writes an interval as the API reads it: 1m, 15m, 1h, 1d.
func FormatInterval(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	default:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
}

func validMetric(m string) bool {
	if name, ok := strings.CutPrefix(m, "eval:"); ok {
		return name != ""
	}
	return slices.Contains(TimeseriesMetrics, m)
}

// Timeseries returns q.Metric over time in buckets of q.Interval, one
// series per group with q.GroupBy. Buckets without turns are there: zero
// for counts, a nil value for means. A *FilterError reports a bad query.
func (s *Store) Timeseries(ctx context.Context, q TimeseriesQuery) (*Timeseries, error) {
	if !validMetric(q.Metric) {
		return nil, &FilterError{"metric", fmt.Sprintf("unknown metric %q (one of %s, eval:<name>)", q.Metric, strings.Join(TimeseriesMetrics, ", "))}
	}
	if q.Interval != 0 && (q.Interval < time.Minute || q.Interval > 24*time.Hour || q.Interval%time.Minute != 0) {
		return nil, &FilterError{"interval", "must be whole minutes from 1m to 1d"}
	}
	f := q.TurnFilter
	until := f.Until
	if until.IsZero() {
		until = time.Now()
	}
	since := f.Since
	if since.IsZero() {
		// From the first turn the filter keeps.
		first, err := s.firstTurn(ctx, f)
		if err != nil {
			return nil, err
		}
		since = first
		if since.IsZero() || !since.Before(until) {
			since = until.Add(-time.Hour)
		}
	}
	if !since.Before(until) {
		return nil, &FilterError{"since", "must be before until"}
	}
	span := until.Sub(since)
	iv := q.Interval
	if iv == 0 {
		iv = intervals[len(intervals)-1]
		for _, d := range intervals {
			if span/d <= 60 {
				iv = d
				break
			}
		}
	}
	since = since.Truncate(iv)
	n := int((until.Sub(since) + iv - 1) / iv)
	if n > maxBuckets {
		return nil, &FilterError{"interval", fmt.Sprintf("%s gives %d buckets over the range; at most %d", FormatInterval(iv), n, maxBuckets)}
	}
	f.Since, f.Until = since, until
	bucket := func(start int64) int { return int((start - since.UnixNano()) / int64(iv)) }

	evalName, isEval := strings.CutPrefix(q.Metric, "eval:")
	by := q.GroupBy
	if by == GroupBySpanKind {
		return nil, &FilterError{"group_by", "span_kind groups a turn's spans, not turns over time: use /api/groups?by=span_kind"}
	}
	series := map[string][]*acc{}
	get := func(key string, b int) *acc {
		s := series[key]
		if s == nil {
			s = make([]*acc, n)
			series[key] = s
		}
		if s[b] == nil {
			s[b] = newAcc()
		}
		return s[b]
	}
	turns := map[string]int64{} // turns per key, to keep the largest series
	parts := rowParts{latency: q.Metric == "latency_p50" || q.Metric == "latency_p95",
		sessions: q.Metric == "sessions", users: q.Metric == "users", evals: isEval}
	sink := turnSink{
		turn: func(t *turn) {
			if b := bucket(t.start); b >= 0 && b < n {
				turns[t.key]++
				if !isEval {
					get(t.key, b).add(t)
				}
			}
		},
		row: func(r *hourRow, _ bool) error {
			b := bucket(r.hour * hourNS)
			if b < 0 || b >= n {
				return nil
			}
			turns[r.key] += r.traces
			return get(r.key, b).addRow(r, parts)
		},
	}
	if isEval {
		sink.eval = func(e *turnEval) {
			if b := bucket(e.start); b >= 0 && b < n && e.name == evalName {
				get(e.key, b).addEval(e)
			}
		}
	}
	// Buckets of whole hours can take the hours' rollups.
	p, usable := planRollup(f, by, by != "", by == "")
	if err := s.readTurns(ctx, f, by, p, usable && iv%time.Hour == 0, sink); err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(series))
	for k := range turns {
		keys = append(keys, k)
	}
	if by == "" && len(keys) == 0 {
		keys = []string{""}
	}
	slices.SortFunc(keys, func(a, b string) int {
		if c := cmp.Compare(turns[b], turns[a]); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	if len(keys) > MaxSeries {
		keys = keys[:MaxSeries]
	}
	out := &Timeseries{Metric: q.Metric, Interval: FormatInterval(iv), Since: since.UTC(), Until: until.UTC(), Series: []Series{}}
	for _, k := range keys {
		accs := series[k]
		pts := make([]Point, n)
		for i := range pts {
			var a *acc
			if accs != nil {
				a = accs[i]
			}
			pts[i] = point(since.Add(time.Duration(i)*iv).UTC(), a, q.Metric, evalName)
		}
		out.Series = append(out.Series, Series{Key: k, Points: pts})
	}
	return out, nil
}

// point is the value of metric over the turns of one bucket (a nil acc for
// none).
func point(t time.Time, a *acc, metric, evalName string) Point {
	p := Point{T: t}
	if a == nil {
		a = newAcc()
	}
	v := func(x float64) *float64 { return &x }
	p.Samples = a.traces
	switch metric {
	case "sessions":
		p.Value = v(float64(a.sessions.len()))
	case "users":
		p.Value = v(float64(a.users.len()))
	case "traces":
		p.Value = v(float64(a.traces))
	case "errors":
		p.Value = v(float64(a.errors))
	case "tokens":
		p.Value = v(float64(a.total))
	case "cost":
		p.Value = v(a.cost)
	case "error_rate", "broken_rate", "latency_p50", "latency_p95":
		if a.traces > 0 {
			g := a.stats("")
			x, _ := g.Value(metric)
			p.Value = v(x)
		}
	default: // eval:<name>
		p.Samples = 0
		if ea := a.evals[evalName]; ea != nil {
			p.Samples = int64(ea.scored)
			if ea.scored > 0 {
				p.Value = v(ea.sum / float64(ea.scored))
			}
		}
	}
	return p
}

// firstTurn is the start of the earliest turn f keeps (zero for none).
func (s *Store) firstTurn(ctx context.Context, f TurnFilter) (time.Time, error) {
	_, join, where, args, err := turnSQL(f, "")
	if err != nil {
		return time.Time{}, err
	}
	var first *int64
	if err := s.rdb.QueryRowContext(ctx, `SELECT min(t.start_ns) FROM traces t`+join+` WHERE `+strings.Join(where, " AND "), args...).Scan(&first); err != nil {
		return time.Time{}, err
	}
	if first == nil {
		return time.Time{}, nil
	}
	return nsTime(*first), nil
}
