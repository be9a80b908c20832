package window_test

import (
	"fmt"
	"time"

	"github.com/rowtime/rowtime/aggregate"
	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/window"
)

type cityTemp struct {
	At   record.Time
	City string
	Temp int64
}

func (r cityTemp) EventTime() record.Time { return r.At }

func when(s string) record.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return record.Time(t.UnixNano())
}

func degrees(r cityTemp) int64 { return r.Temp }

// MIN and MAX of the last day's temperatures at every reading, over all
// cities:
//
//	SELECT STREAM *, MIN(temp) OVER w, MAX(temp) OVER w FROM weather
//	WINDOW w AS (RANGE INTERVAL '1' DAY PRECEDING)
func ExampleNewOver() {
	// No PARTITION BY: a nil key, and struct{} for the key type.
	op, err := window.NewOver(window.Unkeyed[cityTemp],
		aggregate.Pair(aggregate.Min(degrees), aggregate.Max(degrees)),
		nil, window.Range(24*time.Hour))
	if err != nil {
		panic(err)
	}
	in := []cityTemp{
		{when("2018-11-01 01:00"), "Denver", 29},
		{when("2018-11-01 01:00"), "Anchorage", 2},
		{when("2018-11-01 06:00"), "Miami", 65},
		{when("2018-11-01 18:00"), "Miami", 71},
		{when("2018-11-02 01:00"), "Anchorage", 4}, // 11-01 01:00 is exactly a day old: still in
		{when("2018-11-02 09:00"), "Anchorage", 3}, // now it is out
	}
	for _, r := range in {
		op.Push(r, func(row window.OverRow[cityTemp, aggregate.PairResult[int64, int64]]) {
			fmt.Printf("%s %-9s %2d  min %2d max %2d\n",
				time.Unix(0, int64(row.Record.At)).UTC().Format("01-02 15:04"),
				row.Record.City, row.Record.Temp, row.Value.First, row.Value.Second)
		})
	}
	// Output:
	// 11-01 01:00 Denver    29  min 29 max 29
	// 11-01 01:00 Anchorage  2  min  2 max 29
	// 11-01 06:00 Miami     65  min  2 max 65
	// 11-01 18:00 Miami     71  min  2 max 71
	// 11-02 01:00 Anchorage  4  min  2 max 71
	// 11-02 09:00 Anchorage  3  min  3 max 71
}

type quote struct {
	At     record.Time
	Ticker string
	Price  float64
}

func (t quote) EventTime() record.Time { return t.At }

// Several windows over one stream in one pass, per ticker:
//
//	SELECT STREAM ticker, price,
//	    AVG(price) OVER last2rows, AVG(price) OVER last4rows
//	FROM trades
//	WINDOW last2rows AS (PARTITION BY ticker ROWS 1 PRECEDING),
//	       last4rows AS (PARTITION BY ticker ROWS 3 PRECEDING)
//
// OverRow.Values holds one average per frame. It is reused for the next row:
// read it inside emit (or Clone the row).
func ExampleRows() {
	op, err := window.NewOver(
		func(t quote) string { return t.Ticker },
		aggregate.Avg(func(t quote) float64 { return t.Price }),
		nil, window.Rows(1), window.Rows(3))
	if err != nil {
		panic(err)
	}
	prices := map[string][]float64{"AMZN": {10, 12, 14, 16, 18}, "ASD": {1, 3}}
	var in []quote
	for i := range 5 {
		for _, tk := range []string{"AMZN", "ASD"} {
			if i < len(prices[tk]) {
				in = append(in, quote{record.Time(i), tk, prices[tk][i]})
			}
		}
	}
	for _, t := range in {
		op.Push(t, func(row window.OverRow[quote, float64]) {
			fmt.Printf("%-4s %4.1f  last2 %4.1f  last4 %4.1f\n",
				row.Record.Ticker, row.Record.Price, row.Values[0], row.Values[1])
		})
	}
	// Output:
	// AMZN 10.0  last2 10.0  last4 10.0
	// ASD   1.0  last2  1.0  last4  1.0
	// AMZN 12.0  last2 11.0  last4 11.0
	// ASD   3.0  last2  2.0  last4  2.0
	// AMZN 14.0  last2 13.0  last4 12.0
	// AMZN 16.0  last2 15.0  last4 13.0
	// AMZN 18.0  last2 17.0  last4 15.0
}

