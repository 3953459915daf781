package store

import (
	"reflect"
	"testing"

	"github.com/traceai-go/traceai/explorer/store/internal/record"
)

// Metadata written by Python's json.dumps may hold NaN and Infinity as bare
// words; every key must survive them.
func TestParseMetadataNonFinite(t *testing.T) {
	str := func(s string) metaValue { return metaValue{s, record.MetaString} }
	for in, want := range map[string]map[string]metaValue{
		`{"plan": "pro", "n": 3}`:                              {"plan": str("pro"), "n": {"3", record.MetaNumber}},
		`{"score": NaN, "plan": "pro"}`:                        {"score": str("NaN"), "plan": str("pro")},
		`{"hi": Infinity, "lo": -Infinity, "ok": true}`:        {"hi": str("Infinity"), "lo": str("-Infinity"), "ok": {"true", record.MetaBool}},
		`{"note": "NaN stays \"NaN\" in text", "x": [NaN, 1]}`: {"note": str(`NaN stays "NaN" in text`), "x": {`["NaN",1]`, record.MetaJSON}},
		`{"a\"NaN": NaN}`:                                      {`a"NaN`: str("NaN")},
		`{"big": 12345678901234567890, "f": 1.50, "z": null}`:  {"big": {"12345678901234567890", record.MetaNumber}, "f": {"1.50", record.MetaNumber}, "z": {"", record.MetaNull}},
		`not json`:          nil,
		`{"a": 1} {"b": 2}`: nil,
	} {
		if got := parseMetadata(in); !reflect.DeepEqual(got, want) {
			t.Errorf("parseMetadata(%s) = %v, want %v", in, got, want)
		}
	}
}
