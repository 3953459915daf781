package idbaggage

import (
	"testing"
	"unicode/utf8"

	"go.opentelemetry.io/otel/baggage"
)

// FuzzDecodeMatchesOTel: where both accept a member, our decoding of an id
// value equals OpenTelemetry's.
func FuzzDecodeMatchesOTel(f *testing.F) {
	for _, s := range []string{"session.id=a", "session.id=a%20b", "session.id= x ;p=1", "session.id=%E2%82%AC", "session.id=a%2", "session.id=\"q\""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, ok := memberValue(raw)
		b, err := baggage.Parse(raw)
		m := b.Member(memberKey(raw))
		if !ok || err != nil || m.Key() == "" || !utf8.ValidString(v) {
			return
		}
		if m.Value() != v {
			t.Fatalf("%q: ours %q, OpenTelemetry %q", raw, v, m.Value())
		}
	})
}
