package record_test

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/rowtime/rowtime/record"
)

type Trade struct {
	Ticker string  `json:"ticker"`
	Price  float64 `json:"price"`
	Qty    int     `json:"qty"`
}

func ExampleMap() {
	double := record.Map(func(x int) int { return 2 * x })
	out, _ := record.Collect(double, []int{1, 2, 3})
	fmt.Println(out)
	// Output: [2 4 6]
}

func ExampleFilter() {
	even := record.Filter(func(x int) bool { return x%2 == 0 })
	out, _ := record.Collect(even, []int{1, 2, 3, 4})
	fmt.Println(out)
	// Output: [2 4]
}

func ExampleThen() {
	// SELECT ticker, price*qty FROM trades WHERE qty > 0
	op := record.Then(
		record.Filter(func(t Trade) bool { return t.Qty > 0 }),
		record.Map(func(t Trade) string { return fmt.Sprintf("%s %.2f", t.Ticker, t.Price*float64(t.Qty)) }))
	out, err := record.Collect(op, []Trade{{"AMZN", 178.5, 2}, {"ASD", 3, 0}, {"MMB", 1.25, 4}})
	fmt.Println(strings.Join(out, "; "), err)
	// Output: AMZN 357.00; MMB 5.00 <nil>
}

func ExampleThen_error() {
	parse := record.MapErr(func(s string) (int, error) {
		var n int
		_, err := fmt.Sscan(s, &n)
		return n, err
	})
	check := record.MapErr(func(n int) (int, error) {
		if n < 0 {
			return 0, errors.New("negative")
		}
		return n, nil
	})
	op := record.Then(parse, check)
	err := op.Push("-3", func(int) {})
	var se *record.StageError
	fmt.Println(errors.As(err, &se), se.Stage, err)
	// Output: true 2 record: then stage 2: negative
}

func ExampleTee() {
	// One input, two outputs: every trade once as its ticker, once as its
	// quantity.
	op := record.Tee(
		record.Map(func(t Trade) string { return t.Ticker }),
		record.Map(func(t Trade) string { return fmt.Sprint(t.Qty) }))
	out, _ := record.Collect(op, []Trade{{"AMZN", 1, 2}, {"MMB", 1, 7}})
	fmt.Println(out)
	// Output: [AMZN 2 MMB 7]
}

func ExampleCollect() {
	op := record.MapErr(func(x int) (int, error) {
		if x == 0 {
			return 0, errors.New("division by zero")
		}
		return 100 / x, nil
	})
	out, err := record.Collect(op, []int{4, 0, 5})
	fmt.Println(out, err)
	// Output: [25 20] record 1: division by zero
}

func ExampleParseISO8601() {
	t, err := record.ParseISO8601("2018-08-01 20:17:20.797")
	fmt.Println(t, err)
	t, err = record.ParseISO8601("2018-08-01T22:17:20+0200")
	fmt.Println(t, err)
	// Output:
	// 2018-08-01T20:17:20.797Z <nil>
	// 2018-08-01T20:17:20Z <nil>
}

func ExampleParseRFC3339() {
	t, _ := record.ParseRFC3339("1969-12-31T23:59:59.5-01:00")
	fmt.Println(int64(t), t, t.Unix(), t.Truncate(time.Hour))
	// Output: 3599500000000 1970-01-01T00:59:59.5Z 3599 1970-01-01T00:00:00Z
}

func ExampleTime_Truncate() {
	t := record.Time(-1) // one nanosecond before the epoch
	fmt.Println(t.Truncate(time.Second), record.FloorDiv(-1, 10), -1/10)
	// Output: 1969-12-31T23:59:59Z -1 0
}

func ExampleParseSeconds() {
	t, _ := record.ParseSeconds("1700000000.123456789")
	f, _ := record.FromSeconds(1700000000.123456789)
	fmt.Println(t, f)
	// Output: 2023-11-14T22:13:20.123456789Z 2023-11-14T22:13:20.123456717Z
}

func ExampleSnapshotter() {
	// Then and Tee are Snapshotters; a chain of stateless stages saves
	// only its envelope: a descriptor, the empty stages and a checksum.
	op := record.Then(record.Map(strings.ToUpper), record.Filter(func(s string) bool { return s != "" }))
	snap, err := op.(record.Snapshotter).AppendSnapshot(nil)
	fmt.Println(len(snap), err)
	fmt.Println(op.(record.Snapshotter).Restore(snap))
	fmt.Println(op.(record.Snapshotter).Restore([]byte{9}) != nil)
	// Output:
	// 41 <nil>
	// <nil>
	// true
}

func ExampleFilterMap() {
	// Parse what parses, skip blank lines, and refuse the rest.
	parse := record.FilterMap(func(s string) (int, bool, error) {
		if strings.TrimSpace(s) == "" {
			return 0, false, nil
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			return 0, false, fmt.Errorf("%w: %q is not a number", record.ErrRefused, s)
		}
		return n, true, nil
	})
	out, err := record.Collect(parse, []string{"1", " ", "x", "3"})
	fmt.Println(out, record.IsRefused(err), err)
	// Output: [1 3] true record 2: record: refused: "x" is not a number
}

func ExampleAt() {
	r := record.At(record.Time(1_700_000_000_000_000_000), Trade{Ticker: "AMZN", Price: 178.5, Qty: 10})
	fmt.Println(r.EventTime(), r.Value.Ticker)
	// Output: 2023-11-14T22:13:20Z AMZN
}

func ExampleTime_Add() {
	t := record.Time(1_700_000_000_000_000_000)
	fmt.Println(t.Add(90*time.Second), t.Add(90*time.Second).Sub(t))
	// The ends saturate instead of wrapping around.
	fmt.Println(record.MinTime.Add(-time.Hour) == record.MinTime, record.MaxTime.Sub(record.MinTime) == math.MaxInt64)
	// Output:
	// 2023-11-14T22:14:50Z 1m30s
	// true true
}

// Two pumps from one stream whose outputs differ, a running count and the
// trades themselves, fanned out by Tee once each output is mapped into one
// type that says which pump it comes from.
func ExampleTee_differentOutputs() {
	type line struct {
		Pump string
		Text string
	}
	count := 0
	counts := record.Map(func(Trade) int { count++; return count })
	big := record.Filter(func(t Trade) bool { return t.Qty >= 100 })
	both := record.Tee(
		record.Then(counts, record.Map(func(n int) line { return line{"COUNT", strconv.Itoa(n)} })),
		record.Then(big, record.Map(func(t Trade) line { return line{"BIG", t.Ticker} })),
	)
	out, _ := record.Collect(both, []Trade{{Ticker: "AMZN", Qty: 100}, {Ticker: "MMB", Qty: 5}})
	for _, l := range out {
		fmt.Println(l.Pump, l.Text)
	}
	// Output:
	// COUNT 1
	// BIG AMZN
	// COUNT 2
}

func ExampleAppendSnapshot() {
	// A pipeline and an operator beside it, snapshotted together without
	// asserting that either is a Snapshotter.
	pipe := record.Then(record.Map(strings.ToUpper), record.Filter(func(s string) bool { return s != "" }))
	other := record.Map(strings.ToLower)
	snap, err := record.AppendSnapshot(nil, pipe, other)
	fmt.Println(err)
	fmt.Println(record.RestoreSnapshot(snap, pipe, other))
	fmt.Println(errors.Is(record.RestoreSnapshot(snap, pipe), record.ErrSnapshot))
	// Output:
	// <nil>
	// <nil>
	// true
}
