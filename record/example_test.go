package record_test

import (
	"errors"
	"fmt"
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

func ExampleLeftJoin() {
	companies := "Ticker, Company\nAMZN,Amazon\nASD, SomeCompanyA\nMMB, SomeCompanyB\nWAS,  SomeCompanyC\n"
	table, err := record.ReadCSV(strings.NewReader(companies), []string{"Ticker"}, nil)
	if err != nil {
		panic(err)
	}
	enrich := record.LeftJoin(table,
		func(t Trade) string { return t.Ticker },
		func(t Trade, r record.Row) string {
			if !r.Found() {
				return t.Ticker + " (unknown)"
			}
			return t.Ticker + " " + r.Get("Company")
		})
	out, _ := record.Collect(enrich, []Trade{{Ticker: "ASD"}, {Ticker: "XYZ"}, {Ticker: "WAS"}})
	fmt.Println(strings.Join(out, "\n"))
	// Output:
	// ASD SomeCompanyA
	// XYZ (unknown)
	// WAS SomeCompanyC
}

func ExampleJoin() {
	// KDA's news example ships rows without a header.
	users := "101,female,1\n102,male,2\n"
	table, err := record.ReadCSV(strings.NewReader(users), []string{"id"},
		&record.TableOptions{Columns: []string{"id", "gender", "group"}})
	if err != nil {
		panic(err)
	}
	type click struct{ User, Page string }
	op := record.Join(table,
		func(c click) string { return c.User },
		func(c click, r record.Row) string { return c.Page + " by group " + r.Get("group") })
	out, _ := record.Collect(op, []click{{"101", "/a"}, {"999", "/b"}, {"102", "/c"}})
	fmt.Println(out)
	// Output: [/a by group 1 /c by group 2]
}

func ExampleTable_Lookup() {
	prices := "region,ticker,price\neu,AMZN,170\nus,AMZN,178.5\n"
	table, _ := record.ReadCSV(strings.NewReader(prices), []string{"region", "ticker"}, nil)
	row, ok := table.Lookup("us", "AMZN")
	fmt.Println(ok, row.Get("price"))
	_, ok = table.Lookup("ap", "AMZN")
	fmt.Println(ok)
	// Output:
	// true 178.5
	// false
}

func ExampleReadJSONLines() {
	data := `{"ticker":"AMZN","company":"Amazon","employees":1541000}
{"ticker":"MMB","company":"SomeCompanyB"}`
	table, _ := record.ReadJSONLines(strings.NewReader(data), []string{"ticker"}, nil)
	row, _ := table.Lookup("AMZN")
	fmt.Println(table.Columns(), row.Get("employees"))
	// Output: [ticker company employees] 1541000
}

func ExampleReadCSV_duplicateKey() {
	_, err := record.ReadCSV(strings.NewReader("Ticker,Company\nAMZN,Amazon\nAMZN,Again\n"), []string{"Ticker"}, nil)
	fmt.Println(errors.Is(err, record.ErrDuplicateKey), err)
	// Output: true record: table line 3 field "Ticker": record: duplicate key "AMZN" (first on line 2)
}

func ExampleAppendBinary() {
	type state struct {
		Key   string
		Count int64
		Last  record.Time
	}
	buf, _ := record.AppendBinary(nil, state{"AMZN", 3, 1_700_000_000_000_000_000})
	buf, _ = record.AppendBinary(buf, []float64{1.5, 2})
	var s state
	var f []float64
	n, _ := record.ReadBinary(buf, &s)
	m, _ := record.ReadBinary(buf[n:], &f)
	fmt.Println(s.Key, s.Count, s.Last, f, n+m == len(buf))
	// Output: AMZN 3 2023-11-14T22:13:20Z [1.5 2] true
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
