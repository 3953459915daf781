package web

import (
	"regexp"
	"testing"
)

func TestFormatNumbers(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	for _, c := range []struct{ got, want string }{
		{sig3(0), "0"},
		{sig3(0.2), "0.2"},
		{sig3(0.123456), "0.123"},
		{sig3(0.00012345), "0.000123"},
		{sig3(1.23456), "1.23"},
		{sig3(12.3456), "12.3"},
		{sig3(123.456), "123"},
		{sig3(999.7), "1,000"},
		{sig3(9.996), "10"},
		{sig3(1234.5), "1,230"},
		{sig3(-0.04567), "-0.0457"},
		{fmtDuration(0), "0 ms"},
		{fmtDuration(0.456), "0.456 ms"},
		{fmtDuration(12.34), "12.3 ms"},
		{fmtDuration(999.4), "999 ms"},
		{fmtDuration(1234), "1.23 s"},
		{fmtDuration(65_432), "65.4 s"},
		{fmtDuration(3_725_000), "62.1 min"},
		{fmtDurIn(unitFor(120, 3400, 800), 120), "0.12 s"},
		{fmtDurIn(unitFor(120, 3400, 800), 3400), "3.4 s"},
		{fmtDurIn(unitFor(120, 340, 800), 120), "120 ms"},
		{fmtTokens(950), "950"},
		{fmtTokens(1234), "1.23k"},
		{fmtTokens(12_345), "12.3k"},
		{fmtTokens(999_999), "1M"},
		{fmtTokens(4_567_890), "4.57M"},
		{fmtCost(0, true), "$0"},
		{fmtCost(0, false), "—"},
		{fmtCost(0.0012345, true), "$0.00123"},
		{fmtCost(1.2, true), "$1.2"},
		{fmtCost(1234.5, false), "$1,230+"},
		{fmtPct(0), "0%"},
		{fmtPct(0.0012345), "0.123%"},
		{fmtPct(0.2), "20%"},
		{fmtPct(1), "100%"},
		{fmtScore(nil), "—"},
		{fmtScore(f(0.8333333)), "0.833"},
		{fmtScore(f(1)), "1"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

// Each latency column of a page is in one unit: the fixture's sessions
// range from 300 ms to seconds, and a column reads all in ms or all in s.
func TestOneUnitPerColumn(t *testing.T) {
	f := newFixture(t)
	h := f.handler()
	rowRe := regexp.MustCompile(`(?s)<tr[ >].*?</tr>`)
	cellRe := regexp.MustCompile(`<td class="num">(?:<b>)?[0-9.,]+ (ms|s|min)<`)
	for _, u := range []string{"/", "/users", "/rankings?metric=latency_p95", "/sessions/chat-alice"} {
		body := mustGet(t, h, u)
		units := map[int]map[string]bool{}
		for _, row := range rowRe.FindAllString(body, -1) {
			for i, m := range cellRe.FindAllStringSubmatch(row, -1) {
				if units[i] == nil {
					units[i] = map[string]bool{}
				}
				units[i][m[1]] = true
			}
		}
		if len(units) == 0 && u != "/sessions/chat-alice" {
			t.Errorf("%s: no latency cells found", u)
		}
		for i, us := range units {
			if len(us) > 1 {
				t.Errorf("%s: latency column %d mixes units %v", u, i, us)
			}
		}
	}
	body := mustGet(t, h, "/")
	contains(t, "p95 column in s", body, `<td class="num">0.3 s</td>`)
	contains(t, "p50 column in ms", body, `<td class="num">300 ms</td>`)
	contains(t, "turn latencies in s", mustGet(t, h, "/sessions/chat-alice"), `<span title="turn latency">0.502 s</span>`, `<span title="turn latency">9 s</span>`)
}
