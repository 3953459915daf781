package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"text/tabwriter"
	"time"

	"github.com/traceai-go/traceai/explorer"
	"github.com/traceai-go/traceai/explorer/store"
)

// waitStored waits until the explorer has stored every evaluation the run
// recorded and the span count has stopped growing: OTLP acknowledges a
// batch before it is queryable.
func waitStored(ctx context.Context, ex *explorer.Explorer, evaluations int) error {
	deadline := time.Now().Add(15 * time.Second)
	var last int64 = -1
	for {
		ov, err := ex.Store().Overview(ctx)
		if err != nil {
			return err
		}
		if ov.Evaluations >= int64(evaluations) && ov.Spans == last {
			return nil
		}
		last = ov.Spans
		if time.Now().After(deadline) {
			return fmt.Errorf("demo: explorer stored %d of %d evaluations", ov.Evaluations, evaluations)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(150 * time.Millisecond):
		}
	}
}

// getJSON fetches an explorer API path into v.
func getJSON(ctx context.Context, base, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
	if err != nil {
		return err
	}
	if tok := os.Getenv("TRACEAI_AUTH_TOKEN"); tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("GET %s: %s: %s", path, resp.Status, b)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// printRankings prints the three worst and three best sessions by mean
// helpfulness, as the explorer's rankings API returns them.
func printRankings(ctx context.Context, w io.Writer, base string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, order := range []string{"worst", "best"} {
		var r store.Ranking
		if err := getJSON(ctx, base, "/api/rankings?by=session&metric=eval:helpfulness&limit=3&order="+order, &r); err != nil {
			return fmt.Errorf("demo: rankings: %w", err)
		}
		fmt.Fprintf(tw, "\n%s sessions (mean helpfulness)\n", order)
		fmt.Fprintln(tw, "  session\tuser\thelpfulness\tturns\terror rate\tresolution\ttask completion\t")
		for _, row := range r.Rows {
			user, turns, errRate, resolution, completion := "", 0, 0.0, "", ""
			if s := row.Session; s != nil {
				user, turns, errRate = s.UserID, s.Traces, s.ErrorRate
				for l := range s.Evaluations["resolution"].Labels {
					resolution = l
				}
				for l := range s.Evaluations["task_completion"].Labels {
					completion = l
				}
			}
			fmt.Fprintf(tw, "  %s\t%s\t%.2f\t%d\t%.0f%%\t%s\t%s\t\n", row.ID, user, row.Value, turns, errRate*100, resolution, completion)
		}
	}
	return tw.Flush()
}
