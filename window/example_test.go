package window_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/rowtime/rowtime/aggregate"
	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/window"
)

// bid is a record of the examples: an auction bid.
type bid struct {
	At     record.Time
	Block  int64
	Amount int64
}

func (b bid) EventTime() record.Time { return b.At }

// clock returns 2024-05-01 at h:m:s UTC.
func clock(h, m, s int) record.Time {
	return record.Time(time.Date(2024, 5, 1, h, m, s, 0, time.UTC).UnixNano())
}

func hms(t record.Time) string { return time.Unix(0, int64(t)).UTC().Format("15:04:05") }

func printResult[K, V any](r window.Result[K, V]) {
	u := ""
	if r.Update {
		u = " (update)"
	}
	fmt.Printf("[%s, %s) %v: %v%s\n", hms(r.Start), hms(r.End), r.Key, r.Value, u)
}

func ExampleStep() {
	w := window.Step(15 * time.Second)
	s, err := w.Window(clock(13, 48, 23))
	if err != nil {
		panic(err)
	}
	fmt.Println(hms(s.Start), hms(s.End))

	// Before the epoch the window is still the one that contains the time:
	// a real floor.
	s, _ = w.Window(-1)
	fmt.Println(time.Duration(s.Start), time.Duration(s.End))

	// Invalid arguments are carried by the assigner and reported by Err and
	// by the operators built on it.
	fmt.Println(window.Step(0).Err())
	// Output:
	// 13:48:15 13:48:30
	// -15s 0s
	// window: invalid parameter: Step(0s): size must be positive
}

func ExampleFloor() {
	t := record.Time(time.Date(2004, 9, 30, 13, 48, 23, 0, time.UTC).UnixNano())
	for _, u := range []window.Unit{window.Minute, window.Day, window.Week, window.Year} {
		s, _ := window.Floor(u).Window(t)
		fmt.Printf("%-6v %s\n", u, time.Unix(0, int64(s.Start)).UTC().Format(time.DateTime))
	}
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		panic(err)
	}
	s, _ := window.FloorIn(window.Day, paris).Window(t)
	fmt.Println("DAY in Paris:", time.Unix(0, int64(s.Start)).In(paris).Format(time.DateTime+" MST"))
	// Output:
	// MINUTE 2004-09-30 13:48:00
	// DAY    2004-09-30 00:00:00
	// WEEK   2004-09-27 00:00:00
	// YEAR   2004-01-01 00:00:00
	// DAY in Paris: 2004-09-30 00:00:00 CEST
}

func ExampleMonths() {
	t := record.Time(time.Date(2004, 9, 30, 13, 48, 23, 0, time.UTC).UnixNano())
	s, _ := window.Months(3).Window(t)
	fmt.Println(time.Unix(0, int64(s.Start)).UTC().Format(time.DateOnly), time.Unix(0, int64(s.End)).UTC().Format(time.DateOnly))
	// Output:
	// 2004-07-01 2004-10-01
}

func ExampleHop() {
	w := window.Hop(10*time.Second, 5*time.Second)
	spans, _ := w.AppendWindows(nil, clock(12, 0, 7))
	for _, s := range spans {
		fmt.Println(hms(s.Start), hms(s.End))
	}

	// SUM(amount) per block over the last 10 seconds, every 5 seconds.
	op, _ := window.Aggregate(w, func(b bid) int64 { return b.Block },
		aggregate.Sum(func(b bid) int64 { return b.Amount }), nil)
	out, _ := record.Collect(op, []bid{
		{clock(12, 0, 1), 7, 10}, {clock(12, 0, 6), 7, 20}, {clock(12, 0, 12), 7, 30},
	})
	for _, r := range out {
		printResult(r)
	}
	// Output:
	// 12:00:00 12:00:10
	// 12:00:05 12:00:15
	// [11:59:55, 12:00:05) 7: 10
	// [12:00:00, 12:00:10) 7: 30
	// [12:00:05, 12:00:15) 7: 50
	// [12:00:10, 12:00:20) 7: 30
}

func ExampleSession() {
	// Bids per block in sessions of activity separated by 30 seconds or
	// more of silence.
	op, _ := window.Aggregate(window.Session(30*time.Second), func(b bid) int64 { return b.Block },
		aggregate.Count[bid](), nil)
	out, _ := record.Collect(op, []bid{
		{clock(12, 0, 0), 1, 5}, {clock(12, 0, 20), 1, 5}, {clock(12, 0, 45), 1, 5},
		{clock(12, 1, 15), 1, 5}, // exactly 30s after the last one: a new session
	})
	for _, r := range out {
		printResult(r)
	}
	// Output:
	// [12:00:00, 12:01:15) 1: 3
	// [12:01:15, 12:01:45) 1: 1
}

