package fieino

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/cloudwego/eino/callbacks"
	"github.com/cloudwego/eino/components"
	"github.com/cloudwego/eino/schema"
	"go.opentelemetry.io/otel"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/fi/semconv"
)

// ScopeName is the instrumentation scope of the spans.
const ScopeName = "github.com/traceai-go/traceai/instrumentation/fieino"

// Eino's compose package names these component kinds for graph-level
// runs; they are not constants of the components package.
const (
	compGraph       = "Graph"
	compChain       = "Chain"
	compWorkflow    = "Workflow"
	compToolsNode   = "ToolsNode"
	compLambda      = "Lambda"
	compPassthrough = "Passthrough"
)

// maxStreamChunks bounds the chunks of a non-model stream kept for its
// output.value; a chat model's chunks are merged as they arrive.
const maxStreamChunks = 256

// Handler is an Eino callbacks.Handler that turns component runs into
// traceAI spans. It also implements callbacks.TimingChecker, so Eino skips
// it where it records nothing.
type Handler struct {
	tracer *fi.Tracer
	cfg    config
}

var (
	_ callbacks.Handler       = (*Handler)(nil)
	_ callbacks.TimingChecker = (*Handler)(nil)
)

// NewHandler returns a handler for Eino's callbacks, to install for every
// run (callbacks.AppendGlobalHandlers(fieino.NewHandler())) or for one
// (runnable.Invoke(ctx, in, compose.WithCallbacks(fieino.NewHandler()))).
// Chat models become LLM spans, tools TOOL, retrievers RETRIEVER, embedders
// EMBEDDING, prompts, lambdas, tool nodes, chains and graphs CHAIN, and
// agent graphs AGENT, each a child of the run it belongs to and carrying
// the context's session, user, metadata and tags.
func NewHandler(opts ...Option) *Handler {
	c := newConfig(opts)
	topts := []fi.TracerOption{fi.WithTracerProvider(c.tp), fi.WithInstrumentationName(ScopeName)}
	if c.cfgSet {
		topts = append(topts, fi.WithTraceConfig(c.cfg))
	}
	return &Handler{tracer: fi.NewTracer(topts...), cfg: c}
}

type runKey struct{}

// run is one component run's span, kept in the context Eino hands from
// OnStart to OnEnd.
type run struct {
	info  callbacks.RunInfo
	kind  semconv.SpanKind
	span  *fi.Span
	ended atomic.Bool
}

func (h *Handler) kindOf(info *callbacks.RunInfo) semconv.SpanKind {
	switch string(info.Component) {
	case string(components.ComponentOfChatModel):
		return semconv.SpanKindLLM
	case string(components.ComponentOfTool):
		return semconv.SpanKindTool
	case string(components.ComponentOfRetriever):
		return semconv.SpanKindRetriever
	case string(components.ComponentOfEmbedding):
		return semconv.SpanKindEmbedding
	case compGraph, compChain, compWorkflow:
		if h.cfg.isAgent(info.Name) {
			return semconv.SpanKindAgent
		}
	}
	return semconv.SpanKindChain
}

// Needed implements callbacks.TimingChecker.
func (h *Handler) Needed(ctx context.Context, info *callbacks.RunInfo, _ callbacks.CallbackTiming) bool {
	if info == nil {
		return false
	}
	if !h.cfg.modelSpans && info.Component == components.ComponentOfChatModel {
		return false
	}
	return true
}

func spanName(info *callbacks.RunInfo) string {
	switch {
	case info.Name != "":
		return info.Name
	case info.Type != "":
		return info.Type + string(info.Component)
	case info.Component != "":
		return string(info.Component)
	}
	return "Eino"
}

func guard(what string) {
	if p := recover(); p != nil {
		otel.Handle(fmt.Errorf("fieino: recovered from panic in %s: %v", what, p))
	}
}

