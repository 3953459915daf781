package web

import (
	"math"
	"net/url"
	"strconv"

	"github.com/traceai-go/traceai/explorer/store"
)

// evalFilter reads the sessions page's "evaluation below" filter: eval (a
// name) and eval_below (a number).
func evalFilter(q url.Values, f *store.SessionFilter) error {
	f.Eval = q.Get("eval")
	v := q.Get("eval_below")
	if v == "" {
		return nil
	}
	x, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
		return &formError{"eval_below", "want a number like 0.5"}
	}
	if f.Eval == "" {
		return &formError{"eval_below", "choose the evaluation too"}
	}
	f.EvalBelow = &x
	return nil
}
