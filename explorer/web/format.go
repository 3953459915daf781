package web

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// The explorer's numbers are printed here, for people: three significant
// digits, and one unit per column (a table's latencies all in ms or all in
// s), so that a column can be compared at a glance.

// sig3 prints v with at most three significant digits (no trailing
// zeros), without an exponent; from 1,000 up it is a whole number with
// thousands grouped.
func sig3(v float64) string {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	a := math.Abs(v)
	mag := int(math.Floor(math.Log10(a)))
	r := roundSig(v, 3)
	if math.Abs(r) >= 1000 {
		return fmtInt(int64(math.Round(r)))
	}
	if m := int(math.Floor(math.Log10(math.Abs(r)))); m > mag { // 999.7 -> 1,000
		mag = m
	}
	out := strconv.FormatFloat(r, 'f', max(0, 2-mag), 64)
	if strings.Contains(out, ".") {
		out = strings.TrimRight(strings.TrimRight(out, "0"), ".")
	}
	return out
}

// roundSig rounds v to n significant digits.
func roundSig(v float64, n int) float64 {
	if v == 0 {
		return 0
	}
	p := math.Pow(10, float64(n-1-int(math.Floor(math.Log10(math.Abs(v))))))
	return math.Round(v*p) / p
}

// durUnit is the unit of a column of latencies.
type durUnit int

const (
	unitMS durUnit = iota
	unitS
	unitMin
)

// unitFor is the unit a column of latencies (ms) is printed in: the one
// its largest value reads best in.
func unitFor(ms ...float64) durUnit {
	top := 0.0
	for _, v := range ms {
		top = math.Max(top, v)
	}
	switch {
	case top >= 100_000:
		return unitMin
	case top >= 1000:
		return unitS
	}
	return unitMS
}

// fmtDurIn prints ms in unit u with three significant digits.
func fmtDurIn(u durUnit, ms float64) string {
	switch u {
	case unitMin:
		return sig3(ms/60_000) + " min"
	case unitS:
		return sig3(ms/1000) + " s"
	}
	return sig3(ms) + " ms"
}

// fmtDuration prints one latency in the unit it reads best in.
func fmtDuration(ms float64) string {
	if ms <= 0 {
		return "0 ms"
	}
	return fmtDurIn(unitFor(ms), ms)
}

// fmtInt groups digits by thousands: 1234567 -> "1,234,567".
func fmtInt(v any) string {
	var n int64
	switch x := v.(type) {
	case int:
		n = int64(x)
	case int64:
		n = x
	case int32:
		n = int64(x)
	default:
		return fmt.Sprint(v)
	}
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// fmtTokens prints token counts compactly, three significant digits: 950,
// 1.23k, 12.3k, 4.56M.
func fmtTokens(n int64) string {
	f := float64(n)
	switch {
	case n < 1000:
		return fmtInt(n)
	case roundSig(f, 3) < 1e6:
		return sig3(f/1000) + "k"
	case roundSig(f, 3) < 1e9:
		return sig3(f/1e6) + "M"
	}
	return sig3(f/1e9) + "B"
}

// fmtCost prints a USD amount with three significant digits; a "+" marks
// a lower bound (some calls used an unpriced model), "—" nothing priced
// at all.
func fmtCost(usd float64, complete bool) string {
	if usd == 0 && !complete {
		return "—"
	}
	s := "$0"
	if usd != 0 {
		s = "$" + sig3(usd)
	}
	if !complete {
		s += "+"
	}
	return s
}

// fmtPct prints a ratio as a percentage with three significant digits.
func fmtPct(r float64) string {
	if r == 0 {
		return "0%"
	}
	return sig3(r*100) + "%"
}

// fmtScore prints an evaluation score with three significant digits.
func fmtScore(v *float64) string {
	if v == nil {
		return "—"
	}
	return sig3(*v)
}
