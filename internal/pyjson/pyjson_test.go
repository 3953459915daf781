package pyjson

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

// The expected strings were produced by CPython 3:
// json.dumps(obj, default=str, ensure_ascii=False).
func TestFormatFloatMatchesPythonRepr(t *testing.T) {
	for f, want := range map[float64]string{
		1.0:                   "1.0",
		1e-07:                 "1e-07",
		1e16:                  "1e+16",
		1e15:                  "1000000000000000.0",
		123456789012345678.0:  "1.2345678901234568e+17",
		0.1:                   "0.1",
		1.0 / 3:               "0.3333333333333333",
		1e-05:                 "1e-05",
		0.0001:                "0.0001",
		1.5e300:               "1.5e+300",
		5e-324:                "5e-324",
		2.5:                   "2.5",
		100.0:                 "100.0",
		1e22:                  "1e+22",
		12345678.9:            "12345678.9",
		-2.5e-10:              "-2.5e-10",
		0:                     "0.0",
		math.Inf(1):           "Infinity",
		math.Inf(-1):          "-Infinity",
		math.MaxFloat64:       "1.7976931348623157e+308",
		9007199254740993.0:    "9007199254740992.0",
		0.000123:              "0.000123",
		123456789.123456789e3: "123456789123.45679",
	} {
		if got := FormatFloat(f, 64); got != want {
			t.Errorf("FormatFloat(%v) = %q, want %q", f, got, want)
		}
	}
	if got := FormatFloat(math.Copysign(0, -1), 64); got != "-0.0" {
		t.Errorf("-0.0 = %q", got)
	}
	if got := FormatFloat(math.NaN(), 64); got != "NaN" {
		t.Errorf("NaN = %q", got)
	}
	if got := FormatFloat(float64(float32(0.1)), 32); got != "0.1" {
		t.Errorf("float32 0.1 = %q", got)
	}
}

func TestMarshalMatchesPython(t *testing.T) {
	type inner struct {
		F float64 `json:"f"`
	}
	for _, c := range []struct {
		name string
		v    any
		want string
	}{
		{"simple", map[string]any{"k": "v", "n": 1}, `{"k": "v", "n": 1}`},
		{"sorted keys", map[string]any{"b": 1, "a": []any{1, 2.0, nil, true, false}}, `{"a": [1, 2.0, null, true, false], "b": 1}`},
		{"empty", map[string]any{}, `{}`},
		{"empty list", []any{}, `[]`},
		{"nil", nil, `null`},
		{"nil map", map[string]any(nil), `null`},
		{"nil slice", []int(nil), `null`},
		{"ensure_ascii false", "日本語 🎉 é", `"日本語 🎉 é"`},
		{"escapes", "\u2028\x7f\x00\x1f\"\\/\n\t\r\b\f", "\"\u2028\x7f\\u0000\\u001f\\\"\\\\/\\n\\t\\r\\b\\f\""},
		{"html not escaped", "<a href='x'>&</a>", `"<a href='x'>&</a>"`},
		{"invalid utf8", "a\xffb", "\"a\ufffdb\""},
		{"nested", map[string]any{"outer": map[string]any{"z": []map[string]int{{"b": 2, "a": 1}}, "y": 1e-07}},
			`{"outer": {"y": 1e-07, "z": [{"a": 1, "b": 2}]}}`},
		{"int keys", map[int]string{2: "b", 1: "a"}, `{"1": "a", "2": "b"}`},
		{"float, bool and None keys", map[any]string{2.5: "f", true: "t", nil: "n"}, `{"2.5": "f", "null": "n", "true": "t"}`},
		{"text marshaler keys", map[time.Month]int{time.March: 3}, `{"3": 3}`},
		{"ints", []any{int8(-1), uint64(math.MaxUint64), int64(math.MinInt64)}, `[-1, 18446744073709551615, -9223372036854775808]`},
		{"floats", []float64{1.0, 1e16, 1e-07, 0.5}, `[1.0, 1e+16, 1e-07, 0.5]`},
		{"struct keeps float form", struct {
			A float64 `json:"a"`
			B string  `json:"b,omitempty"`
			C int     `json:"-"`
			D *inner  `json:"d"`
			e int
		}{A: 2, D: &inner{F: 3}}, `{"a": 2.0, "d": {"f": 3.0}}`},
		{"struct via encoding/json", struct {
			inner
			N int `json:"n,string"`
		}{inner{1}, 5}, `{"f": 1, "n": "5"}`},
		{"marshaler", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), `"2026-01-02T03:04:05Z"`},
		{"raw message relaid", json.RawMessage(`{"a":1,"b":[1,2]}`), `{"a": 1, "b": [1, 2]}`},
		{"bytes", []byte("hi"), `"aGk="`},
		{"json.Number", json.Number("1.50"), `1.50`},
		{"error", errors.New("boom"), `"boom"`},
		{"array", [2]bool{true, false}, `[true, false]`},
		{"pointer", func() *int { i := 7; return &i }(), `7`},
	} {
		got, err := Marshal(c.v)
		if err != nil {
			t.Errorf("%s: unexpected error %v", c.name, err)
		}
		if got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
	}
}

