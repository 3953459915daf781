package evaluate

// ParseVerdict exposes parseVerdict to the tests.
func ParseVerdict(e *Evaluator, text string) (Verdict, error) {
	if e.tmpl == nil {
		if err := e.compile(); err != nil {
			return Verdict{}, err
		}
	}
	return e.parseVerdict(text)
}
