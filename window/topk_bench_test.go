package window

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/rowtime/rowtime/record"
)

// BenchmarkTopKItems measures TOP_K_ITEMS_TUMBLING per record: Zipf (s = 1.2)
// articles over 10^5 items, +1 ms per record, one-minute windows (60,000
// records each), capacity 10·K, emissions included.
func BenchmarkTopKItems(b *testing.B) {
	for _, k := range []int{10} {
		b.Run(fmt.Sprintf("k=%d", k), func(b *testing.B) {
			op, err := TopKItems(Step(time.Minute), k, clickArticle, nil)
			if err != nil {
				b.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			z := rand.NewZipf(rng, 1.2, 1, 100_000)
			articles := make([]int, 1<<16)
			for i := range articles {
				articles[i] = int(z.Uint64())
			}
			var i int
			var t record.Time
			var rows int
			emit := func(TopKItem[NoKey, int]) { rows++ }
			push := func() {
				i++
				t += record.Time(time.Millisecond)
				if err := op.Push(click{T: t, Article: articles[i&(len(articles)-1)]}, emit); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			for b.Loop() {
				push()
			}
		})
	}
}