func ExampleStagger() {
	// KDA's WINDOWED BY STAGGER: each block's window opens at its first bid
	// and lasts one minute.
	op, _ := window.Aggregate(window.Stagger(time.Minute), func(b bid) int64 { return b.Block },
		aggregate.Max(func(b bid) int64 { return b.Amount }), nil)
	out, _ := record.Collect(op, []bid{
		{clock(12, 0, 10), 1, 5}, {clock(12, 0, 40), 2, 8}, {clock(12, 0, 50), 1, 9},
		{clock(12, 1, 10), 1, 4}, {clock(12, 1, 20), 2, 6},
	})
	for _, r := range out {
		printResult(r)
	}
	// Output:
	// [12:00:10, 12:01:10) 1: 9
	// [12:00:40, 12:01:40) 2: 8
	// [12:01:10, 12:02:10) 1: 4
}

func ExampleAggregate() {
	// SELECT STREAM block, SUM(amount) FROM bids
	// GROUP BY block, STEP(ROWTIME BY INTERVAL '15' SECOND)
	op, err := window.Aggregate(window.Step(15*time.Second),
		func(b bid) int64 { return b.Block },
		aggregate.Sum(func(b bid) int64 { return b.Amount }),
		nil)
	if err != nil {
		panic(err)
	}
	emit := func(r window.Result[int64, int64]) { printResult(r) }
	for _, b := range []bid{
		{clock(12, 0, 1), 2, 10}, {clock(12, 0, 3), 1, 5}, {clock(12, 0, 9), 2, 7},
		{clock(12, 0, 16), 1, 1}, // its watermark closes [12:00:00, 12:00:15)
	} {
		if err := op.Push(b, emit); err != nil {
			panic(err)
		}
	}
	fmt.Println("end of batch")
	_ = op.Advance(clock(12, 0, 30), emit) // e.g. the shard is idle until 12:00:30
	s := op.Stats()
	fmt.Println("records", s.Records, "emitted", s.Emitted, "open", s.OpenWindows)
	// Output:
	// [12:00:00, 12:00:15) 2: 17
	// [12:00:00, 12:00:15) 1: 5
	// end of batch
	// [12:00:15, 12:00:30) 1: 1
	// records 4 emitted 3 open 0
}

func ExampleOptions() {
	opts := &window.Options[bid]{
		Delay:    5 * time.Second,  // input is out of order by up to 5s
		Lateness: 30 * time.Second, // and corrections come up to 30s after a window closed
		Late: func(b bid, err error) { // anything later goes here instead of being dropped
			fmt.Println("late:", hms(b.At), errors.Is(err, window.ErrLate))
		},
	}
	op, _ := window.Aggregate(window.Step(10*time.Second), func(b bid) int64 { return b.Block },
		aggregate.Sum(func(b bid) int64 { return b.Amount }), opts)
	emit := func(r window.Result[int64, int64]) { printResult(r) }
	for _, b := range []bid{
		{clock(12, 0, 2), 1, 10},
		{clock(12, 0, 16), 1, 20}, // watermark 12:00:11: [12:00:00, 12:00:10) closes
		{clock(12, 0, 8), 1, 5},   // within the allowed lateness: an update
		{clock(12, 0, 50), 1, 1},  // watermark 12:00:45: [12:00:00, 12:00:10) is dropped
		{clock(12, 0, 4), 1, 7},   // too late
	} {
		_ = op.Push(b, emit)
	}
	// Output:
	// [12:00:00, 12:00:10) 1: 10
	// [12:00:00, 12:00:10) 1: 15 (update)
	// [12:00:10, 12:00:20) 1: 20
	// late: 12:00:04 true
}

func ExampleAgg_AppendSnapshot() {
	newOp := func() *window.Agg[bid, int64, int64] {
		op, _ := window.Aggregate(window.Step(time.Minute), func(b bid) int64 { return b.Block },
			aggregate.Sum(func(b bid) int64 { return b.Amount }), nil)
		return op
	}
	emit := func(r window.Result[int64, int64]) { printResult(r) }

	// One Lambda invocation: push a batch, keep the state.
	op := newOp()
	_ = op.Push(bid{clock(12, 0, 5), 1, 10}, emit)
	state, err := op.AppendSnapshot(nil)
	if err != nil {
		panic(err)
	}

	// The next invocation: restore, push the next batch.
	op = newOp()
	if err := op.Restore(state); err != nil {
		panic(err)
	}
	_ = op.Push(bid{clock(12, 0, 50), 1, 5}, emit)
	_ = op.Push(bid{clock(12, 1, 0), 1, 1}, emit)
	// Output:
	// [12:00:00, 12:01:00) 1: 15
}
