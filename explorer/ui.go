package explorer

import (
	"log/slog"
	"net/http"

	"github.com/traceai-go/traceai/explorer/store"
)

// mountUI mounts the web pages at the root of mux.
func mountUI(mux *http.ServeMux, st *store.Store, log *slog.Logger) {
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("traceai explorer: the web pages are not built in; see /api/sessions\n"))
	})
}
