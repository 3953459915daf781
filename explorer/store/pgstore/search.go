package pgstore

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/traceai-go/traceai/explorer/store"
	"github.com/traceai-go/traceai/explorer/store/internal/record"
)

// The search: turn_text holds each turn's document and a folded copy of
// its parts under a trigram (pg_trgm) index. A search reads the documents
// holding every word it includes (folded LIKE '%word%', which the index
// answers), and the shared parser decides each one, as it decides SQLite's
// FTS5 candidates: the same query language, matches and snippets. The
// relevance of a document is how many parts of it match (FTS5's BM25 has
// no equal here).

// hitsJoin is the store's sessionHitsJoin for PostgreSQL.
const hitsJoin = ` JOIN (SELECT value->>0 AS m_sid, (value->>1)::float8 AS m_score, (value->>2)::bigint AS m_doc
	FROM json_array_elements(?::json) AS j(value)) m ON m.m_sid = sessions.session_id`

// likeWord is the LIKE pattern of a substring.
func likeWord(w string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(w) + "%"
}

// match returns the documents matching sr in document order, at most
// limit of them.
func (s *Store) match(ctx context.Context, sr record.Search, limit int, where string, args ...any) ([]record.Hit, error) {
	var pats []string
	for _, w := range sr.Words() {
		pats = append(pats, likeWord(w))
	}
	rows, err := s.pool.Query(ctx, `SELECT rowid, session_id, input, output, "user", assistant, tool, system
		FROM turn_text WHERE folded LIKE ALL($1::text[])`+where+` ORDER BY rowid`, append([]any{pats}, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []record.Hit
	var h record.Hit
	var text [6]string
	for rows.Next() {
		if err := rows.Scan(&h.Doc, &h.Session, &text[0], &text[1], &text[2], &text[3], &text[4], &text[5]); err != nil {
			return nil, err
		}
		if !sr.Match(&text) {
			continue
		}
		h.Score = float64(len(sr.Matches(&text)))
		out = append(out, h)
		if len(out) >= limit {
			break
		}
	}
	return out, rows.Err()
}

// SessionMatches returns the turns of a session matching a search.
func (s *Store) SessionMatches(ctx context.Context, sessionID, q string, in []string) ([]store.TextMatch, error) {
	out, err := s.r.SessionMatches(ctx, sessionID, q, in)
	return out, wrap(err)
}

// maxSearchTurns bounds the matching turns SearchTurns ranks.
const maxSearchTurns = 2000

type turnCursor struct {
	Sort string `json:"s"`
	Desc bool   `json:"d"`
	Val  string `json:"v"`
	ID   string `json:"k"`
}

// SearchTurns returns one page of the turns matching a search, best first
// (the most matching parts, then the latest document); beyond
// maxSearchTurns matches they come newest first with Score 0, as on
// SQLite.
func (s *Store) SearchTurns(ctx context.Context, q store.TurnQuery) ([]store.TurnHit, string, error) {
	limit := q.Limit
	switch {
	case limit == 0:
		limit = store.DefaultLimit
	case limit < 0 || limit > store.MaxLimit:
		return nil, "", &store.FilterError{Param: "limit", Msg: "must be between 1 and " + strconv.Itoa(store.MaxLimit)}
	}
	sr, err := record.ParseSearch(q.Q, q.In)
	if err != nil {
		return nil, "", err
	}
	if sr == nil {
		return nil, "", &store.FilterError{Param: "q", Msg: "nothing to search for"}
	}
	offset := 0
	if q.Cursor != "" {
		var c turnCursor
		b, err := base64.RawURLEncoding.DecodeString(q.Cursor)
		if err != nil || json.Unmarshal(b, &c) != nil {
			return nil, "", &store.FilterError{Param: "cursor", Msg: "not a cursor returned by this server"}
		}
		if c.Sort != "relevance" || !c.Desc {
			return nil, "", &store.FilterError{Param: "cursor", Msg: "cursor was made for another sort order"}
		}
		if offset, err = strconv.Atoi(c.Val); err != nil || offset < 0 {
			return nil, "", &store.FilterError{Param: "cursor", Msg: "bad position"}
		}
	}
	where, args := "", []any{}
	if q.SessionID != "" {
		where += " AND session_id = $2"
		args = append(args, q.SessionID)
	}
	if q.UserID != "" {
		where += " AND trace_id IN (SELECT trace_id FROM traces WHERE user_id = $" + strconv.Itoa(len(args)+2) + ")"
		args = append(args, q.UserID)
	}
	hits, err := s.match(ctx, sr, 1<<30, where, args...)
	if err != nil {
		return nil, "", wrap(err)
	}
	// Best first, the latest document breaking ties; a common search is
	// not ranked.
	common := len(hits) > maxSearchTurns
	sortHits(hits, common)
	next := ""
	if offset > len(hits) {
		offset = len(hits)
	}
	hits = hits[offset:]
	if len(hits) > limit {
		hits = hits[:limit]
		b, _ := json.Marshal(turnCursor{Sort: "relevance", Desc: true, Val: strconv.Itoa(offset + limit)})
		next = base64.RawURLEncoding.EncodeToString(b)
	}
	docs := make([]int64, len(hits))
	for i, h := range hits {
		docs[i] = h.Doc
	}
	rows, err := s.pool.Query(ctx, `SELECT d.rowid, d.trace_id, t.user_id, t.start_ns, d.input, d.output, d."user",
		d.assistant, d.tool, d.system FROM turn_text d JOIN traces t ON t.trace_id = d.trace_id WHERE d.rowid = ANY($1)`, docs)
	if err != nil {
		return nil, "", wrap(err)
	}
	type doc struct {
		trace, user string
		start       int64
		text        [6]string
	}
	byDoc := map[int64]*doc{}
	var id int64
	var d doc
	if _, err := pgx.ForEachRow(rows, []any{&id, &d.trace, &d.user, &d.start, &d.text[0], &d.text[1], &d.text[2],
		&d.text[3], &d.text[4], &d.text[5]}, func() error {
		dd := d
		byDoc[id] = &dd
		return nil
	}); err != nil {
		return nil, "", wrap(err)
	}
	out := []store.TurnHit{}
	for _, h := range hits {
		d := byDoc[h.Doc]
		if d == nil {
			continue // summarized again meanwhile
		}
		th := store.TurnHit{SessionID: h.Session, UserID: d.user, TraceID: d.trace, Start: record.NSTime(d.start),
			Score: h.Score, Matches: []store.TextMatch{}}
		if common {
			th.Score = 0
		}
		for _, m := range sr.Matches(&d.text) {
			tm := store.TextMatch{TraceID: d.trace, Part: m.Part, Snippet: make([]store.Fragment, len(m.Snippet))}
			for i, f := range m.Snippet {
				tm.Snippet[i] = store.Fragment{Text: f.Text, Match: f.Match}
			}
			th.Matches = append(th.Matches, tm)
		}
		out = append(out, th)
	}
	return out, next, nil
}

func sortHits(hits []record.Hit, common bool) {
	slices.SortFunc(hits, func(a, b record.Hit) int {
		if !common {
			if c := cmp.Compare(b.Score, a.Score); c != 0 {
				return c
			}
		}
		return cmp.Compare(b.Doc, a.Doc)
	})
}
