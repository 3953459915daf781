package explorer

import (
	"context"
	"errors"
	"net/url"
	"strings"

	"github.com/traceai-go/traceai/explorer/store"
)

// IsPostgresURL reports whether dsn names a PostgreSQL database (a
// postgres:// or postgresql:// URL) rather than an SQLite file.
func IsPostgresURL(dsn string) bool {
	l := strings.ToLower(dsn)
	return strings.HasPrefix(l, "postgres://") || strings.HasPrefix(l, "postgresql://")
}

// OpenBackend opens the span database dsn names: a postgres:// or
// postgresql:// URL is a PostgreSQL database (sslmode and the other
// libpq parameters in the URL), anything else the path of an SQLite file,
// created if missing. opts apply to SQLite only.
func OpenBackend(ctx context.Context, dsn string, opts ...store.Option) (store.Backend, error) {
	if !IsPostgresURL(dsn) {
		return store.Open(dsn, opts...)
	}
	if openPostgres == nil {
		return nil, errors.New("explorer: " + RedactDB(dsn) + ": this build has no PostgreSQL backend wired in " +
			"(explorer/postgres.go sets openPostgres to pgstore.Open; see docs/deployment.md)")
	}
	b, err := openPostgres(ctx, dsn)
	if err != nil {
		// pgx's errors may quote the URL: never show its password.
		return nil, errors.New(strings.ReplaceAll(err.Error(), dsn, RedactDB(dsn)))
	}
	return b, nil
}

// RedactDB returns dsn fit for a log line: a URL's password replaced.
func RedactDB(dsn string) string {
	if !IsPostgresURL(dsn) {
		return dsn
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres://(unreadable URL)"
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.String()
}
