// Package bench measures rowtime across packages: the Nexmark queries written
// with rowtime's public API, and a keyed count compared with another Go stream
// library and with a hand-written loop, all in one benchmark run. The results
// table is in README.md beside this file.
package bench

import (
	"time"

	"github.com/reugn/go-streams"
	"github.com/reugn/go-streams/extension"
	"github.com/reugn/go-streams/flow"

	"github.com/rowtime/rowtime/bench/nexmark"
)

// Bids returns the first n bids of the Nexmark stream for seed.
func Bids(seed uint64, n int, opts *nexmark.Options) []nexmark.Bid {
	g, err := nexmark.New(seed, opts)
	if err != nil {
		panic(err)
	}
	bids := make([]nexmark.Bid, n)
	for i := range bids {
		g.NextBid(&bids[i])
	}
	return bids
}

// LoopCount counts bids per auction with a plain map: the floor any library
// is measured against.
func LoopCount(bids []nexmark.Bid) map[int64]int64 {
	counts := make(map[int64]int64)
	for i := range bids {
		counts[bids[i].Auction]++
	}
	return counts
}

type keyCount struct {
	key   int64
	count int64
}

// GoStreamsCount counts bids per auction with github.com/reugn/go-streams:
// a channel source, a Keyed flow with a tumbling window per auction (its
// windows close on the wall clock every window), and a sink that adds up
// each window's size per key. The total per key is what any correct keyed
// count must reach, whatever the window boundaries were.
func GoStreamsCount(bids []nexmark.Bid, window time.Duration) map[int64]int64 {
	in := make(chan any, 1024)
	out := make(chan any, 1024)
	source := extension.NewChanSource(in)
	keyed := flow.NewKeyed(func(b nexmark.Bid) int64 { return b.Auction },
		func() streams.Flow { return flow.NewTumblingWindow[nexmark.Bid](window) },
		func() streams.Flow {
			return flow.NewMap(func(w []nexmark.Bid) keyCount {
				if len(w) == 0 {
					return keyCount{key: -1}
				}
				return keyCount{key: w[0].Auction, count: int64(len(w))}
			}, 1)
		})
	go source.Via(keyed).To(extension.NewChanSink(out))
	done := make(chan map[int64]int64)
	go func() {
		counts := make(map[int64]int64)
		for e := range out {
			kc := e.(keyCount)
			if kc.count > 0 {
				counts[kc.key] += kc.count
			}
		}
		done <- counts
	}()
	for i := range bids {
		in <- bids[i]
	}
	close(in)
	return <-done
}
