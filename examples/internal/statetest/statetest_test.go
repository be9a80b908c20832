package statetest

import (
	"bytes"
	"encoding/base64"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/rowtime/rowtime/aggregate"
	"github.com/rowtime/rowtime/distinct"
	"github.com/rowtime/rowtime/examples/query/auction"
	"github.com/rowtime/rowtime/examples/query/trending"
	"github.com/rowtime/rowtime/hotspot"
	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/window"
)

// snapshotter is the snapshot contract every stateful operator keeps.
type snapshotter interface {
	AppendSnapshot(dst []byte) ([]byte, error)
	Restore(data []byte) error
}

func mustSnapshotter(tb testing.TB, op any) snapshotter {
	tb.Helper()
	s, ok := op.(snapshotter)
	if !ok {
		tb.Fatalf("%T has no AppendSnapshot/Restore", op)
	}
	return s
}

// lambdaStateLimit is the most state a Lambda time-window invocation may
// return: 1 MB, counted here on the base64 text.
const lambdaStateLimit = 1 << 20

// roundTrip snapshots op, restores the bytes into fresh and checks that
// fresh snapshots to the same bytes.
func roundTrip(tb testing.TB, op, fresh snapshotter) []byte {
	tb.Helper()
	snap, err := op.AppendSnapshot(nil)
	if err != nil {
		tb.Fatal(err)
	}
	if err := fresh.Restore(snap); err != nil {
		tb.Fatalf("restore: %v", err)
	}
	again, err := fresh.AppendSnapshot(nil)
	if err != nil {
		tb.Fatal(err)
	}
	if !bytes.Equal(snap, again) {
		tb.Fatalf("a restored operator snapshots to %d other bytes than the %d it was restored from", len(again), len(snap))
	}
	return snap
}

// TestAuctionSnapshotSize runs a minute of the auction example's default
// workload (a block of ten bids about every 15 s) and reports the size of
// the Query's snapshot, which must fit Lambda's time-window state. It also
// reports the size after ten minutes, to show that state does not grow with
// the stream: closed windows leave it.
func TestAuctionSnapshotSize(t *testing.T) {
	for _, minutes := range []int{1, 10} {
		q, err := auction.New(nil)
		if err != nil {
			t.Fatal(err)
		}
		g := auction.NewGenerator(1)
		n := 0
		for {
			r := g.Next()
			if r.Time >= auction.Start+record.Time(minutes)*record.Time(time.Minute) {
				break
			}
			if err := q.Push(r, func([]byte) {}); err != nil {
				t.Fatal(err)
			}
			n++
		}
		fresh, _ := auction.New(nil)
		snap := roundTrip(t, q, fresh)
		b64 := base64.StdEncoding.EncodedLen(len(snap))
		t.Logf("auction after %d min (%d bids): snapshot %d bytes, %d base64", minutes, n, len(snap), b64)
		if b64 > lambdaStateLimit {
			t.Errorf("auction snapshot is %d bytes in base64, over Lambda's %d", b64, lambdaStateLimit)
		}
	}
}

// TestTrendingSnapshotSize runs a minute of the trending example's default
// workload (500,000 actions, 100,000 users, 5,000 articles) through the
// per-shard operator the consumer snapshots, trending.Partial, and reports
// its snapshot size at the end of the minute, when the minute's window is
// still open and its state largest.
func TestTrendingSnapshotSize(t *testing.T) {
	n := trending.PerMinute
	if testing.Short() {
		n /= 20
	}
	users, err := trending.LoadUsers(bytes.NewReader(trending.GenerateUsers(1)))
	if err != nil {
		t.Fatal(err)
	}
	op, err := trending.Partial(nil)
	if err != nil {
		t.Fatal(err)
	}
	g := trending.NewGenerator(1)
	for range n {
		if err := op.Push(trending.Join(users, g.Next()), func(window.Result[trending.Key, trending.State]) {}); err != nil {
			t.Fatal(err)
		}
	}
	fresh, _ := trending.Partial(nil)
	snap := roundTrip(t, mustSnapshotter(t, op), mustSnapshotter(t, fresh))
	st := op.Stats()
	t.Logf("trending.Partial after %d actions: %d keys open, snapshot %d bytes (%.1f per key), %d base64",
		n, st.OpenWindows, len(snap), float64(len(snap))/float64(max(st.OpenWindows, 1)), base64.StdEncoding.EncodedLen(len(snap)))
}

