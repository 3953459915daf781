package store

import (
	"encoding/binary"
	"errors"
	"math"
	"slices"
)

// latHist is a latency histogram whose buckets grow geometrically, so that
// any value is known within histAccuracy of itself whatever its scale, and
// two histograms merge by adding counts. The dashboard's hourly rollups
// keep one per group, and percentiles over any number of hours come from
// their sum.
type latHist struct {
	counts map[int32]int64 // by bucket index; histZero holds values below histMin
	n      int64
}

const (
	// histAccuracy is the relative error of a value read back.
	histAccuracy = 0.01
	// histMin is the smallest latency (ms) kept apart from zero.
	histMin  = 1e-3
	histZero = math.MinInt32
)

var (
	histGamma    = (1 + histAccuracy) / (1 - histAccuracy)
	histLogGamma = math.Log(histGamma)
)

func (h *latHist) add(ms float64) { h.addN(histIndex(ms), 1) }

func (h *latHist) addN(i int32, n int64) {
	if h.counts == nil {
		h.counts = map[int32]int64{}
	}
	h.counts[i] += n
	h.n += n
}

func (h *latHist) merge(o *latHist) {
	for i, n := range o.counts {
		h.addN(i, n)
	}
}

// histIndex is the bucket of a value: bucket i holds (gamma^(i-1), gamma^i].
func histIndex(ms float64) int32 {
	if !(ms >= histMin) { // NaN too
		return histZero
	}
	return int32(math.Ceil(math.Log(ms) / histLogGamma))
}

// histValue is the value a bucket stands for: within histAccuracy of every
// value in it.
func histValue(i int32) float64 {
	if i == histZero {
		return 0
	}
	return 2 * math.Pow(histGamma, float64(i)) / (histGamma + 1)
}

// quantiles are the p-quantiles as percentile computes them on the
// sorted values (nearest rank with linear interpolation), each value read
// from its bucket.
func (h *latHist) quantiles(ps ...float64) []float64 {
	out := make([]float64, len(ps))
	if h.n == 0 {
		return out
	}
	idx := make([]int32, 0, len(h.counts))
	for i := range h.counts {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	// The value of rank r (0-based) in the sorted values.
	at := func(r int64) float64 {
		for _, i := range idx {
			if r < h.counts[i] {
				return histValue(i)
			}
			r -= h.counts[i]
		}
		return histValue(idx[len(idx)-1])
	}
	for k, p := range ps {
		pos := p * float64(h.n-1)
		lo := int64(pos)
		if lo+1 >= h.n {
			out[k] = at(h.n - 1)
			continue
		}
		a, b := at(lo), at(lo+1)
		out[k] = a + (b-a)*(pos-float64(lo))
	}
	return out
}

// quantile is one of quantiles.
func (h *latHist) quantile(p float64) float64 { return h.quantiles(p)[0] }

// encode writes the histogram as (index, count) varint pairs in index
// order, the index as a difference from the previous one.
func (h *latHist) encode() []byte {
	idx := make([]int32, 0, len(h.counts))
	for i := range h.counts {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	b := make([]byte, 0, 4*len(idx))
	prev := int64(0)
	for _, i := range idx {
		b = binary.AppendVarint(b, int64(i)-prev)
		b = binary.AppendUvarint(b, uint64(h.counts[i]))
		prev = int64(i)
	}
	return b
}

var errHist = errors.New("store: malformed latency histogram")

// decodeHist adds an encoded histogram to h.
func (h *latHist) decode(b []byte) error {
	prev := int64(0)
	for len(b) > 0 {
		d, n := binary.Varint(b)
		if n <= 0 {
			return errHist
		}
		b = b[n:]
		c, m := binary.Uvarint(b)
		if m <= 0 {
			return errHist
		}
		b = b[m:]
		prev += d
		if prev < math.MinInt32 || prev > math.MaxInt32 || c > math.MaxInt64/2 {
			return errHist
		}
		h.addN(int32(prev), int64(c))
	}
	return nil
}