func (h *Handler) start(ctx context.Context, info *callbacks.RunInfo) (context.Context, *run) {
	if info == nil || fi.IsTracingSuppressed(ctx) || !h.Needed(ctx, info, callbacks.TimingOnStart) {
		return ctx, nil
	}
	kind := h.kindOf(info)
	sctx, span := h.tracer.Start(ctx, spanName(info), kind)
	r := &run{info: *info, kind: kind, span: span}
	return context.WithValue(sctx, runKey{}, r), r
}

// current returns the run started for info, not an enclosing one.
func current(ctx context.Context, info *callbacks.RunInfo) *run {
	r, _ := ctx.Value(runKey{}).(*run)
	if r == nil || info == nil || r.info != *info {
		return nil
	}
	return r
}

// OnStart implements callbacks.Handler.
func (h *Handler) OnStart(ctx context.Context, info *callbacks.RunInfo, input callbacks.CallbackInput) (out context.Context) {
	defer guard("OnStart")
	out = ctx
	nctx, r := h.start(ctx, info)
	if r == nil {
		return ctx
	}
	out = nctx
	if r.span.IsRecording() {
		setInput(nctx, r, input)
	}
	return nctx
}

// OnEnd implements callbacks.Handler.
func (h *Handler) OnEnd(ctx context.Context, info *callbacks.RunInfo, output callbacks.CallbackOutput) context.Context {
	defer guard("OnEnd")
	r := current(ctx, info)
	if r == nil || !r.ended.CompareAndSwap(false, true) {
		return ctx
	}
	if r.span.IsRecording() {
		setOutput(r, output)
	}
	r.span.End()
	return ctx
}

// OnError implements callbacks.Handler.
func (h *Handler) OnError(ctx context.Context, info *callbacks.RunInfo, err error) context.Context {
	defer guard("OnError")
	r := current(ctx, info)
	if r == nil || !r.ended.CompareAndSwap(false, true) {
		return ctx
	}
	r.span.RecordError(err)
	r.span.End()
	return ctx
}

// OnStartWithStreamInput implements callbacks.Handler. Its copy of the
// input stream is read on its own goroutine, for the span's input.value.
func (h *Handler) OnStartWithStreamInput(ctx context.Context, info *callbacks.RunInfo, input *schema.StreamReader[callbacks.CallbackInput]) (out context.Context) {
	out = ctx
	defer guard("OnStartWithStreamInput")
	nctx, r := h.start(ctx, info)
	if r == nil || !r.span.IsRecording() {
		if input != nil {
			input.Close()
		}
		if r == nil {
			return ctx
		}
		return nctx
	}
	if input != nil {
		go readInput(r, input)
	}
	return nctx
}

func readInput(r *run, input *schema.StreamReader[callbacks.CallbackInput]) {
	defer input.Close()
	defer guard("input stream")
	var chunks []any
	for {
		c, err := input.Recv()
		if err != nil {
			break
		}
		if len(chunks) < maxStreamChunks {
			chunks = append(chunks, c)
		}
	}
	switch len(chunks) {
	case 0:
	case 1:
		r.span.SetInput(plain(chunks[0]))
	default:
		r.span.SetInput(chunks)
	}
}

// OnEndWithStreamOutput implements callbacks.Handler. It reads its copy of
// the stream on its own goroutine and ends the span when the stream ends,
// never slowing the application's reader.
func (h *Handler) OnEndWithStreamOutput(ctx context.Context, info *callbacks.RunInfo, output *schema.StreamReader[callbacks.CallbackOutput]) context.Context {
	r := current(ctx, info)
	if output == nil {
		return ctx
	}
	if r == nil || !r.ended.CompareAndSwap(false, true) {
		output.Close()
		return ctx
	}
	go h.follow(r, output)
	return ctx
}

func (h *Handler) follow(r *run, output *schema.StreamReader[callbacks.CallbackOutput]) {
	defer output.Close()
	defer r.span.End()
	defer guard("stream")
	acc := newStreamAcc(r.kind)
	for {
		chunk, err := output.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			r.span.RecordError(err)
			break
		}
		if acc.n == 0 {
			r.span.AddEvent(semconv.FirstTokenStreamEvent)
		}
		acc.add(chunk)
	}
	if r.span.IsRecording() {
		acc.finish(r)
	}
}
