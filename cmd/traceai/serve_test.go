package main

import (
	"flag"
	"strings"
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

func TestChooseDB(t *testing.T) {
	for _, c := range []struct {
		args      []string
		env, want string
	}{
		{nil, "", "traceai.db"},
		{nil, "postgres://u@h/db", "postgres://u@h/db"},
		{[]string{"--db", "x.db"}, "postgres://u@h/db", "x.db"},
		{[]string{"--db", "postgresql://a@b/c"}, "", "postgresql://a@b/c"},
	} {
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		db := fs.String("db", "traceai.db", "")
		if err := fs.Parse(c.args); err != nil {
			t.Fatal(err)
		}
		if got := chooseDB(fs, *db, c.env); got != c.want {
			t.Errorf("args %v, TRACEAI_DB %q: %q, want %q", c.args, c.env, got, c.want)
		}
	}
}

// TRACEAI_DB reaches the explorer, and its password never reaches the
// error (nothing listens on port 1).
func TestServeDBFromEnvironment(t *testing.T) {
	t.Setenv("TRACEAI_DB", "postgres://traceai:pw-s3cret@127.0.0.1:1/traceai?sslmode=disable&connect_timeout=2")
	err := runServe([]string{"--http", "127.0.0.1:0", "--otlp-http", "127.0.0.1:0", "--otlp-grpc", "127.0.0.1:0"})
	if err == nil || strings.Contains(err.Error(), "pw-s3cret") || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Errorf("serve with TRACEAI_DB=postgres://...: %v", err)
	}
}
