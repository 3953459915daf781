package explorer

import (
	"fmt"
	"math"
	"strconv"

	"github.com/traceai-go/traceai/explorer/store"
)

// float reads a finite number, nil when absent.
func (p *params) float(k string) *float64 {
	s := p.q.Get(k)
	if s == "" || p.err != nil {
		return nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		p.err = &store.FilterError{Param: k, Msg: fmt.Sprintf("%q is not a finite number", s)}
		return nil
	}
	return &v
}
