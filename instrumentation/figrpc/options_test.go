package figrpc

import (
	"testing"

	"google.golang.org/grpc/metadata"
)

// Defaults first, then the options in order; a nil option is skipped; one
// Option type serves both the server handler and the client interceptors.
func TestNewConfig(t *testing.T) {
	c := newConfig(nil)
	if len(c.sources) != 2 || !c.trustedBaggage || !c.loopback || c.user || c.next != nil {
		t.Fatalf("defaults: %+v", c)
	}
	s, u := c.sources[0].Fn(metadata.Pairs("X-Session-Id", "s-1", "x-user-id", "u-1"))
	if s != "s-1" || u != "u-1" {
		t.Fatalf("default metadata extractor: %q %q", s, u)
	}
	c = newConfig([]Option{nil, WithExtractors(FromMetadata("Conv", "")), WithTrustedBaggage(false), WithAllowedHosts("a", "b"), WithLoopback(false), WithUserPropagation(true)})
	if len(c.sources) != 1 || c.trustedBaggage || c.loopback || !c.user || len(c.hosts) != 2 {
		t.Fatalf("options: %+v", c)
	}
	if s, u := c.sources[0].Fn(metadata.Pairs("conv", "c-1", "x-user-id", "u-1")); s != "c-1" || u != "" {
		t.Fatalf("FromMetadata(Conv, \"\"): %q %q", s, u)
	}
}
