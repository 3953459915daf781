package fi_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/traceai-go/traceai/fi"
)

// newProvider returns a provider with the fi span processor installed in
// front of a span recorder.
func newProvider(t testing.TB, opts ...fi.SpanProcessorOption) (*sdktrace.TracerProvider, *tracetest.SpanRecorder) {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithSpanProcessor(fi.NewSpanProcessor(opts...)),
		sdktrace.WithSpanProcessor(rec),
	)
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp, rec
}

// attrs returns the attributes of s by key.
func attrs(s sdktrace.ReadOnlySpan) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	for _, kv := range s.Attributes() {
		m[kv.Key] = kv.Value
	}
	return m
}

// ended returns the one ended span named name.
func ended(t *testing.T, rec *tracetest.SpanRecorder, name string) sdktrace.ReadOnlySpan {
	t.Helper()
	var found sdktrace.ReadOnlySpan
	for _, s := range rec.Ended() {
		if s.Name() == name {
			if found != nil {
				t.Fatalf("two spans named %q", name)
			}
			found = s
		}
	}
	if found == nil {
		t.Fatalf("no span named %q among %d", name, len(rec.Ended()))
	}
	return found
}

// wantAttrs checks that s carries exactly these values for these keys.
func wantAttrs(t *testing.T, s sdktrace.ReadOnlySpan, want map[attribute.Key]any) {
	t.Helper()
	got := attrs(s)
	for k, w := range want {
		v, ok := got[k]
		switch {
		case w == nil:
			if ok {
				t.Errorf("span %q: %s = %v, want unset", s.Name(), k, v.Emit())
			}
		case !ok:
			t.Errorf("span %q: %s unset, want %v", s.Name(), k, w)
		case v.AsInterface() == nil:
			t.Errorf("span %q: %s has no value", s.Name(), k)
		default:
			if !equalValue(v, w) {
				t.Errorf("span %q: %s = %#v, want %#v", s.Name(), k, v.AsInterface(), w)
			}
		}
	}
}

func equalValue(v attribute.Value, w any) bool {
	switch w := w.(type) {
	case []string:
		got := v.AsStringSlice()
		if len(got) != len(w) {
			return false
		}
		for i := range w {
			if got[i] != w[i] {
				return false
			}
		}
		return true
	case int:
		return v.Type() == attribute.INT64 && v.AsInt64() == int64(w)
	}
	return v.AsInterface() == w
}

// errorRecorder collects what reaches the OpenTelemetry error handler.
type errorRecorder struct {
	mu   sync.Mutex
	errs []error
}

func (r *errorRecorder) Handle(err error) {
	r.mu.Lock()
	r.errs = append(r.errs, err)
	r.mu.Unlock()
}

func (r *errorRecorder) all() []error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]error(nil), r.errs...)
}

// invalid returns the errors wrapping fi.ErrInvalidAttribute.
func (r *errorRecorder) invalid() []error {
	var out []error
	for _, err := range r.all() {
		if errors.Is(err, fi.ErrInvalidAttribute) {
			out = append(out, err)
		}
	}
	return out
}

var currentErrors atomic.Pointer[errorRecorder]

// captureErrors routes the OpenTelemetry error handler to a fresh recorder
// for the rest of the test. Tests using it must not run in parallel.
func captureErrors(t *testing.T) *errorRecorder {
	t.Helper()
	r := &errorRecorder{}
	currentErrors.Store(r)
	// Installed every time, in case another test replaced the handler.
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		if r := currentErrors.Load(); r != nil {
			r.Handle(err)
		}
	}))
	t.Cleanup(func() { currentErrors.CompareAndSwap(r, nil) })
	return r
}

type recorderProvider struct {
	tp  *sdktrace.TracerProvider
	rec *tracetest.SpanRecorder
}

// newRecorderProvider returns a provider with procs (no fi processor unless
// given) in front of a span recorder.
func newRecorderProvider(t testing.TB, procs ...sdktrace.SpanProcessor) recorderProvider {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	var opts []sdktrace.TracerProviderOption
	for _, p := range procs {
		opts = append(opts, sdktrace.WithSpanProcessor(p))
	}
	opts = append(opts, sdktrace.WithSpanProcessor(rec))
	tp := sdktrace.NewTracerProvider(opts...)
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return recorderProvider{tp, rec}
}
