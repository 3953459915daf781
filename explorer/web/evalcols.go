package web

import (
	"strings"

	"github.com/traceai-go/traceai/explorer/store"
)

// evalSortPrefix starts the sort key of an evaluation's mean column.
const evalSortPrefix = "eval:"

// maxEvalColumns bounds the evaluation columns of a list; a sort by any
// other evaluation still works through its URL (sort=eval:<name>).
const maxEvalColumns = 4

// listDefault is a list's order when the URL names none: the first
// evaluation's mean, worst (lowest) first, when evaluations exist, else
// fallback, newest first.
func listDefault[S ~string](evals []string, fallback S) (S, bool) {
	if len(evals) > 0 {
		return S(evalSortPrefix + evals[0]), false
	}
	return fallback, true
}

// evalColumns are the sortable mean-score columns of the evaluations.
func evalColumns(evals []string) []column {
	out := []column{}
	for _, n := range evals[:min(len(evals), maxEvalColumns)] {
		out = append(out, column{Label: clip(n, 18), Key: evalSortPrefix + n, Num: true,
			Title: "Sort by mean " + n + " score (rows without one come last)"})
	}
	return out
}

// evalCells formats the means of the evaluations' columns; "—" where the
// row has no score for one.
func evalCells(aggs map[string]store.EvalAggregate, evals []string) []string {
	out := make([]string, 0, min(len(evals), maxEvalColumns))
	for _, n := range evals[:min(len(evals), maxEvalColumns)] {
		if a, ok := aggs[n]; ok && a.Mean != nil {
			out = append(out, fmtScore(a.Mean))
		} else {
			out = append(out, "—")
		}
	}
	return out
}

// isEvalSort reports whether key sorts by an evaluation's mean.
func isEvalSort(key string) bool {
	return len(key) > len(evalSortPrefix) && strings.HasPrefix(key, evalSortPrefix)
}

// orderParam is the order parameter of a list's current order.
func orderParam(desc bool) string {
	if desc {
		return "desc"
	}
	return "asc"
}
