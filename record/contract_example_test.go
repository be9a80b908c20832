package record_test

import (
	"fmt"

	"github.com/rowtime/rowtime/aggregate"
	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/window"
)

type reading struct {
	T      record.Time
	Sensor string
	V      int64
}

func (r reading) EventTime() record.Time { return r.T }

// A caller following the error contract: go on after a refusal; after any
// other error, restore the snapshot taken before the call and replay; if the
// replay fails the same way, restore once more and dead-letter the record.
func ExampleIsRefused() {
	sensor := func(r reading) string { return r.Sensor }
	sums, _ := window.Aggregate(window.Step(10), sensor, aggregate.Sum(func(r reading) int64 { return r.V }), nil)
	counts, _ := window.Aggregate(window.Step(10), sensor, aggregate.Count[reading](), nil)
	op := record.Then(
		// A negative reading is refused before any stage takes it.
		record.MapErr(func(r reading) (reading, error) {
			if r.V < 0 {
				return r, fmt.Errorf("%w: negative reading %d", record.ErrRefused, r.V)
			}
			return r, nil
		}),
		record.Tee[reading, window.Result[string, int64]](sums, record.Then(
			// The second branch refuses readings above 100, after the
			// first has taken them: not a refusal of the input.
			record.MapErr(func(r reading) (reading, error) {
				if r.V > 100 {
					return r, fmt.Errorf("%w: reading %d above the limit", record.ErrRefused, r.V)
				}
				return r, nil
			}),
			record.Operator[reading, window.Result[string, int64]](counts))))
	snap := op.(record.Snapshotter)

	var out []window.Result[string, int64]
	var dead []reading
	for _, r := range []reading{{1, "a", 5}, {2, "a", -1}, {3, "b", 200}, {4, "a", 7}} {
		before, _ := snap.AppendSnapshot(nil)
		var got []window.Result[string, int64]
		emit := func(res window.Result[string, int64]) { got = append(got, res) }
		err := op.Push(r, emit)
		if err != nil && !record.IsRefused(err) {
			fmt.Println("failure:", err)
			snap.Restore(before)
			got = got[:0]
			if err = op.Push(r, emit); err != nil && !record.IsRefused(err) {
				snap.Restore(before)
				dead = append(dead, r)
				continue
			}
		}
		if err != nil {
			fmt.Println("refused:", err)
			continue
		}
		out = append(out, got...)
	}
	op.Flush(func(res window.Result[string, int64]) { out = append(out, res) })
	for _, r := range dead {
		fmt.Printf("dead letter: %s %d at %d\n", r.Sensor, r.V, int64(r.T))
	}
	for _, res := range out {
		fmt.Printf("%s [%d,%d) %d\n", res.Key, res.Start, res.End, res.Value)
	}
	// Output:
	// refused: record: then stage 1: record: refused: negative reading -1
	// failure: record: then stage 2: record: tee stage 2: record: then stage 1: record: refused: reading 200 above the limit
	// dead letter: b 200 at 3
	// a [0,10) 12
	// a [0,10) 2
}
