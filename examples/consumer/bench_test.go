package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/rowtime/rowtime/record"
)

// BenchmarkMerge folds the partial results of shards into the merge and
// finalizes each window as the watermark passes it: one op is one partial
// (one shard's result for one window and key).
func BenchmarkMerge(b *testing.B) {
	for _, keys := range []int{100, 10_000} {
		for _, shards := range []int{2, 8} {
			b.Run(fmt.Sprintf("keys=%d/shards=%d", keys, shards), func(b *testing.B) {
				names := make([]string, keys)
				for i := range names {
					names[i] = fmt.Sprintf("key-%d", i)
				}
				m := newMerge[string](sumMerger{}, strings.Compare)
				emit := func(record.Time, record.Time, string, int64) {}
				v := int64(1)
				i := 0
				b.ReportAllocs()
				for b.Loop() {
					w := record.Time(i / (keys * shards))
					if err := m.add(w*60, w*60+60, names[i%keys], &v); err != nil {
						b.Fatal(err)
					}
					i++
					if i%(keys*shards) == 0 {
						m.advance(w*60+60, emit)
					}
				}
			})
		}
	}
}
