package explorer

import (
	"log/slog"
	"net/http"

	"github.com/traceai-go/traceai/explorer/store"
	"github.com/traceai-go/traceai/explorer/web"
)

// mountUI mounts the web pages (package web) at the root of mux.
func mountUI(mux *http.ServeMux, st store.Backend, log *slog.Logger) {
	mux.Handle("/", web.New(st, web.WithLogger(log)))
}
