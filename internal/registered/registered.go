// Package registered remembers the TracerProvider traceai.Register built
// last, so that fi.RecordEvaluation, which takes no provider by default,
// can reach it when Register did not make it the global one (the default,
// as in the Python SDK).
package registered

import (
	"sync/atomic"

	"go.opentelemetry.io/otel/trace"
)

var last atomic.Pointer[trace.TracerProvider]

// Set records tp as the provider Register built last.
func Set(tp trace.TracerProvider) { last.Store(&tp) }

// Get returns the provider Register built last, or nil.
func Get() trace.TracerProvider {
	if p := last.Load(); p != nil {
		return *p
	}
	return nil
}
