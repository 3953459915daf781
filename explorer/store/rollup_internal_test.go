package store

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
)

// TestLatHistAccuracy checks that percentiles read from the histogram are
// within histAccuracy of the exact ones, whatever the scale, and that a
// histogram survives its encoding and merges by adding.
func TestLatHistAccuracy(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, scale := range []float64{0.5, 40, 1200, 90_000, 4e6} {
		var a, b latHist
		var all []float64
		for i := range 5000 {
			v := scale * math.Exp(rng.NormFloat64())
			all = append(all, v)
			if i%2 == 0 {
				a.add(v)
			} else {
				b.add(v)
			}
		}
		var merged latHist
		for _, h := range []*latHist{&a, &b} {
			if err := merged.decode(h.encode()); err != nil {
				t.Fatal(err)
			}
		}
		sort.Float64s(all)
		for _, p := range []float64{0, 0.5, 0.95, 0.99, 1} {
			want, got := percentile(all, p), merged.quantile(p)
			if math.Abs(got-want) > histAccuracy*want {
				t.Errorf("scale %v p%v: %v, exact %v", scale, p*100, got, want)
			}
		}
	}
	var z latHist
	z.add(0)
	z.add(math.NaN())
	if z.quantile(0.5) != 0 || z.n != 2 {
		t.Errorf("zeros: %v of %d", z.quantile(0.5), z.n)
	}
	if err := new(latHist).decode([]byte{0x80}); err == nil {
		t.Error("a truncated histogram decoded")
	}
}

// TestIDSetCountsAcrossForms checks that ids scanned and ids of rollups
// count once each, however they arrive.
func TestIDSetCountsAcrossForms(t *testing.T) {
	var hour1, hour2, q idSet
	hour1.add("s1")
	hour1.add("s2")
	hour2.add("s2")
	hour2.add("s3")
	if err := q.addHashes(hour1.encode()); err != nil {
		t.Fatal(err)
	}
	if err := q.addHashes(hour2.encode()); err != nil {
		t.Fatal(err)
	}
	q.add("s3") // a scanned turn of a session a rollup holds
	q.add("s4")
	if n := q.len(); n != 4 {
		t.Errorf("%d ids, want 4", n)
	}
	if err := q.addHashes([]byte{1, 2, 3}); err == nil {
		t.Error("a malformed set was read")
	}
}
