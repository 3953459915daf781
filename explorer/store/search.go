package store

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/traceai-go/traceai/explorer/internal/textquery"
	"github.com/traceai-go/traceai/explorer/store/internal/record"
)

// Fragment is a piece of a search snippet; Match marks the words searched
// for. Clients show the Text of every fragment in order, escaped, with the
// matching ones highlighted.
type Fragment struct {
	Text  string `json:"text"`
	Match bool   `json:"match,omitempty"`
}

// TextMatch is where a turn matched a search.
type TextMatch struct {
	TraceID string `json:"trace_id"`
	// Part is the text of the turn that matched: "input" or "output" (the
	// turn as the conversation shows it), or the messages of its LLM calls
	// by role: "user", "assistant", "tool" (tool results and tool call
	// arguments) or "system".
	Part string `json:"part"`
	// Snippet is about 160 bytes of that text around the first match.
	Snippet []Fragment `json:"snippet"`
}

// TurnQuery asks SearchTurns for the turns matching a search.
type TurnQuery struct {
	// Q is the search (see SessionFilter.Q).
	Q string
	// In are the parts searched (see SessionFilter.In).
	In []string
	// SessionID and UserID, when set, keep the turns of one session or user.
	SessionID, UserID string
	// Limit is the page size, 1..MaxLimit; 0 means DefaultLimit.
	Limit  int
	Cursor string
}

// TurnHit is one turn matching a search.
type TurnHit struct {
	SessionID string    `json:"session_id"`
	UserID    string    `json:"user_id"`
	TraceID   string    `json:"trace_id"`
	Start     time.Time `json:"start"`
	// Score is the relevance (BM25; higher is better). A search matching
	// more than 2,000 turns is not ranked: its turns come newest first,
	// with Score 0.
	Score float64 `json:"score"`
	// Matches are the parts of the turn that matched, in the order of
	// SearchParts, with their snippets.
	Matches []TextMatch `json:"matches"`
}

// Searcher is the search part of a store backend, beside SessionFilter.Q
// and In on ListSessions and GetUser. *Store answers it from SQLite's FTS5;
// another backend (PostgreSQL) must give the same answers: the query
// language, snippets and the check of a turn come from one parser, and the
// search tests of this package are the suite both pass (docs/explorer.md,
// "Search").
type Searcher interface {
	// SearchTurns returns one page of the turns matching a search.
	SearchTurns(ctx context.Context, q TurnQuery) ([]TurnHit, string, error)
	// SessionMatches returns the turns of a session matching a search.
	SessionMatches(ctx context.Context, sessionID, q string, in []string) ([]TextMatch, error)
}

var _ Searcher = (*Store)(nil)

// SearchParts are the accepted values of SessionFilter.In and TurnQuery.In.
var SearchParts = []string{"input", "output", "user", "assistant", "tool", "system", "all"}

// snippetWidth is the length in bytes of a snippet's text.
const snippetWidth = 160

// search is a parsed search with the parts it looks in.
type search struct {
	q     *textquery.Query
	parts []string
}

// parseSearch parses q and in; nil when q is empty.
func parseSearch(q string, in []string) (*search, error) {
	if q == "" {
		if len(in) > 0 {
			return nil, &FilterError{"in", "needs q"}
		}
		return nil, nil
	}
	pq, err := textquery.Parse(q)
	if err != nil {
		var qe *textquery.Error
		if errors.As(err, &qe) {
			return nil, &FilterError{"q", qe.Msg}
		}
		return nil, err
	}
	parts, err := searchParts(in)
	if err != nil {
		return nil, err
	}
	return &search{pq, parts}, nil
}

