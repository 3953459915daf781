package explorer

import (
	"log/slog"
	"testing"
	"time"
)

// Defaults first, then the options in order; a nil option and an empty or
// zero value are skipped.
func TestNewConfig(t *testing.T) {
	c := newConfig(nil)
	if c.dbPath != DefaultDBPath || c.httpAddr != DefaultHTTPAddr || c.otlpHTTPAddr != DefaultOTLPHTTPAddr ||
		c.otlpGRPCAddr != DefaultOTLPGRPCAddr || c.maxBodyBytes != DefaultMaxBodyBytes || c.logger == nil {
		t.Fatalf("defaults: %+v", c)
	}
	l := slog.New(slog.DiscardHandler)
	c = newConfig([]Option{nil, WithDBPath("a.db"), WithDBPath(""), WithHTTPAddr(Off), WithOTLPHTTPAddr("127.0.0.1:1"),
		WithOTLPGRPCAddr(""), WithLogger(l), WithLogger(nil), WithMaxBodyBytes(0), WithMaxBodyBytes(10),
		WithStoreOptions(nil), WithStoreOptions(nil)})
	if c.dbPath != "a.db" || c.httpAddr != Off || c.otlpHTTPAddr != "127.0.0.1:1" || c.otlpGRPCAddr != DefaultOTLPGRPCAddr ||
		c.logger != l || c.maxBodyBytes != 10 || len(c.storeOptions) != 2 {
		t.Fatalf("options: %+v", c)
	}
}

// Retention and the database: zero and empty values keep the defaults.
func TestNewConfigRetentionAndDB(t *testing.T) {
	c := newConfig([]Option{WithRetention(0), WithRetention(-time.Hour), WithMaxSpans(-1), WithDB(""), WithBackend(nil)})
	if c.retain != 0 || c.maxSpans != 0 || c.dbPath != DefaultDBPath || c.backend != nil {
		t.Fatalf("zero values: %+v", c)
	}
	c = newConfig([]Option{WithRetention(time.Hour), WithMaxSpans(10), WithDB("postgres://h/db"), WithDBPath("x.db")})
	if c.retain != time.Hour || c.maxSpans != 10 || c.dbPath != "x.db" {
		t.Fatalf("options: %+v", c)
	}
}
