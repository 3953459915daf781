package llmparse

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/traceai-go/traceai/internal/pyjson"
)

var formatCases = []string{
	`{"a":1,"b":[1,2,{"c":"d"}],"e":null,"f":true}`,
	`{ "k" : "v" , "n" : -1.5e3 }`,
	`"plain"`,
	`{"esc":"line\nbreak \"q\" \\ \u003ctag\u003e caf\u00e9 \ud83d\ude00 \/"}`,
	`{"ctl":"\u0001\u001f","tab":"\t"}`,
	`[]`, `{}`, `[{}, []]`, `"°C — ünïcode"`,
}

// TestPyJSONMatchesReformat checks the one-pass formatter against the
// reference encoder on fixtures and awkward strings.
func TestPyJSONMatchesReformat(t *testing.T) {
	inputs := append([]string(nil), formatCases...)
	files, _ := filepath.Glob("../../instrumentation/*/testdata/*.json")
	for _, f := range files {
		b, _ := os.ReadFile(f)
		inputs = append(inputs, string(b))
	}
	if len(files) == 0 {
		t.Fatal("no fixtures")
	}
	for _, in := range inputs {
		want, err := pyjson.Reformat([]byte(in))
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if got := PyJSON([]byte(in)); got != want {
			t.Errorf("PyJSON(%s)\n got %s\nwant %s", in, got, want)
		}
	}
	if got := PyJSON([]byte(`{"bad`)); got != `{"bad` {
		t.Errorf("invalid JSON changed: %s", got)
	}
}

func TestFieldsAndSelect(t *testing.T) {
	f, ok := Fields([]byte(` { "b" : [1, {"x":"}"}], "a":"s\"}", "n": null , "z":{}} `))
	if !ok || len(f) != 4 || f[0].Key != "b" || string(f[0].Raw) != `[1, {"x":"}"}]` || string(f[1].Raw) != `"s\"}"` || string(f[3].Raw) != `{}` {
		t.Fatalf("%v %q", ok, f)
	}
	s, _ := Select([]byte(`{"b":1,"n":null,"a":2}`), func(string) bool { return true })
	if s != `{"b": 1, "a": 2}` {
		t.Fatal(s)
	}
	if _, ok := Fields([]byte(`[1]`)); ok {
		t.Fatal("array accepted")
	}
}

func FuzzPyJSON(f *testing.F) {
	for _, c := range formatCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !json.Valid(b) {
			if got := PyJSON(b); got != string(b) {
				t.Fatalf("invalid JSON %q changed to %q", b, got)
			}
			return
		}
		want, err := pyjson.Reformat(b)
		got := PyJSON(b)
		if err == nil && got != want {
			t.Fatalf("PyJSON(%q) = %q, want %q", b, got, want)
		}
		Fields(b)
	})
}
