package store

import (
	"reflect"
	"testing"
)

// Metadata written by Python's json.dumps may hold NaN and Infinity as bare
// words; every key must survive them.
func TestParseMetadataNonFinite(t *testing.T) {
	for in, want := range map[string]map[string]string{
		`{"plan": "pro", "n": 3}`:                              {"plan": "pro", "n": "3"},
		`{"score": NaN, "plan": "pro"}`:                        {"score": "NaN", "plan": "pro"},
		`{"hi": Infinity, "lo": -Infinity, "ok": true}`:        {"hi": "Infinity", "lo": "-Infinity", "ok": "true"},
		`{"note": "NaN stays \"NaN\" in text", "x": [NaN, 1]}`: {"note": `NaN stays "NaN" in text`, "x": `["NaN",1]`},
		`{"a\"NaN": NaN}`:                                      {`a"NaN`: "NaN"},
		`not json`:                                             nil,
	} {
		if got := parseMetadata(in); !reflect.DeepEqual(got, want) {
			t.Errorf("parseMetadata(%s) = %v, want %v", in, got, want)
		}
	}
}
