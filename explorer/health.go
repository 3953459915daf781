package explorer

import (
	"net/http"
	"strings"
)

// healthReporter is a backend that can tell it no longer keeps what it
// acknowledges (*store.Store: its database file was deleted or replaced).
// PostgreSQL has no file to lose and answers each query for itself.
type healthReporter interface {
	Health() error
}

// health is the backend's fault, nil when it has none or cannot tell.
func (x *Explorer) health() error {
	if h, ok := x.store.(healthReporter); ok {
		return h.Health()
	}
	return nil
}

// healthy answers 503 with Retry-After instead of h once the backend
// reports a fault: the pages and the API would otherwise go on showing a
// database that takes no more spans, and that is gone at the next start.
func (x *Explorer) healthy(h http.Handler) http.Handler {
	if _, ok := x.store.(healthReporter); !ok {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := x.health(); err != nil {
			w.Header().Set("Retry-After", retryAfterSeconds)
			msg := "the explorer's database file was deleted or replaced: restart the explorer"
			if strings.HasPrefix(r.URL.Path, "/api/") {
				writeError(w, http.StatusServiceUnavailable, msg)
			} else {
				http.Error(w, msg, http.StatusServiceUnavailable)
			}
			return
		}
		h.ServeHTTP(w, r)
	})
}

// serveHealth answers GET /api/health for probes and load balancers,
// without credentials: 200 {"status":"ok"}, or 503 {"status":"unavailable"}
// once the backend reports a fault (the log has the details).
func (x *Explorer) serveHealth(w http.ResponseWriter, r *http.Request) {
	if err := x.health(); err != nil {
		w.Header().Set("Retry-After", retryAfterSeconds)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}
