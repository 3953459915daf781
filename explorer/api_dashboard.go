package explorer

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/traceai-go/traceai/explorer/store"
)

var turnParams = []string{"since", "until", "user_id", "tag", "model", "metadata_key", "metadata_value"}

func turnFilter(p *params) store.TurnFilter {
	now := time.Now()
	return store.TurnFilter{
		Since:         p.time("since", now),
		Until:         p.time("until", now),
		UserID:        p.str("user_id"),
		Tag:           p.str("tag"),
		Model:         p.str("model"),
		MetadataKey:   p.str("metadata_key"),
		MetadataValue: p.str("metadata_value"),
	}
}

// interval reads a bucket width: whole minutes, hours or days ("15m",
// "1h", "1d"); empty lets the store choose.
func (p *params) interval(k string) time.Duration {
	s := p.q.Get(k)
	if s == "" {
		return 0
	}
	var d time.Duration
	if n, ok := strings.CutSuffix(s, "d"); ok {
		if v, err := strconv.Atoi(n); err == nil && v > 0 {
			d = time.Duration(v) * 24 * time.Hour
		}
	} else if v, err := time.ParseDuration(s); err == nil {
		d = v
	}
	if d <= 0 && p.err == nil {
		p.err = &store.FilterError{Param: k, Msg: "want a duration like 5m, 1h or 1d"}
	}
	return d
}

func (a *api) groups(w http.ResponseWriter, r *http.Request) {
	p := newParams(r, append([]string{"by", "sort", "order", "limit"}, turnParams...)...)
	q := store.GroupQuery{TurnFilter: turnFilter(p), By: p.str("by"), Sort: p.str("sort"), Desc: p.desc("order"), Limit: p.int("limit")}
	if q.Sort != "" && p.str("order") == "" && !strings.HasPrefix(q.Sort, "eval:") && q.Sort != "key" {
		q.Desc = true // a count or a rate sorts biggest first; an evaluation worst first
	}
	if p.err != nil {
		a.fail(w, r, p.err)
		return
	}
	g, err := a.st.Groups(r.Context(), q)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, g)
}

func (a *api) timeseries(w http.ResponseWriter, r *http.Request) {
	p := newParams(r, append([]string{"metric", "interval", "group_by"}, turnParams...)...)
	q := store.TimeseriesQuery{TurnFilter: turnFilter(p), Metric: p.str("metric"), Interval: p.interval("interval"), GroupBy: p.str("group_by")}
	if p.err != nil {
		a.fail(w, r, p.err)
		return
	}
	ts, err := a.st.Timeseries(r.Context(), q)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ts)
}
