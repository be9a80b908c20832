package table_test

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/record/table"
)

type Trade struct {
	Ticker string
	Price  float64
	Qty    int
}

func ExampleLeftJoin() {
	companies := "Ticker, Company\nAMZN,Amazon\nASD, SomeCompanyA\nMMB, SomeCompanyB\nWAS,  SomeCompanyC\n"
	tickers, err := table.ReadCSV(strings.NewReader(companies), table.StringKey("Ticker"), nil)
	if err != nil {
		panic(err)
	}
	enrich := table.LeftJoin(tickers,
		func(t Trade) string { return t.Ticker },
		func(t Trade, r table.Row) (string, error) {
			if !r.Found() {
				return t.Ticker + " (unknown)", nil
			}
			return t.Ticker + " " + r.Get("Company"), nil
		})
	out, _ := record.Collect(enrich, []Trade{{Ticker: "ASD"}, {Ticker: "XYZ"}, {Ticker: "WAS"}})
	fmt.Println(strings.Join(out, "\n"))
	// Output:
	// ASD SomeCompanyA
	// XYZ (unknown)
	// WAS SomeCompanyC
}

func ExampleJoin() {
	// KDA's news example ships rows without a header; the records carry
	// the user id as a number, and so does the table's key.
	users := "101,female,1\n102,male,2\n"
	groups, err := table.ReadCSV(strings.NewReader(users), table.IntKey("id"),
		&table.Options{Columns: []string{"id", "gender", "group"}})
	if err != nil {
		panic(err)
	}
	type click struct {
		User int64
		Page string
	}
	op := table.Join(groups,
		func(c click) int64 { return c.User },
		func(c click, r table.Row) (string, error) {
			g, err := strconv.Atoi(r.Get("group"))
			if err != nil {
				// The row cannot be joined with: refuse the record.
				return "", fmt.Errorf("%w: group %q", record.ErrRefused, r.Get("group"))
			}
			return fmt.Sprintf("%s by group %d", c.Page, g), nil
		})
	out, _ := record.Collect(op, []click{{101, "/a"}, {999, "/b"}, {102, "/c"}})
	fmt.Println(out)
	// Output: [/a by group 1 /c by group 2]
}

func ExampleKeyOf() {
	prices := "region,ticker,price\neu,AMZN,170\nus,AMZN,178.5\n"
	byRegion := table.KeyOf(func(v []string) ([2]string, error) { return [2]string(v), nil }, "region", "ticker")
	t, _ := table.ReadCSV(strings.NewReader(prices), byRegion, nil)
	row, ok := t.Lookup([2]string{"us", "AMZN"})
	fmt.Println(ok, row.Get("price"))
	_, ok = t.Lookup([2]string{"ap", "AMZN"})
	fmt.Println(ok)
	// Output:
	// true 178.5
	// false
}

func ExampleReadJSONLines() {
	data := `{"ticker":"AMZN","company":"Amazon","employees":1541000}
{"ticker":"MMB","company":"SomeCompanyB"}`
	t, _ := table.ReadJSONLines(strings.NewReader(data), table.StringKey("ticker"), nil)
	row, _ := t.Lookup("AMZN")
	fmt.Println(t.Columns(), row.Get("employees"))
	// Output: [ticker company employees] 1541000
}

func ExampleReadCSV_duplicateKey() {
	_, err := table.ReadCSV(strings.NewReader("Ticker,Company\nAMZN,Amazon\nAMZN,Again\n"), table.StringKey("Ticker"), nil)
	fmt.Println(errors.Is(err, table.ErrDuplicateKey), err)
	// Output: true table: line 3 field "Ticker": table: duplicate key "AMZN" (first on line 2)
}
