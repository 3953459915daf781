package store

import (
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"

	"github.com/traceai-go/traceai/explorer/internal/textquery"
)

// Search indexes one document per turn (trace): its input and output as the
// conversation shows them, and the messages of its LLM spans by role, each
// part in its own column of turn_text so that a query can leave system
// prompts out (see docs/explorer.md, "Search").

// textParts are the searchable parts of a turn, in the order of the
// turn_text columns and of TextMatch.Part.
var textParts = []string{"input", "output", "user", "assistant", "tool", "system"}

// defaultParts are searched when SessionFilter.In is empty: all but
// system prompts, which repeat in every turn.
var defaultParts = textParts[:5]

// maxPartText bounds each part of a turn's document, in bytes.
const maxPartText = 32 << 10

// spanText is the text an LLM span adds to its turn's document, by role.
// The messages of an LLM call's input repeat the conversation so far: only
// those from its last user message on belong to the turn (earlier ones are
// indexed with the turns that said them), system prompts apart.
type spanText struct {
	user, assistant, tool, system []string
}

// messageText picks the searchable text of a span's messages.
func messageText(in, out []Message) *spanText {
	if len(in) == 0 && len(out) == 0 {
		return nil
	}
	st := &spanText{}
	from := 0
	for i := len(in) - 1; i >= 0; i-- {
		if in[i].Role == "user" {
			from = i
			break
		}
	}
	for i, m := range in {
		if i < from && !isSystemRole(m.Role) {
			continue
		}
		st.add(m)
	}
	for _, m := range out {
		st.add(m)
	}
	return st
}

func isSystemRole(role string) bool { return role == "system" || role == "developer" }

func (st *spanText) add(m Message) {
	switch {
	case isSystemRole(m.Role):
		st.system = appendText(st.system, m.Content)
	case m.Role == "user":
		st.user = appendText(st.user, m.Content)
	case m.Role == "tool" || m.Role == "function" || m.Role == "ipython":
		st.tool = appendText(st.tool, m.Content)
	default:
		st.assistant = appendText(st.assistant, m.Content)
	}
	for _, c := range m.ToolCalls {
		st.tool = appendText(st.tool, strings.TrimSpace(c.Name+" "+c.Arguments))
	}
}

func appendText(list []string, s string) []string {
	if s = textquery.NormalizeSpace(s); s != "" {
		list = append(list, s)
	}
	return list
}

// turnText is the document of one turn: one text per part of textParts.
type turnText [6]string

// empty reports whether the turn has nothing to search.
func (d *turnText) empty() bool {
	for _, s := range d {
		if s != "" {
			return false
		}
	}
	return true
}

// buildTurnText joins the turn's input and output and its spans' message
// texts (spans in start order) into its document. A text already in the
// document (the user message that is also the turn's input, a history
// repeated by each LLM call of the turn) is indexed once; messages are
// separated by new lines, so that a phrase never spans two of them.
func buildTurnText(input, output string, spans []aggSpan) turnText {
	var parts [6][]string
	seen := map[string]bool{}
	add := func(i int, s string) {
		if s == "" || seen[s] {
			return
		}
		seen[s] = true
		parts[i] = append(parts[i], s)
	}
	add(0, textquery.NormalizeSpace(input))
	add(1, textquery.NormalizeSpace(output))
	for i := range spans {
		st := spans[i].text
		if st == nil {
			continue
		}
		for _, s := range st.user {
			add(2, s)
		}
		for _, s := range st.assistant {
			add(3, s)
		}
		for _, s := range st.tool {
			add(4, s)
		}
		for _, s := range st.system {
			add(5, s)
		}
	}
	var d turnText
	for i, p := range parts {
		d[i] = truncate(strings.Join(p, "\n"), maxPartText)
	}
	return d
}

const (
	lastSearchDoc = `SELECT rowid FROM turn_text ORDER BY rowid DESC LIMIT 1`
	// searchDocCols are the columns of a turn_text insert.
	searchDocCols  = `rowid, session_id, trace_id, input, output, user, assistant, tool, system`
	searchDocColsN = 9
	// insertSearchDoc inserts one document.
	insertSearchDoc = `INSERT INTO turn_text (` + searchDocCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
)

