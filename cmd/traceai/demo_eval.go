package main

import (
	"context"
	"fmt"
	"io"

	"github.com/traceai-go/traceai/explorer/evaluate"
	"github.com/traceai-go/traceai/explorer/store"
)

// demoJudge scores every stored session with the session-level
// task_completion evaluator and the stand-in judge, as
// "traceai eval --stand-in --evaluators task_completion" would; sessions
// judged by an earlier run are skipped.
func demoJudge(ctx context.Context, w io.Writer, b store.Backend) error {
	evs, err := evaluate.Select([]string{"task_completion"}, nil)
	if err != nil {
		return err
	}
	res, err := evaluate.Run(ctx, b, evaluate.Config{Evaluators: evs, Judge: evaluate.StandIn{}})
	if err != nil {
		return fmt.Errorf("demo: task_completion: %w", err)
	}
	fmt.Fprintf(w, "traceai demo: task_completion judged %d sessions (traceai eval --stand-in)\n", res.Judged)
	return nil
}