func TestMarshalUnsupported(t *testing.T) {
	cyc := map[string]any{"a": 1}
	cyc["self"] = cyc
	list := []any{1, nil}
	list[1] = list
	shared := map[string]int{"x": 1}
	for _, c := range []struct {
		name  string
		v     any
		want  string
		paths string
	}{
		{"channel", map[string]any{"ch": make(chan int), "ok": 1}, `{"ch": "0x`, "$.ch"},
		{"func", []any{func() {}}, `["0x`, "$[0]"},
		{"complex", complex(1, -2), `"(1-2i)"`, "$"},
		{"nan", map[string]float64{"x": math.NaN()}, `{"x": NaN}`, "$.x"},
		{"inf", []any{math.Inf(-1)}, `[-Infinity]`, "$[0]"},
		{"map cycle", cyc, `{"a": 1, "self": "<cycle: map[string]interface {}>"}`, "$.self"},
		{"slice cycle", list, `[1, "<cycle: []interface {}>"]`, "$[1]"},
		{"struct map key", map[struct{ A int }]int{{1}: 2}, `{"{1}": 2}`, "$"},
		{"panicking marshaler", map[string]any{"p": panicky{}}, `{"p": "<pyjson.panicky>"}`, "$.p"},
	} {
		got, err := Marshal(c.v)
		var ue *UnsupportedError
		if !errors.As(err, &ue) {
			t.Errorf("%s: error %v, want *UnsupportedError", c.name, err)
			continue
		}
		if !strings.HasPrefix(got, c.want) {
			t.Errorf("%s:\n got %s\nwant prefix %s", c.name, got, c.want)
		}
		if strings.Join(ue.Paths, ",") != c.paths {
			t.Errorf("%s: paths %v, want %s", c.name, ue.Paths, c.paths)
		}
		if !strings.Contains(err.Error(), c.paths) {
			t.Errorf("%s: message %q lacks the path", c.name, err)
		}
	}
	// The same value twice side by side is not a cycle.
	got, err := Marshal(map[string]any{"a": shared, "b": shared})
	if err != nil || got != `{"a": {"x": 1}, "b": {"x": 1}}` {
		t.Errorf("shared value: %s, %v", got, err)
	}
	// Deep nesting is cut, not a stack overflow.
	var deep any = "leaf"
	for range 200 {
		deep = []any{deep}
	}
	got, err = Marshal(deep)
	if err == nil || !strings.Contains(got, "<too deep") {
		t.Errorf("deep: %.80s, %v", got, err)
	}
}

type panicky struct{}

func (panicky) MarshalJSON() ([]byte, error) { panic("no") }

func TestReformat(t *testing.T) {
	got, err := Reformat([]byte(`{"b":1,"a":{"c":[1,2.0,"x"]},"u":"\u00e9"}`))
	if err != nil || got != `{"b": 1, "a": {"c": [1, 2.0, "x"]}, "u": "é"}` {
		t.Errorf("Reformat = %s, %v", got, err)
	}
	for _, bad := range []string{`{"a":`, `[1,2] 3`, `nope`} {
		if _, err := Reformat([]byte(bad)); err == nil {
			t.Errorf("Reformat(%q) accepted", bad)
		}
	}
}

func FuzzMarshalString(f *testing.F) {
	for _, s := range []string{"", "a", "é\x00", "\xff\xfe", `"\`, "\u2028"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Marshal(map[string]any{s: s})
		if err != nil {
			t.Fatal(err)
		}
		var back map[string]string
		if err := json.Unmarshal([]byte(got), &back); err != nil {
			t.Fatalf("%q: invalid JSON %s: %v", s, got, err)
		}
		if len(back) != 1 {
			t.Fatalf("%q: %s", s, got)
		}
	})
}

// FuzzMarshalRoundTrip: any JSON document, decoded into Go values and
// written back, is valid JSON with the same meaning.
func FuzzMarshalRoundTrip(f *testing.F) {
	for _, s := range []string{`{"k": "v", "n": 1}`, `[1, 2.5, null, true, "é"]`, `{"a": {"b": [{}, []]}}`, `1e300`, `"\u0000"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		var v any
		if json.Unmarshal([]byte(doc), &v) != nil {
			return
		}
		out, err := Marshal(v)
		if err != nil {
			t.Fatalf("%s: %v", doc, err)
		}
		var back any
		if err := json.Unmarshal([]byte(out), &back); err != nil {
			t.Fatalf("%s -> invalid %s: %v", doc, out, err)
		}
		a, _ := json.Marshal(v)
		b, _ := json.Marshal(back)
		if string(a) != string(b) {
			t.Fatalf("%s -> %s changes meaning", doc, out)
		}
	})
}
