package fihttp

import "testing"

// Defaults first, then the options in order; a nil option is skipped; one
// Option type serves both the handler and the transport.
func TestNewConfig(t *testing.T) {
	c := newConfig(nil)
	if len(c.sources) != 2 || !c.trustedBaggage || !c.loopback || c.user || len(c.hosts) != 0 {
		t.Fatalf("defaults: %+v", c)
	}
	c = newConfig([]Option{nil, WithExtractors(FromQuery("s", "")), WithTrustedBaggage(false), WithAllowedHosts("a"), WithAllowedHosts("b"), WithLoopback(false), WithUserPropagation(true)})
	if len(c.sources) != 1 || c.sources[0].Name != "query parameter" || c.trustedBaggage || c.loopback || !c.user || len(c.hosts) != 2 {
		t.Fatalf("options: %+v", c)
	}
}