// deleteSearchDocs deletes up to lookupN documents by rowid.
var deleteSearchDocs = `DELETE FROM turn_text WHERE rowid IN (?` + strings.Repeat(",?", lookupN-1) + `)`

// searchInsertRows is how many documents one turn_text insert writes.
const searchInsertRows = 256

// searchTxn is the search index's part of a write transaction.
type searchTxn struct {
	last   int64             // the largest document rowid, when read
	read   bool              // last was read
	system map[string]uint64 // system prompts indexed (dedupeSystem)
}

// searchDoc returns the rowid of a trace's document, kept in its traces
// row (search_doc): the one it had, or the next free one; 0 when the turn
// has nothing to search. The traces row is written anyway, where an index
// of trace ids would have taken a page write at a random place per turn.
func (t *txn) searchDoc(o oldTrace, existed bool, tr *traceSummary) (int64, error) {
	if t.w.noSearch {
		return 0, nil
	}
	t.dedupeSystem(tr, existed)
	if tr.evalOnly || tr.text.empty() {
		return 0, nil
	}
	if existed && o.searchDoc != 0 {
		return o.searchDoc, nil
	}
	if !t.search.read {
		if err := t.queryRow(lastSearchDoc).Scan(&t.search.last); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return 0, err
		}
		t.search.read = true
	}
	t.search.last++
	return t.search.last, nil
}

// indexTurns writes the search documents of the batch's traces, last in
// the write transaction: FTS5 flushes its pending terms to disk at every
// statement once it is written in a transaction, so its rows go in as few
// statements as possible (one per searchInsertRows documents). A trace
// stored before has its document replaced.
func (t *txn) indexTurns(ids []string, changes []traceChange) error {
	if t.w.noSearch {
		return nil
	}
	var gone []int64
	args := make([]any, 0, searchDocColsN*len(ids))
	for i, id := range ids {
		c := &changes[i]
		if c.existed && c.old.searchDoc != 0 {
			gone = append(gone, c.old.searchDoc)
		}
		if tr := &c.new; tr.doc != 0 {
			d := &tr.text
			args = append(args, tr.doc, tr.session, id, d[0], d[1], d[2], d[3], d[4], d[5])
		}
	}
	if len(gone) > 0 {
		if err := inChunks(gone, func(a []any) error { return t.exec(deleteSearchDocs, a...) }); err != nil {
			return fmt.Errorf("search documents: %w", err)
		}
	}
	for len(args) > 0 {
		n := min(len(args)/searchDocColsN, searchInsertRows)
		q := `INSERT INTO turn_text (` + searchDocCols + `) VALUES ` +
			strings.TrimSuffix(strings.Repeat("(?,?,?,?,?,?,?,?,?),", n), ",")
		if err := t.exec(q, args[:n*searchDocColsN]...); err != nil {
			return fmt.Errorf("search documents: %w", err)
		}
		args = args[n*searchDocColsN:]
	}
	return nil
}

// maxSystemSeen bounds the writer's memory of the sessions' system prompts.
const maxSystemSeen = 100000

// dedupeSystem leaves out of a new turn's document the system prompt that
// the session's previous turn indexed: system prompts repeat in every LLM
// call, often at length, and one copy per session finds the session. A
// turn stored before keeps its prompt (it may be the copy). After a
// restart the first turn of each session indexes the prompt again.
func (t *txn) dedupeSystem(tr *traceSummary, existed bool) {
	sys := tr.text[5]
	if sys == "" || tr.session == "" {
		return
	}
	if len(t.w.systemSeen) > maxSystemSeen {
		clear(t.w.systemSeen)
	}
	h := fnv.New64a()
	h.Write([]byte(sys))
	sum := h.Sum64()
	prev, ok := t.search.system[tr.session]
	if !ok {
		prev = t.w.systemSeen[tr.session]
	}
	if !existed && prev == sum {
		tr.text[5] = ""
		return
	}
	if t.search.system == nil {
		t.search.system = map[string]uint64{}
	}
	t.search.system[tr.session] = sum
}