func searchParts(in []string) ([]string, error) {
	if len(in) == 0 {
		return defaultParts, nil
	}
	want := map[string]bool{}
	for _, p := range in {
		p = strings.TrimSpace(p)
		switch {
		case p == "all":
			return textParts, nil
		case !contains(textParts, p):
			return nil, &FilterError{"in", fmt.Sprintf("unknown part %q (one of %s)", p, strings.Join(SearchParts, ", "))}
		}
		want[p] = true
	}
	var out []string
	for _, p := range textParts {
		if want[p] {
			out = append(out, p)
		}
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// fts writes the search as an FTS5 query: every term a quoted string (so
// nothing typed is FTS5 syntax), limited to the parts' columns.
func (sr *search) fts() string {
	quote := func(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
	var inc []string
	for _, t := range sr.q.Include() {
		inc = append(inc, quote(t.Text))
	}
	expr := "(" + strings.Join(inc, " AND ") + ")"
	for _, t := range sr.q.Exclude() {
		expr = "(" + expr + " NOT " + quote(t.Text) + ")"
	}
	return "{" + strings.Join(sr.parts, " ") + "} : " + expr
}

// matches returns the parts of a turn's document (text, in textParts
// order) that hold a match, with their snippets.
func (sr *search) matches(trace string, text *turnText) []TextMatch {
	var out []TextMatch
	for i, p := range textParts {
		if text[i] == "" || !contains(sr.parts, p) {
			continue
		}
		fs := sr.q.Snippet(text[i], snippetWidth)
		if fs == nil {
			continue
		}
		m := TextMatch{TraceID: trace, Part: p, Snippet: make([]Fragment, len(fs))}
		for j, f := range fs {
			m.Snippet[j] = Fragment(f)
		}
		out = append(out, m)
	}
	return out
}

// match reports whether a turn's document matches, as the index would.
func (sr *search) match(text *turnText) bool {
	var b strings.Builder
	for i, p := range textParts {
		if contains(sr.parts, p) && text[i] != "" {
			b.WriteString(text[i])
			b.WriteByte('\n')
		}
	}
	return sr.q.Match(b.String())
}

// withExtra scans a row's trailing columns into extra.
type withExtra struct {
	r     scanner
	extra []any
}

func (w withExtra) Scan(dest ...any) error { return w.r.Scan(append(dest, w.extra...)...) }

// docs reads search documents by rowid.
func (s *Store) docs(ctx context.Context, rowids []int64) (map[int64]*turnDoc, error) {
	out := map[int64]*turnDoc{}
	for len(rowids) > 0 {
		n := min(len(rowids), 256)
		args := make([]any, n)
		for i, r := range rowids[:n] {
			args[i] = r
		}
		rowids = rowids[n:]
		rows, err := s.rdb.QueryContext(ctx, `SELECT rowid, session_id, trace_id, input, output, "user", assistant, tool, system
			FROM turn_text WHERE rowid IN (?`+strings.Repeat(",?", n-1)+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id int64
			d := &turnDoc{}
			t := &d.text
			if err := rows.Scan(&id, &d.session, &d.trace, &t[0], &t[1], &t[2], &t[3], &t[4], &t[5]); err != nil {
				rows.Close()
				return nil, err
			}
			out[id] = d
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

type turnDoc struct {
	session, trace string
	text           turnText
}

// attachMatches sets the Match of each session from its document.
func (s *Store) attachMatches(ctx context.Context, sr *search, out []SessionSummary, docs []int64) error {
	byDoc, err := s.docs(ctx, docs)
	if err != nil {
		return err
	}
	for i := range out {
		d := byDoc[docs[i]]
		if d == nil {
			continue
		}
		if ms := sr.matches(d.trace, &d.text); len(ms) > 0 {
			out[i].Match = &ms[0]
		}
	}
	return nil
}

// SearchTurns returns one page of the turns matching q.Q, best first, and
// the cursor of the next page ("" on the last). A *FilterError reports a
// bad query or parameter.
func (s *Store) SearchTurns(ctx context.Context, q TurnQuery) ([]TurnHit, string, error) {
	limit, err := clampLimit(q.Limit)
	if err != nil {
		return nil, "", err
	}
	sr, err := parseSearch(q.Q, q.In)
	if err != nil {
		return nil, "", err
	}
	if sr == nil {
		return nil, "", &FilterError{"q", "nothing to search for"}
	}
	offset := 0
	if q.Cursor != "" {
		c, err := decodeCursor(q.Cursor, "relevance", true)
		if err != nil {
			return nil, "", err
		}
		if offset, err = strconv.Atoi(c.Val); err != nil || offset < 0 {
			return nil, "", &FilterError{"cursor", "bad position"}
		}
	}
	where, args := "turn_text MATCH ?", []any{sr.fts()}
	if q.SessionID != "" {
		where += " AND m.session_id = ?"
		args = append(args, q.SessionID)
	}
	// A common search is listed newest first: ranking every match of a
	// word in most turns took a second on a million spans.
	n, err := s.countMatches(ctx, sr)
	if err != nil {
		return nil, "", err
	}
	score, orderBy := `-m.rank`, ` ORDER BY m.rank, m.rowid`
	if n > probeDocs {
		score, orderBy = `0.0`, ` ORDER BY m.rowid DESC`
	}
	query := `SELECT m.rowid, ` + score + `, m.session_id, m.trace_id, t.user_id, t.start_ns FROM turn_text m
		JOIN traces t ON t.trace_id = m.trace_id WHERE ` + where
	if q.UserID != "" {
		query += " AND t.user_id = ?"
		args = append(args, q.UserID)
	}
	query += orderBy + ` LIMIT ? OFFSET ?`
	rows, err := s.rdb.QueryContext(ctx, query, append(args, limit+1, offset)...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	out := []TurnHit{}
	var docs []int64
	for rows.Next() {
		var h TurnHit
		var doc, start int64
		if err := rows.Scan(&doc, &h.Score, &h.SessionID, &h.TraceID, &h.UserID, &start); err != nil {
			return nil, "", err
		}
		h.Start = nsTime(start)
		out = append(out, h)
		docs = append(docs, doc)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > limit {
		out, docs = out[:limit], docs[:limit]
		next = encodeCursor(cursor{Sort: "relevance", Desc: true, Val: strconv.Itoa(offset + limit)})
	}
	byDoc, err := s.docs(ctx, docs)
	if err != nil {
		return nil, "", err
	}
	for i := range out {
		out[i].Matches = []TextMatch{}
		if d := byDoc[docs[i]]; d != nil {
			if ms := sr.matches(d.trace, &d.text); ms != nil {
				out[i].Matches = ms
			}
		}
	}
	return out, next, nil
}

// SessionMatches returns the turns of a session that match q (looking in
// the parts in, as SessionFilter.In), in start order, each with its first
// matching part. The session replay marks them.
func (s *Store) SessionMatches(ctx context.Context, sessionID, q string, in []string) ([]TextMatch, error) {
	sr, err := parseSearch(q, in)
	if err != nil || sr == nil {
		return []TextMatch{}, err
	}
	docs, err := column[int64](ctx, s.rdb, `SELECT search_doc FROM traces
		WHERE session_id = ? AND eval_only = 0 AND search_doc != 0 ORDER BY start_ns, trace_id LIMIT ?`, sessionID, maxTurns)
	if err != nil {
		return nil, err
	}
	byDoc, err := s.docs(ctx, docs)
	if err != nil {
		return nil, err
	}
	out := []TextMatch{}
	for _, id := range docs {
		d := byDoc[id]
		if d == nil || !sr.match(&d.text) {
			continue
		}
		if ms := sr.matches(d.trace, &d.text); len(ms) > 0 {
			out = append(out, ms[0])
		}
	}
	return out, nil
}

// probeDocs is how many matching turns a search reads before it calls the
// query common: up to it, the sessions of every match are read from the
// index and joined to the sessions list (with relevance); beyond it the
// list is read in its order and each session's turns are checked
// (scanSessions), which stops after a page.
var probeDocs = 2000

// sessionHits are the sessions matching a selective search, each with its
// best (relevance) or latest matching turn's document.
type sessionHits struct {
	common bool
	rows   [][3]any // session id, score, document
}

// sessionHitsJoin joins sessionHits (as JSON) to the sessions list.
const sessionHitsJoin = ` JOIN (SELECT value->>0 AS m_sid, value->>1 AS m_score, value->>2 AS m_doc
	FROM json_each(?)) m ON m.m_sid = sessions.session_id`

func (h *sessionHits) json() string {
	b, _ := json.Marshal(h.rows)
	return string(b)
}

// probeSessions reads the matches of a search, up to probeDocs.
func (s *Store) probeSessions(ctx context.Context, sr *search, relevance bool) (*sessionHits, error) {
	// Count first, reading only the index: the sessions (and the ranks)
	// of a common search's matches are not needed.
	if n, err := s.countMatches(ctx, sr); err != nil || n > probeDocs {
		return &sessionHits{common: true}, err
	}
	score := `0.0`
	if relevance {
		score = `-rank` // bm25: lower is better
	}
	hits, err := s.matchDocs(ctx, sr, score)
	if err != nil {
		return nil, err
	}
	type best struct {
		doc   int64
		score float64
	}
	at := map[string]int{}
	var bests []best
	var sids []string
	n := 0
	for _, hit := range hits {
		doc, sid, sc := hit.Doc, hit.Session, hit.Score
		if !relevance {
			sc = 0
		}
		if n++; n > probeDocs {
			return &sessionHits{common: true}, nil
		}
		i, ok := at[sid]
		if !ok {
			at[sid] = len(bests)
			bests = append(bests, best{doc, sc})
			sids = append(sids, sid)
			continue
		}
		if b := &bests[i]; sc > b.score || (sc == b.score && doc > b.doc) {
			*b = best{doc, sc}
		}
	}
	h := &sessionHits{rows: make([][3]any, len(sids))}
	for i, sid := range sids {
		h.rows[i] = [3]any{sid, bests[i].score, bests[i].doc}
	}
	return h, nil
}

// scanCursor prefixes the position of a relevance cursor made by
// scanSessions (a common search lists sessions newest first).
const scanCursor = "e:"

var errSearchChanged = &FilterError{"cursor", "the search's results changed since the previous page: start from the first page"}

// scanChunk is how many sessions scanSessions reads and checks at a time.
const scanChunk = 100

// scanSessions lists the sessions matching a common search: the filtered
// sessions in the page's order (newest first for relevance, which is not
// computed over that many turns), keeping those with a matching turn,
// until a page is full.
func (s *Store) scanSessions(ctx context.Context, sr *search, p page, name string, col sortCol, desc bool,
	c *cursor, limit int) ([]SessionSummary, string, error) {
	valueName, scanDesc := name, desc
	if name == "relevance" {
		valueName, col, scanDesc = "end", sessionSortCols[SessionsByEnd], true
		if c != nil {
			v, ok := strings.CutPrefix(c.Val, scanCursor)
			if !ok {
				return nil, "", errSearchChanged
			}
			cc := *c
			cc.Val = v
			c = &cc
		}
	}
	out := []SessionSummary{}
	pos := c
	for len(out) <= limit {
		q := page{where: slices.Clone(p.where), args: slices.Clone(p.args)}
		if err := q.keyset(col, "session_id", pos, scanDesc); err != nil {
			return nil, "", err
		}
		cols, from, args := sessionCols, ` FROM sessions`, q.args
		var evSort float64
		var extra []any
		if col.join != "" {
			cols, from, extra = cols+", "+col.expr, from+col.join, []any{&evSort}
			args = append([]any{col.joinArg}, args...)
		}
		rows, err := s.rdb.QueryContext(ctx, `SELECT `+cols+from+q.sql()+
			order(col, "session_id", scanDesc)+` LIMIT ?`, append(args, scanChunk)...)
		if err != nil {
			return nil, "", err
		}
		var chunk []SessionSummary
		for rows.Next() {
			ss, err := scanSession(withExtra{rows, extra})
			if err != nil {
				rows.Close()
				return nil, "", err
			}
			ss.evalSort = evSort
			chunk = append(chunk, ss)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, "", err
		}
		if len(chunk) == 0 {
			break
		}
		ms, err := s.latestMatches(ctx, sr, chunk)
		if err != nil {
			return nil, "", err
		}
		for i := range chunk {
			if m := ms[chunk[i].SessionID]; m != nil && len(out) <= limit {
				chunk[i].Match = m
				out = append(out, chunk[i])
			}
		}
		last := &chunk[len(chunk)-1]
		pos = &cursor{Val: cursorVal(last.sortValue(valueName)), ID: last.SessionID}
		if len(chunk) < scanChunk {
			break
		}
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		last := &out[limit-1]
		v := cursorVal(last.sortValue(valueName))
		if name == "relevance" {
			v = scanCursor + v
		}
		next = encodeCursor(cursor{Sort: name, Desc: desc, Val: v, ID: last.SessionID})
	}
	if err := s.sessionEvals(ctx, out); err != nil {
		return nil, "", err
	}
	return out, next, nil
}

// latestMatches checks the turns of the sessions against a search and
// returns each matching session's latest matching turn.
func (s *Store) latestMatches(ctx context.Context, sr *search, list []SessionSummary) (map[string]*TextMatch, error) {
	args := make([]any, len(list))
	for i := range list {
		args[i] = list[i].SessionID
	}
	docs, err := column[int64](ctx, s.rdb, `SELECT search_doc FROM traces
		WHERE session_id IN (?`+strings.Repeat(",?", len(args)-1)+`) AND search_doc != 0`, args...)
	if err != nil {
		return nil, err
	}
	byDoc, err := s.docs(ctx, docs)
	if err != nil {
		return nil, err
	}
	// Latest first: documents are numbered in indexing order.
	slices.SortFunc(docs, func(a, b int64) int { return cmp.Compare(b, a) })
	out := map[string]*TextMatch{}
	for _, id := range docs {
		d := byDoc[id]
		if d == nil || out[d.session] != nil || !sr.match(&d.text) {
			continue
		}
		if ms := sr.matches(d.trace, &d.text); len(ms) > 0 {
			out[d.session] = &ms[0]
		}
	}
	return out, nil
}

// matchDocs returns up to probeDocs+1 documents matching a search, with
// their session and the score written as SQL (on SQLite; another
// database's index has its own).
func (s *Store) matchDocs(ctx context.Context, sr *search, score string) ([]record.Hit, error) {
	if s.index != nil {
		return s.index.Match(ctx, recordSearch{sr}, probeDocs+1)
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT rowid, session_id, `+score+` FROM turn_text
		WHERE turn_text MATCH ? LIMIT ?`, sr.fts(), probeDocs+1)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []record.Hit
	for rows.Next() {
		var h record.Hit
		if err := rows.Scan(&h.Doc, &h.Session, &h.Score); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// hitsJoin is sessionHitsJoin on the store's database.
func (s *Store) hitsJoin() string {
	if s.index != nil {
		return s.index.HitsJoin
	}
	return sessionHitsJoin
}

// countMatches counts the turns matching a search, up to probeDocs+1.
func (s *Store) countMatches(ctx context.Context, sr *search) (int, error) {
	if s.index != nil {
		hits, err := s.index.Match(ctx, recordSearch{sr}, probeDocs+1)
		return len(hits), err
	}
	var n int
	err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT rowid FROM turn_text WHERE turn_text MATCH ? LIMIT ?)`,
		sr.fts(), probeDocs+1).Scan(&n)
	return n, err
}
