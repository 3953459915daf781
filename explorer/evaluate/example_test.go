package evaluate_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/traceai-go/traceai/explorer/evaluate"
	"github.com/traceai-go/traceai/explorer/store"
	"github.com/traceai-go/traceai/fi/semconv"
)

// Judge the stored turns and sessions with two built-in evaluators and the
// stand-in judge; with a model, Judge is an *evaluate.OpenAIJudge.
func ExampleRun() {
	dir, _ := os.MkdirTemp("", "evaluate-example")
	defer os.RemoveAll(dir)
	st, err := store.Open(filepath.Join(dir, "traceai.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()

	// One stored turn, as an instrumented app would have sent it.
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(st.Exporter()))
	_, turn := tp.Tracer("app").Start(context.Background(), "turn", trace.WithAttributes(
		semconv.SessionID.String("session-1"), semconv.UserID.String("ann"), semconv.SpanKindAgent.Attribute(),
		semconv.InputValue.String("How long do refunds take?"),
		semconv.OutputValue.String("Refunds take five business days to reach your card.")))
	turn.End(trace.WithTimestamp(time.Now()))
	_ = tp.Shutdown(context.Background())

	evs, _ := evaluate.Select([]string{"helpfulness", "task_completion"}, nil)
	res, err := evaluate.Run(context.Background(), st, evaluate.Config{Evaluators: evs, Judge: evaluate.StandIn{}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("judged:", res.Judged, "errors:", res.Errors)

	d, _ := st.GetSession(context.Background(), "session-1")
	for _, e := range d.Turns[0].Evaluations {
		fmt.Printf("%s: %s (%g)\n", e.Name, e.Label, *e.Score)
	}
	// Unordered output:
	// judged: 2 errors: 0
	// helpfulness: helpful (1)
	// task_completion: completed (1)
}
