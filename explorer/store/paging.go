package store

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// colType is how a sort column's values are compared in a cursor.
type colType int

const (
	colInt colType = iota
	colFloat
	colText
)

type sortCol struct {
	expr string
	typ  colType
	// join, with its one argument, brings expr's table into the query
	// (a sort by an evaluation's mean); "" for a column of the list's own.
	join    string
	joinArg any
}

// evalSortPrefix starts a sort by an evaluation's mean score.
const evalSortPrefix = "eval:"

// evalSortCol is the column of a sort by the mean score of the evaluation
// name over the rows of table keyed by key. A row without a score sorts
// last in either order: its value is the largest float ascending and the
// smallest descending, which keeps the keyset of a plain column.
func evalSortCol(name, table, key string, desc bool) (sortCol, error) {
	if name == "" || len(name) > 256 || !utf8.ValidString(name) || strings.ContainsFunc(name, unicode.IsControl) {
		return sortCol{}, &FilterError{"sort", "eval: needs an evaluation name (at most 256 printable characters)"}
	}
	missing := "1e308"
	if desc {
		missing = "-1e308"
	}
	return sortCol{
		expr: "coalesce(ev.ev_mean, " + missing + ")",
		typ:  colFloat,
		join: " LEFT JOIN (SELECT " + key + " AS ev_key, avg(score) AS ev_mean FROM evaluations WHERE name = ? GROUP BY " +
			key + ") ev ON ev.ev_key = " + table + "." + key,
		joinArg: name,
	}, nil
}

var sessionSortCols = map[SessionSort]sortCol{
	SessionsByStart:      {expr: "start_ns", typ: colInt},
	SessionsByEnd:        {expr: "end_ns", typ: colInt},
	SessionsByDuration:   {expr: "duration_ms", typ: colFloat},
	SessionsByTraces:     {expr: "traces", typ: colInt},
	SessionsBySpans:      {expr: "spans", typ: colInt},
	SessionsByErrors:     {expr: "errors", typ: colInt},
	SessionsByFailed:     {expr: "error_traces", typ: colInt},
	SessionsByErrorRate:  {expr: "error_rate", typ: colFloat},
	SessionsByTokens:     {expr: "total_tokens", typ: colInt},
	SessionsByCost:       {expr: "cost", typ: colFloat},
	SessionsByLatencyP50: {expr: "p50_ms", typ: colFloat},
	SessionsByLatencyP95: {expr: "p95_ms", typ: colFloat},
	SessionsBySessionID:  {expr: "session_id", typ: colText},
	SessionsByUserID:     {expr: "user_id", typ: colText},
	SessionsByRelevance:  {expr: "m_score", typ: colFloat}, // with a search only
}

var userSortCols = map[UserSort]sortCol{
	UsersByLastSeen:   {expr: "last_ns", typ: colInt},
	UsersByFirstSeen:  {expr: "first_ns", typ: colInt},
	UsersBySessions:   {expr: "sessions", typ: colInt},
	UsersByTraces:     {expr: "traces", typ: colInt},
	UsersByErrors:     {expr: "errors", typ: colInt},
	UsersByFailed:     {expr: "error_traces", typ: colInt},
	UsersByErrorRate:  {expr: "error_rate", typ: colFloat},
	UsersByTokens:     {expr: "total_tokens", typ: colInt},
	UsersByCost:       {expr: "cost", typ: colFloat},
	UsersByLatencyP95: {expr: "p95_ms", typ: colFloat},
	UsersByUserID:     {expr: "user_id", typ: colText},
}

// cursor is the keyset position after the last row of a page.
type cursor struct {
	Sort string `json:"s"`
	Desc bool   `json:"d"`
	Val  string `json:"v"`
	ID   string `json:"k"`
}

func encodeCursor(c cursor) string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s, sortName string, desc bool) (*cursor, error) {
	if s == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, &FilterError{"cursor", "not a cursor returned by this server"}
	}
	var c cursor
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, &FilterError{"cursor", "not a cursor returned by this server"}
	}
	if c.Sort != sortName || c.Desc != desc {
		return nil, &FilterError{"cursor", "cursor was made for another sort order"}
	}
	return &c, nil
}

func cursorArg(c *cursor, typ colType) (any, error) {
	switch typ {
	case colInt:
		n, err := strconv.ParseInt(c.Val, 10, 64)
		if err != nil {
			return nil, &FilterError{"cursor", "bad position"}
		}
		return n, nil
	case colFloat:
		f, err := strconv.ParseFloat(c.Val, 64)
		if err != nil {
			return nil, &FilterError{"cursor", "bad position"}
		}
		return f, nil
	}
	return c.Val, nil
}

func cursorVal(v any) string {
	switch v := v.(type) {
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case string:
		return v
	}
	return fmt.Sprint(v)
}

func clampLimit(n int) (int, error) {
	switch {
	case n == 0:
		return DefaultLimit, nil
	case n < 0 || n > MaxLimit:
		return 0, &FilterError{"limit", fmt.Sprintf("must be between 1 and %d", MaxLimit)}
	}
	return n, nil
}

// page builds the ORDER BY / keyset part of a list query.
type page struct {
	where []string
	args  []any
}

func (p *page) add(cond string, args ...any) {
	p.where = append(p.where, cond)
	p.args = append(p.args, args...)
}

func (p *page) keyset(col sortCol, idCol string, c *cursor, desc bool) error {
	if c == nil {
		return nil
	}
	v, err := cursorArg(c, col.typ)
	if err != nil {
		return err
	}
	op := ">"
	if desc {
		op = "<"
	}
	if col.expr == idCol {
		p.add(idCol+" "+op+" ?", c.ID)
		return nil
	}
	p.add("("+col.expr+" "+op+" ? OR ("+col.expr+" = ? AND "+idCol+" "+op+" ?))", v, v, c.ID)
	return nil
}

func (p *page) sql() string {
	if len(p.where) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(p.where, " AND ")
}

func order(col sortCol, idCol string, desc bool) string {
	dir := " ASC"
	if desc {
		dir = " DESC"
	}
	if col.expr == idCol {
		return " ORDER BY " + idCol + dir
	}
	return " ORDER BY " + col.expr + dir + ", " + idCol + dir
}

// Times a filter can name: what an int64 of Unix nanoseconds holds. Outside
// it UnixNano overflows, and a bound would match everything.
var (
	minFilterTime = time.Unix(0, math.MinInt64).UTC()
	maxFilterTime = time.Unix(0, math.MaxInt64).UTC()
)

// timeRange adds the conditions of a since and an until bound (zero times
// are no bound), refusing times an int64 of nanoseconds cannot hold.
func (p *page) timeRange(sinceCond string, since time.Time, untilCond string, until time.Time) error {
	for _, b := range []struct {
		param, cond string
		t           time.Time
	}{{"since", sinceCond, since}, {"until", untilCond, until}} {
		if b.t.IsZero() {
			continue
		}
		if b.t.Before(minFilterTime) || b.t.After(maxFilterTime) {
			return &FilterError{b.param, fmt.Sprintf("%s is outside the times the store can compare (%s to %s)",
				b.t.UTC().Format(time.RFC3339), minFilterTime.Format(time.DateOnly), maxFilterTime.Format(time.DateOnly))}
		}
		p.add(b.cond, b.t.UnixNano())
	}
	return nil
}

// joinSorts lists sort keys for an error message.
func joinSorts[S ~string](sorts []S) string {
	names := make([]string, len(sorts))
	for i, s := range sorts {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}
