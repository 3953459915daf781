package web

import (
	"testing"
	"time"
)

// Defaults first, then the options in order; a nil option is skipped.
func TestNewConfig(t *testing.T) {
	c := newConfig(nil)
	if c.title != "traceAI explorer" || c.overviewTTL != 5*time.Second || c.logger == nil || c.now == nil {
		t.Fatalf("defaults: %+v", c)
	}
	c = newConfig([]Option{nil, WithTitle("support"), WithTitle(""), WithOverviewTTL(0), WithLogger(nil)})
	if c.title != "support" || c.overviewTTL != 0 || c.logger == nil {
		t.Fatalf("options: %+v", c)
	}
}