// Per-city counts over the last 6 hours, PARTITION BY city.
func ExampleRange() {
	op, err := window.NewOver(
		func(r cityTemp) string { return r.City },
		aggregate.Count[cityTemp](),
		nil, window.Range(6*time.Hour))
	if err != nil {
		panic(err)
	}
	emit := func(row window.OverRow[cityTemp, int64]) { fmt.Println(row.Record.City, row.Value) }
	op.Push(cityTemp{when("2018-11-01 01:00"), "Denver", 29}, emit)
	op.Push(cityTemp{when("2018-11-01 02:00"), "Anchorage", 2}, emit)
	op.Push(cityTemp{when("2018-11-01 06:00"), "Denver", 32}, emit)
	op.Push(cityTemp{when("2018-11-01 07:00"), "Denver", 35}, emit) // 01:00 is 6 hours back: inclusive
	op.Push(cityTemp{when("2018-11-01 07:01"), "Denver", 33}, emit) // 01:00 has left, 07:01 joined
	// Output:
	// Denver 1
	// Anchorage 1
	// Denver 2
	// Denver 3
	// Denver 3
}

// With Delay, input out of order by up to Delay waits until the watermark
// passes it and is then processed in time order; Advance (say, at the end of
// a batch) and Flush release it. A record below the watermark is late.
func ExampleOver_Advance() {
	op, err := window.NewOver(window.Unkeyed[cityTemp],
		aggregate.Sum(degrees),
		&window.Options[cityTemp]{
			Delay: time.Hour,
			Late: func(r cityTemp, err error) {
				fmt.Println("late:", r.City, r.Temp)
			},
		},
		window.Rows(1))
	if err != nil {
		panic(err)
	}
	emit := func(row window.OverRow[cityTemp, int64]) {
		fmt.Println("row:", row.Record.City, row.Record.Temp, "sum of last 2:", row.Value)
	}
	op.Push(cityTemp{when("2018-11-01 02:00"), "Denver", 10}, emit)
	op.Push(cityTemp{when("2018-11-01 01:30"), "Miami", 20}, emit)  // earlier: goes first
	op.Push(cityTemp{when("2018-11-01 03:00"), "Denver", 30}, emit) // watermark 02:00
	op.Push(cityTemp{when("2018-11-01 01:00"), "Anchorage", 1}, emit)
	fmt.Println("advance to 02:30")
	op.Advance(when("2018-11-01 02:30"), emit)
	fmt.Println("flush")
	op.Flush(emit)
	// Output:
	// row: Miami 20 sum of last 2: 20
	// row: Denver 10 sum of last 2: 30
	// late: Anchorage 1
	// advance to 02:30
	// flush
	// row: Denver 30 sum of last 2: 40
}

// A snapshot carries the windows and the reorder buffer from one Lambda
// invocation to the next.
func ExampleOver_AppendSnapshot() {
	newOp := func() *window.Over[cityTemp, string, int64] {
		op, err := window.NewOver(func(r cityTemp) string { return r.City },
			aggregate.Max(degrees), nil, window.Rows(2))
		if err != nil {
			panic(err)
		}
		return op
	}
	emit := func(row window.OverRow[cityTemp, int64]) { fmt.Println(row.Record.City, row.Value) }

	first := newOp()
	first.Push(cityTemp{when("2018-11-01 01:00"), "Denver", 29}, emit)
	first.Push(cityTemp{when("2018-11-01 07:00"), "Denver", 32}, emit)
	state, err := first.AppendSnapshot(nil)
	if err != nil {
		panic(err)
	}

	second := newOp()
	if err := second.Restore(state); err != nil {
		panic(err)
	}
	second.Push(cityTemp{when("2018-11-01 13:00"), "Denver", 30}, emit)
	second.Push(cityTemp{when("2018-11-01 19:00"), "Denver", 28}, emit)
	second.Push(cityTemp{when("2018-11-02 01:00"), "Denver", 27}, emit)
	// Output:
	// Denver 29
	// Denver 32
	// Denver 32
	// Denver 32
	// Denver 30
}
