package fieino_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/cloudwego/eino/callbacks"
	"github.com/cloudwego/eino/compose"

	"github.com/traceai-go/traceai/fi"
	"github.com/traceai-go/traceai/instrumentation/fieino"
)

// One run traced: every node of the chain is a span under the chain's,
// with the session of the context.
func Example() {
	chain := compose.NewChain[string, string]().
		AppendLambda(compose.InvokableLambda(func(_ context.Context, s string) (string, error) {
			return strings.ToUpper(s), nil
		}))
	run, err := chain.Compile(context.Background())
	if err != nil {
		panic(err)
	}
	ctx := fi.UsingSession(context.Background(), "conversation-42")
	out, err := run.Invoke(ctx, "hello", compose.WithCallbacks(fieino.NewHandler()))
	if err != nil {
		panic(err)
	}
	fmt.Println(out)
	// Output: HELLO
}

// Every Eino run of the process traced. The model's HTTP client is traced
// by fiopenai, so fieino leaves model calls to it.
func ExampleNewHandler() {
	callbacks.AppendGlobalHandlers(fieino.NewHandler(fieino.WithModelSpans(false)))
}
