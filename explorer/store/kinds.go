package store

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// maxKindDurations bounds the span durations a turn keeps per span kind
// (the first by start): the dashboard's percentiles per kind are exact for
// turns of up to this many spans of a kind.
const maxKindDurations = 16

// spanKinds encodes the traces.span_kinds column of a turn: per span kind,
// in name order, "KIND spans errors ms,ms,..." joined by ";". Groups by
// span kind read it instead of the spans.
func spanKinds(spans []aggSpan) string {
	type kindSum struct {
		n, errs int
		ms      []string
	}
	sums := map[string]*kindSum{}
	for i := range spans {
		a := &spans[i]
		k := kindName(a.spanKind)
		s := sums[k]
		if s == nil {
			s = &kindSum{}
			sums[k] = s
		}
		s.n++
		if a.status == int32(tracepb.Status_STATUS_CODE_ERROR) {
			s.errs++
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
		b.WriteString(k)
		b.WriteByte(' ')
		b.WriteString(strconv.Itoa(s.n))
		b.WriteByte(' ')
		b.WriteString(strconv.Itoa(s.errs))
		b.WriteByte(' ')
		b.WriteString(strings.Join(s.ms, ","))
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

// eachSpanKind calls fn for each kind of an encoded span_kinds value.
func eachSpanKind(s string, fn func(kind string, spans, errs int, ms []float64)) {
	var ms []float64
	for entry := range strings.SplitSeq(s, ";") {
		f := strings.SplitN(entry, " ", 4)
		if len(f) < 3 {
			continue
		}
		n, _ := strconv.Atoi(f[1])
		errs, _ := strconv.Atoi(f[2])
		ms = ms[:0]
		if len(f) == 4 {
			ms = appendMS(ms, f[3])
		}
		fn(f[0], n, errs, ms)
	}
}
