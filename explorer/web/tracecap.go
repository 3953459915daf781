package web

import (
	"fmt"
	"hash/fnv"
	"io"
	"strconv"

	"github.com/traceai-go/traceai/explorer/store"
)

// What one trace page may hold, whatever its trace: the waterfall rows, the
// text of the span details sent with the page, and the resources shown.
// What is left out is counted and linked to the trace's JSON.
const (
	maxTraceRows   = 500
	maxDetailBytes = 1 << 20
	maxResources   = 8
)

// resourceView is one distinct resource of a trace, shown once at the top
// of its page; the span details name it by number.
type resourceView struct {
	N     int
	Attrs []attrView
	Spans int
}

// resourceSet numbers a trace's distinct resources.
type resourceSet struct {
	byHash map[uint64]int
	list   []resourceView
	over   int // spans whose resource was past maxResources
}

// add returns the number of sp's resource (0 for none or past the bound).
func (rs *resourceSet) add(attrs []store.Attribute, budget *int) int {
	if len(attrs) == 0 {
		return 0
	}
	h := fnv.New64a()
	for _, a := range attrs {
		io.WriteString(h, a.Key)
		h.Write([]byte{0})
		fmt.Fprint(h, a.Value)
		h.Write([]byte{0})
	}
	k := h.Sum64()
	if rs.byHash == nil {
		rs.byHash = map[uint64]int{}
	}
	if i, ok := rs.byHash[k]; ok {
		rs.list[i].Spans++
		return rs.list[i].N
	}
	if len(rs.list) >= maxResources {
		rs.over++
		return 0
	}
	views, _ := boundedViews(attrs, budget)
	rs.byHash[k] = len(rs.list)
	rs.list = append(rs.list, resourceView{N: len(rs.list) + 1, Attrs: views, Spans: 1})
	return len(rs.list)
}

// boundedViews are the attribute views of as while their text fits in
// *budget (at least the first, whose value is capped on its own), taken
// from it, and how many were left out.
func boundedViews(as []store.Attribute, budget *int) ([]attrView, int) {
	all := attrViews(as)
	for i, v := range all {
		n := len(v.Key) + len(v.Value)
		if i > 0 && n > *budget {
			return all[:i], len(all) - i
		}
		*budget -= n
	}
	return all, 0
}

// detailBytes estimates the text of a span's details before rendering them:
// its attribute and event values as stored.
func detailBytes(sp *store.Span) int {
	n := 0
	for _, a := range sp.Attributes {
		n += len(a.Key) + valueLen(a.Value)
	}
	for _, e := range sp.Events {
		for _, a := range e.Attributes {
			n += len(a.Key) + valueLen(a.Value)
		}
	}
	return n
}

func valueLen(v any) int {
	switch x := v.(type) {
	case string:
		return min(len(x), maxValueBytes)
	case []any:
		return min(len(x)*8, maxValueBytes)
	}
	return 8
}

// moreAttrs says how many attributes a detail leaves out.
func moreAttrs(n int) string {
	if n == 1 {
		return "1 more attribute"
	}
	return strconv.Itoa(n) + " more attributes"
}

// maxEvents bounds the events shown of one span.
const maxEvents = 200

// boundedEvents are the views of sp's events while they fit in *budget and
// maxEvents, and how many of them and of their attributes were left out.
func boundedEvents(sp *store.Span, budget *int) ([]eventView, int) {
	out := []eventView{}
	lost := 0
	for i, e := range sp.Events {
		if i >= maxEvents || *budget <= 0 {
			lost += len(sp.Events) - i
			break
		}
		attrs, more := boundedViews(e.Attributes, budget)
		lost += more
		off := float64(e.Time.Sub(sp.Start).Microseconds()) / 1000
		out = append(out, eventView{Name: e.Name, Offset: "+" + fmtDuration(off), Attrs: attrs})
	}
	return out, lost
}
