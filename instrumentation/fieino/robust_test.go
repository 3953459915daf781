package fieino_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cloudwego/eino/callbacks"
	"github.com/cloudwego/eino/components"
	"github.com/cloudwego/eino/compose"
	"github.com/cloudwego/eino/schema"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/instrumentation/fieino"
)

// TestHandlerOddInput calls the handler as a careless caller could: nil
// run info, inputs of unexpected types, ends without starts, streams
// that fail. Nothing may panic, and every started span ends.
func TestHandlerOddInput(t *testing.T) {
	tp, rec := newProvider()
	h := fieino.NewHandler(fieino.WithTracerProvider(tp))
	ctx := context.Background()
	h.OnStart(ctx, nil, nil)
	h.OnEnd(ctx, nil, nil)
	h.OnError(ctx, nil, errors.New("x"))
	h.OnEndWithStreamOutput(ctx, nil, nil)
	for _, c := range []components.Component{components.ComponentOfChatModel, components.ComponentOfTool, components.ComponentOfRetriever,
		components.ComponentOfEmbedding, components.ComponentOfPrompt, "Lambda", "Graph", ""} {
		info := &callbacks.RunInfo{Name: "odd-" + string(c), Component: c}
		for _, in := range []any{nil, 42, make(chan int), map[string]any{"f": func() {}}, []*schema.Message{nil}, (*schema.Message)(nil)} {
			c2 := h.OnStart(ctx, info, in)
			h.OnEnd(c2, info, in)
			h.OnEnd(c2, info, in) // twice: no second end
		}
		c3 := h.OnStart(ctx, info, "x")
		sr, sw := schema.Pipe[callbacks.CallbackOutput](2)
		sw.Send(7, nil)
		sw.Send(nil, errors.New("stream broke"))
		sw.Close()
		h.OnEndWithStreamOutput(c3, info, sr)
		in, iw := schema.Pipe[callbacks.CallbackInput](1)
		iw.Send("streamed", nil)
		iw.Close()
		c4 := h.OnStartWithStreamInput(ctx, info, in)
		h.OnError(c4, info, errors.New("failed"))
	}
	// Stream spans end on their goroutines.
	for i := 0; len(rec.Ended()) != len(rec.Started()); i++ {
		if i == 500 {
			t.Fatalf("%d spans started, %d ended", len(rec.Started()), len(rec.Ended()))
		}
		time.Sleep(5 * time.Millisecond)
	}
	if len(rec.Started()) < 8*7 {
		t.Errorf("only %d spans started", len(rec.Started()))
	}
}

func TestConcurrentRuns(t *testing.T) {
	tp, rec := newProvider()
	ch := compose.NewChain[string, string]().
		AppendLambda(compose.InvokableLambda(func(_ context.Context, s string) (string, error) { return s + "!", nil }))
	r, err := ch.Compile(context.Background(), compose.WithGraphName("Echo"))
	if err != nil {
		t.Fatal(err)
	}
	opt := compose.WithCallbacks(fieino.NewHandler(fieino.WithTracerProvider(tp)))
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := fi.UsingSession(context.Background(), fmt.Sprintf("s-%d", i))
			if _, err := r.Invoke(ctx, fmt.Sprintf("in-%d", i), opt); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	roots := byName(rec, "Echo")
	if len(roots) != 16 {
		t.Fatalf("%d root spans", len(roots))
	}
	for _, root := range roots {
		in := str(root, "input.value")
		if want := "s-" + in[len("in-"):]; str(root, "session.id") != want {
			t.Errorf("run %s has session %s", in, str(root, "session.id"))
		}
		for _, s := range rec.Ended() {
			if s.Parent().SpanID() == root.SpanContext().SpanID() && str(s, "session.id") != str(root, "session.id") {
				t.Errorf("child %s of %s has session %s", s.Name(), in, str(s, "session.id"))
			}
		}
	}
}