// The benchmark cases.

type rec = record.Of[int64]

func sumOp(tb testing.TB) (snapshotter, func() snapshotter) {
	mk := func() *window.Agg[rec, int64, int64] {
		op, err := window.Aggregate(window.Step(time.Minute), func(r rec) int64 { return r.Value % 1000 },
			aggregate.Sum(func(r rec) int64 { return r.Value }), nil)
		if err != nil {
			tb.Fatal(err)
		}
		return op
	}
	op := mk()
	for i := range int64(5000) {
		if err := op.Push(rec{Time: record.Time(i) * 1e6, Value: i}, func(window.Result[int64, int64]) {}); err != nil {
			tb.Fatal(err)
		}
	}
	if op.Stats().OpenWindows != 1000 {
		tb.Fatalf("%d open windows, want 1000", op.Stats().OpenWindows)
	}
	return mustSnapshotter(tb, op), func() snapshotter { return mustSnapshotter(tb, mk()) }
}

func distinctOp(tb testing.TB) (snapshotter, func() snapshotter) {
	newCounter := func() (snapshotter, func(rec) error) {
		op, err := distinct.CountItems(window.Step(10*time.Second), func(r rec) int64 { return r.Value }, nil)
		if err != nil {
			tb.Fatal(err)
		}
		return mustSnapshotter(tb, op), func(r rec) error { return op.Push(r, func(distinct.Result[distinct.NoKey]) {}) }
	}
	op, push := newCounter()
	// 50,000 distinct items in one window: past the exact threshold of
	// 10,000, so the window holds a HyperLogLog sketch.
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 50_000 {
		if err := push(rec{Time: record.Time(i) * 1e4, Value: rng.Int64()}); err != nil {
			tb.Fatal(err)
		}
	}
	return op, func() snapshotter { s, _ := newCounter(); return s }
}

func hotspotOp(tb testing.TB) (snapshotter, func() snapshotter) {
	type pt = record.Of[[2]float64]
	mk := func() *hotspot.Operator[pt] {
		op, err := hotspot.New(1000, 0.2, 17, func(dst []float64, r pt) []float64 { return append(dst, r.Value[0], r.Value[1]) }, nil)
		if err != nil {
			tb.Fatal(err)
		}
		return op
	}
	op := mk()
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 1500 {
		p := pt{Time: record.Time(i), Value: [2]float64{rng.Float64() * 10, rng.Float64() * 10}}
		if i%3 == 0 { // a dense spot
			p.Value = [2]float64{5 + rng.Float64()*0.3, 5 + rng.Float64()*0.3}
		}
		if err := op.Push(p, func(hotspot.Result[pt]) {}); err != nil {
			tb.Fatal(err)
		}
	}
	return mustSnapshotter(tb, op), func() snapshotter { return mustSnapshotter(tb, mk()) }
}

var cases = []struct {
	name string
	make func(testing.TB) (snapshotter, func() snapshotter)
}{
	{"op=sum/keys=1000", sumOp},
	{"op=distinct/phase=hll", distinctOp},
	{"op=hotspot/points=1000", hotspotOp},
}

// TestSnapshotRoundTrip checks each benchmark case once: restoring a
// snapshot gives an operator that snapshots to the same bytes, and the
// sizes stay in the range the formats promise.
func TestSnapshotRoundTrip(t *testing.T) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			op, fresh := c.make(t)
			snap := roundTrip(t, op, fresh())
			t.Logf("%d bytes", len(snap))
			if len(snap) > 64<<10 {
				t.Errorf("snapshot of %d bytes: over 64 KiB", len(snap))
			}
		})
	}
}

func BenchmarkSnapshot(b *testing.B) {
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			op, _ := c.make(b)
			var buf []byte
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if buf, err = op.AppendSnapshot(buf[:0]); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(buf)), "bytes/snapshot")
		})
	}
}

func BenchmarkRestore(b *testing.B) {
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			op, fresh := c.make(b)
			snap, err := op.AppendSnapshot(nil)
			if err != nil {
				b.Fatal(err)
			}
			dst := fresh()
			b.ReportAllocs()
			for b.Loop() {
				if err := dst.Restore(snap); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(snap)), "bytes/snapshot")
		})
	}
}
