package window_test

import (
	"fmt"
	"time"

	"github.com/rowtime/rowtime/aggregate"
	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/window"
)

type tick struct {
	At    record.Time
	Price float64
}

func (t tick) EventTime() record.Time { return t.At }

func price(t tick) float64 { return t.Price }

func sec(n int) record.Time { return record.Time(time.Duration(n) * time.Second) }

// EXP_AVG(price, INTERVAL '10' SECOND) OVER (RANGE INTERVAL '30' SECOND
// PRECEDING): the newest 10 s weigh 1, the 10 s before 1/2, the oldest 1/4
// (and a row exactly 30 s old 1/8).
func ExampleExpAvg() {
	op, _ := window.NewOver(window.Unkeyed[tick], window.ExpAvg(price, 10*time.Second), nil, window.Range(30*time.Second))
	print := func(r window.OverRow[tick, float64]) { fmt.Printf("%.4f\n", r.Value) }
	op.Push(tick{sec(0), 10}, print)
	op.Push(tick{sec(15), 20}, print) // 10 at weight 1/2
	op.Push(tick{sec(25), 30}, print) // 10 at 1/4, 20 at 1/2
	// Output:
	// 10.0000
	// 16.6667
	// 24.2857
}

// LAG(price, 1) OVER (ROWS 2 PRECEDING): the previous price, absent for the
// first row.
func ExampleLag() {
	op, _ := window.NewOver(window.Unkeyed[tick], window.Lag(price, 1), nil, window.Rows(2))
	print := func(r window.OverRow[tick, aggregate.Null[float64]]) { fmt.Println(r.Value) }
	op.Push(tick{sec(0), 10}, print)
	op.Push(tick{sec(1), 11}, print)
	op.Push(tick{sec(2), 12}, print)
	// Output:
	// {0 false}
	// {10 true}
	// {11 true}
}

// NTH_VALUE(price, 2) FROM FIRST and FROM LAST over ROWS 2 PRECEDING.
func ExampleNthValue() {
	first, _ := window.NewOver(window.Unkeyed[tick], window.NthValue(price, 2, window.FromFirst), nil, window.Rows(2))
	last, _ := window.NewOver(window.Unkeyed[tick], window.NthValue(price, 2, window.FromLast), nil, window.Rows(2))
	for i, p := range []float64{10, 11, 12, 13} {
		var a, b aggregate.Null[float64]
		first.Push(tick{sec(i), p}, func(r window.OverRow[tick, aggregate.Null[float64]]) { a = r.Value })
		last.Push(tick{sec(i), p}, func(r window.OverRow[tick, aggregate.Null[float64]]) { b = r.Value })
		fmt.Println(a, b)
	}
	// Output:
	// {0 false} {0 false}
	// {11 true} {10 true}
	// {11 true} {11 true}
	// {12 true} {12 true}
}
