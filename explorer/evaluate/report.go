package evaluate

import (
	"context"
	"fmt"
	"io"
	"math"
	"text/tabwriter"

	"github.com/traceai-go/traceai/explorer/store"
)

// Price is a judge model's price in dollars per million tokens, for the
// dry run's estimate.
type Price struct{ Input, Output float64 }

// Cost is the price of the tokens in r.
func (p Price) Cost(r *Result) float64 {
	return (float64(r.PromptTokens)*p.Input + float64(r.CompletionTokens)*p.Output) / 1e6
}

// WriteReport prints the run's table: per evaluator its counts and mean,
// then (unless dry) the worst sessions and users by each evaluator's mean
// score as the store ranks them, then the first failures.
func WriteReport(ctx context.Context, w io.Writer, rd store.Reader, r *Result, dry bool, price Price, worst int) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if dry {
		fmt.Fprintf(tw, "dry run: %d sessions, %d turns selected\n", r.Sessions, r.Turns)
		fmt.Fprintln(tw, "evaluator\tlevel\twould judge\talready scored\tnot applicable\test. prompt tokens\test. completion tokens\t")
	} else {
		fmt.Fprintf(tw, "%d sessions, %d turns selected; %d judged, %d already scored, %d not applicable, %d errors, %d not written in %s\n",
			r.Sessions, r.Turns, r.Judged, r.Skipped, r.NotApplicable, r.Errors, r.WriteErrors, r.Elapsed.Round(1e6))
		fmt.Fprintln(tw, "evaluator\tversion\tlevel\tscale\tjudged\talready scored\tnot applicable\terrors\tmean (this run)\t")
	}
	for _, e := range r.Evaluators {
		if dry {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t\n", e.Name, e.Level, e.Judged, e.Skipped, e.NotApplicable, e.PromptTokens, e.CompletionTokens)
			continue
		}
		mean := "-"
		if m := e.MeanScore(); !math.IsNaN(m) {
			mean = fmt.Sprintf("%.2f", m)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%s\t\n", e.Name, e.Version, e.Level, e.scale, e.Judged, e.Skipped, e.NotApplicable, e.Errors, mean)
	}
	if dry {
		fmt.Fprintf(tw, "estimate: %d prompt + %d completion tokens, $%.4f at $%g/$%g per million\n",
			r.PromptTokens, r.CompletionTokens, price.Cost(r), price.Input, price.Output)
		return tw.Flush()
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if worst > 0 {
		for _, e := range r.Evaluators {
			for _, by := range []string{"session", "user"} {
				rk, err := rd.Rankings(ctx, store.RankingQuery{By: by, Metric: "eval:" + e.Name, Order: "worst", Limit: worst})
				if err != nil {
					return fmt.Errorf("rankings: %w", err)
				}
				if rk.Tied {
					fmt.Fprintf(tw, "\nworst %ss by %s: none, every %s scores %.2f\n", by, e.Name, by, rk.TiedValue)
					continue
				}
				if len(rk.Rows) == 0 {
					continue
				}
				fmt.Fprintf(tw, "\nworst %ss by %s\n", by, e.Name)
				fmt.Fprintf(tw, "  %s\tmean\tevaluations\t\n", by)
				for _, row := range rk.Rows {
					fmt.Fprintf(tw, "  %s\t%.2f\t%d\t\n", row.ID, row.Value, row.Samples)
				}
			}
		}
	}
	if len(r.Failures) > 0 {
		fmt.Fprintf(tw, "\nfirst failures (of %d):\n", r.Errors)
		for _, f := range r.Failures {
			fmt.Fprintf(tw, "  %s\tsession %s\ttrace %s\t%v\t\n", f.Evaluator, f.SessionID, f.TraceID, f.Err)
		}
	}
	return tw.Flush()
}
