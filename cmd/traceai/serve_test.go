package main

import (
	"testing"
	"time"
)

func TestParseRetain(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"": 0, "30d": 30 * 24 * time.Hour, "12h": 12 * time.Hour, "90m": 90 * time.Minute,
		"1d12h": 36 * time.Hour, "0d1s": time.Second,
	} {
		got, err := parseRetain(in)
		if err != nil || got != want {
			t.Errorf("parseRetain(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"d", "30", "-1h", "0d", "0s", "1w", "3.5d", "x1d", "200000d", "1d-2d"} {
		if got, err := parseRetain(in); err == nil {
			t.Errorf("parseRetain(%q) = %v, want an error", in, got)
		}
	}
}
