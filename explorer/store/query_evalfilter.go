package store

import "math"

// evalFilter adds SessionFilter.Eval and EvalBelow to p: the session has
// an evaluation of that name, or its mean score of it is below the bound
// (a session without a scored one is not below anything).
func evalFilter(p *page, f SessionFilter) error {
	switch {
	case f.Eval == "" && f.EvalBelow != nil:
		return &FilterError{"eval_below", "needs eval (the evaluation's name)"}
	case f.Eval == "":
		return nil
	case f.EvalBelow != nil && (math.IsNaN(*f.EvalBelow) || math.IsInf(*f.EvalBelow, 0)):
		return &FilterError{"eval_below", "must be a finite number"}
	case f.EvalBelow != nil:
		p.add("(SELECT avg(e.score) FROM evaluations e WHERE e.session_id = sessions.session_id AND e.name = ?) < ?", f.Eval, *f.EvalBelow)
	default:
		p.add("EXISTS (SELECT 1 FROM evaluations e WHERE e.session_id = sessions.session_id AND e.name = ?)", f.Eval)
	}
	return nil
}
