package store

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/traceai-go/traceai/fi/semconv"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// maxKindDurations bounds the span durations a turn keeps per span kind
// (the first by start): the dashboard's percentiles per kind are exact for
// turns of up to this many spans of a kind.
const maxKindDurations = 16

// kindSum is one span kind's part of a turn.
type kindSum struct {
	kind        string
	spans, errs int
	// tokens tells whether the encoding held the kind's tokens and cost
	// (turns stored before did not).
	tokens         bool
	in, out, total int64
	cost           float64
	ms             []float64 // durations, at most maxKindDurations
}

// spanKinds encodes the traces.span_kinds column of a turn: per span kind,
// in name order, "KIND spans errors in out total cost ms,ms,..." joined by
// ";". Groups by span kind read it instead of the spans. The kinds' tokens
// and cost add up to the turn's: they are the LLM spans' when the turn has
// any (the turn's are), else every span's tokens and no cost.
func spanKinds(spans []aggSpan) string {
	type sum struct {
		n, errs        int
		in, out, total int64
		cost           float64
		ms             []string
	}
	sums := map[string]*sum{}
	llm := false
	for i := range spans {
		llm = llm || spans[i].spanKind == string(semconv.SpanKindLLM)
	}
	for i := range spans {
		a := &spans[i]
		k := kindName(a.spanKind)
		s := sums[k]
		if s == nil {
			s = &sum{}
			sums[k] = s
		}
		s.n++
		if a.status == int32(tracepb.Status_STATUS_CODE_ERROR) {
			s.errs++
		}
		if !llm || a.spanKind == string(semconv.SpanKindLLM) {
			s.in += a.in
			s.out += a.out
			s.total += a.total
		}
		if llm && a.spanKind == string(semconv.SpanKindLLM) && a.priced {
			s.cost += a.cost
		}
		if len(s.ms) < maxKindDurations {
			s.ms = append(s.ms, strconv.FormatFloat(float64(a.end-a.start)/1e6, 'f', 3, 64))
		}
	}
	var b strings.Builder
	for i, k := range slices.Sorted(maps.Keys(sums)) {
		s := sums[k]
		if i > 0 {
			b.WriteByte(';')
		}
		fmt.Fprintf(&b, "%s %d %d %d %d %d %s %s", k, s.n, s.errs, s.in, s.out, s.total,
			strconv.FormatFloat(s.cost, 'g', -1, 64), strings.Join(s.ms, ","))
	}
	return b.String()
}

// kindName is a span kind as a group key: UNKNOWN for none, and without
// the separators of the encoding.
func kindName(k string) string {
	if k == "" {
		return "UNKNOWN"
	}
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == ';' || r == ',' {
			return '_'
		}
		return r
	}, k)
}

// eachSpanKind calls fn for each kind of an encoded span_kinds value (of
// this version, or of schema 7's, "KIND spans errors ms,...", without
// tokens). The kindSum and its durations are fn's only during the call.
func eachSpanKind(s string, fn func(*kindSum)) {
	var k kindSum
	for entry := range strings.SplitSeq(s, ";") {
		f := strings.Split(entry, " ")
		if len(f) < 3 {
			continue
		}
		k = kindSum{kind: f[0], ms: k.ms[:0]}
		k.spans, _ = strconv.Atoi(f[1])
		k.errs, _ = strconv.Atoi(f[2])
		ms := ""
		switch len(f) {
		case 4:
			ms = f[3]
		case 8:
			k.tokens = true
			k.in, _ = strconv.ParseInt(f[3], 10, 64)
			k.out, _ = strconv.ParseInt(f[4], 10, 64)
			k.total, _ = strconv.ParseInt(f[5], 10, 64)
			k.cost, _ = strconv.ParseFloat(f[6], 64)
			ms = f[7]
		}
		if ms != "" {
			k.ms = appendMS(k.ms, ms)
		}
		fn(&k)
	}
}
