package aggtest_test

import (
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/rowtime/rowtime/aggregate"
	"github.com/rowtime/rowtime/aggregate/aggtest"
)

// meanOfMeans merges two averages by averaging them, a classic mistake: the
// mean of {1, 2, 3} is 2, but merging mean(1, 2) with mean(3) gives 2.25.
type meanOfMeans struct{}

func (meanOfMeans) Add(a *[2]float64, x float64) {
	a[0] = (a[0]*a[1] + x) / (a[1] + 1)
	a[1]++
}

func (meanOfMeans) Merge(dst, src *[2]float64) {
	switch {
	case src[1] == 0:
	case dst[1] == 0:
		*dst = *src
	default:
		dst[0] = (dst[0] + src[0]) / 2
		dst[1] += src[1]
	}
}

func (meanOfMeans) Result(a *[2]float64) float64 { return a[0] }

func ExampleCheck() {
	gen := func(rng *rand.Rand) float64 { return rng.Float64() }

	fmt.Println(aggtest.Check(aggregate.Avg(func(x float64) float64 { return x }), gen, nil))

	err := aggtest.Check[float64](meanOfMeans{}, gen, nil)
	var f *aggtest.Failure
	if errors.As(err, &f) {
		fmt.Println("broken:", f.Law)
	}
	// Output:
	// <nil>
	// broken: merge
}
