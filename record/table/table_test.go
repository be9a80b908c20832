package table

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rowtime/rowtime/record"
)

// The reference table of KDA's stock ticker example, spaces and all.
const tickerCSV = "Ticker, Company\nAMZN,Amazon\nASD, SomeCompanyA\nMMB, SomeCompanyB\nWAS,  SomeCompanyC\n"

type quote struct {
	Ticker string
	Price  float64
}

type enriched struct {
	Ticker, Company string
	Found           bool
}

func TestTickerCompany(t *testing.T) {
	tab, err := ReadCSV(strings.NewReader(tickerCSV), StringKey("Ticker"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if tab.Len() != 4 || !slices.Equal(tab.Columns(), []string{"Ticker", "Company"}) {
		t.Fatalf("len %d columns %q", tab.Len(), tab.Columns())
	}
	in := []quote{{"ASD", 1}, {"XYZ", 2}, {"WAS", 3}, {"AMZN", 4}}
	join := func(q quote, r Row) (enriched, error) { return enriched{q.Ticker, r.Get("Company"), r.Found()}, nil }

	t.Run("inner", func(t *testing.T) {
		out, err := record.Collect(Join(tab, func(q quote) string { return q.Ticker }, join), in)
		want := []enriched{{"ASD", "SomeCompanyA", true}, {"WAS", "SomeCompanyC", true}, {"AMZN", "Amazon", true}}
		if err != nil || !cmp.Equal(out, want) {
			t.Fatalf("got %v, %v", out, err)
		}
	})
	t.Run("left", func(t *testing.T) {
		out, err := record.Collect(LeftJoin(tab, func(q quote) string { return q.Ticker }, join), in)
		want := []enriched{{"ASD", "SomeCompanyA", true}, {"XYZ", "", false}, {"WAS", "SomeCompanyC", true}, {"AMZN", "Amazon", true}}
		if err != nil || !cmp.Equal(out, want) {
			t.Fatalf("got %v, %v", out, err)
		}
	})
	t.Run("lookup", func(t *testing.T) {
		r, ok := tab.Lookup("MMB")
		if !ok || r.Get("Company") != "SomeCompanyB" || r.Get("Ticker") != "MMB" || r.Get("nope") != "" {
			t.Fatalf("got %v %q", ok, r.Get("Company"))
		}
		c, _ := tab.Column("Company")
		if r.Field(c) != "SomeCompanyB" {
			t.Fatal("Field")
		}
		if _, ok := tab.Lookup(" MMB"); ok {
			t.Fatal("lookup is exact")
		}
		if (Row{}).Get("Company") != "" || (Row{}).Field(0) != "" || (Row{}).Found() {
			t.Fatal("zero Row")
		}
	})
	t.Run("snapshot of a pipeline with a join", func(t *testing.T) {
		op := record.Then(Join(tab, func(q quote) string { return q.Ticker }, join), record.Filter(func(e enriched) bool { return e.Found }))
		b, err := op.(record.Snapshotter).AppendSnapshot(nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := op.(record.Snapshotter).Restore(b); err != nil {
			t.Fatal(err)
		}
	})
}

func TestReadCSV(t *testing.T) {
	t.Run("no header given columns", func(t *testing.T) {
		tab, err := ReadCSV(strings.NewReader("101,female,1\n102, male ,2\n"), StringKey("id"), &Options{Columns: []string{"id", "gender", "group"}})
		if err != nil {
			t.Fatal(err)
		}
		r, ok := tab.Lookup("102")
		if !ok || r.Get("gender") != "male" || r.Get("group") != "2" {
			t.Fatalf("got %v %q", ok, r.Get("gender"))
		}
	})
	t.Run("composite key quoted fields bom semicolon", func(t *testing.T) {
		data := "\ufeffregion;ticker;name\n eu ;A;\"Alpha; Inc\"\neu;B;\"Be\"\"ta\"\nus;A;\"multi\nline\"\n"
		tab, err := ReadCSV(strings.NewReader(data), keyOf("region", "ticker"), &Options{Comma: ';'})
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct{ region, ticker, name string }{{"eu", "A", "Alpha; Inc"}, {"eu", "B", `Be"ta`}, {"us", "A", "multi\nline"}} {
			r, ok := tab.Lookup([3]string{tc.region, tc.ticker})
			if !ok || r.Get("name") != tc.name {
				t.Fatalf("%s/%s: got %v %q", tc.region, tc.ticker, ok, r.Get("name"))
			}
		}
		if _, ok := tab.Lookup([3]string{"us", "B"}); ok {
			t.Fatal("us/B found")
		}
		out, _ := record.Collect(Join(tab, func(k [2]string) [3]string { return [3]string{k[0], k[1]} }, func(k [2]string, r Row) (string, error) { return r.Get("name"), nil }),
			[][2]string{{"eu", "B"}, {"xx", "A"}})
		if !slices.Equal(out, []string{`Be"ta`}) {
			t.Fatalf("join on composite key: %q", out)
		}
		var names []string
		tab.Rows(func(r Row) bool { names = append(names, r.Get("name")); return len(names) < 2 })
		if !slices.Equal(names, []string{"Alpha; Inc", `Be"ta`}) {
			t.Fatalf("Rows: %q", names)
		}
	})
	t.Run("empty table with header", func(t *testing.T) {
		tab, err := ReadCSV(strings.NewReader("a,b\n"), StringKey("a"), nil)
		if err != nil || tab.Len() != 0 {
			t.Fatal(tab, err)
		}
	})
	for _, tc := range []struct {
		name  string
		data  string
		key   Key[[3]string]
		opts  *Options
		err   error
		line  int
		field string
	}{
		{"duplicate key", tickerCSV + "ASD,Again\n", keyOf("Ticker"), nil, ErrDuplicateKey, 6, "Ticker"},
		{"duplicate key after trim", "k,v\na,1\n a ,2\n", keyOf("k"), nil, ErrDuplicateKey, 3, "k"},
		{"duplicate composite", "a,b,v\nx,y,1\nx,z,2\nx,y,3\n", keyOf("a", "b"), nil, ErrDuplicateKey, 4, ""},
		{"too few columns", "a,b\n1,2\n3\n", keyOf("a"), nil, ErrColumns, 3, ""},
		{"too many columns", "a,b\n1,2,3\n", keyOf("a"), nil, ErrColumns, 2, ""},
		{"too many given columns", "1,2,3\n", keyOf("a"), &Options{Columns: []string{"a", "b"}}, ErrColumns, 1, ""},
		{"bad quote", "a,b\n1,\"2\n", keyOf("a"), nil, ErrSyntax, 2, ""},
		{"stray quote", "a,b\n1,2\"x\n", keyOf("a"), nil, ErrSyntax, 2, ""},
		{"unknown key column", "a,b\n1,2\n", keyOf("c"), nil, ErrUnknownColumn, 1, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadCSV(strings.NewReader(tc.data), tc.key, tc.opts)
			var te *Error
			if !errors.Is(err, tc.err) || !errors.As(err, &te) {
				t.Fatalf("got %v, want %v", err, tc.err)
			}
			if te.Line != tc.line || te.Field != tc.field {
				t.Fatalf("got line %d field %q, want %d %q (%v)", te.Line, te.Field, tc.line, tc.field, err)
			}
			if !strings.Contains(err.Error(), fmt.Sprintf("line %d", tc.line)) {
				t.Fatalf("message %q does not name the line", err)
			}
		})
	}
	for _, tc := range []struct {
		name string
		data string
		key  Key[[3]string]
		opts *Options
	}{
		{"empty input", "", keyOf("a"), nil},
		{"no key", "a,b\n", keyOf(), nil},
		{"duplicate column", "a,a\n", keyOf("a"), nil},
		{"duplicate key column", "a,b\n", keyOf("a", "a"), nil},
		{"given columns unknown key", "1\n", keyOf("b"), &Options{Columns: []string{"a"}}},
		{"no columns", "1\n", keyOf("a"), &Options{Columns: []string{}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tab, err := ReadCSV(strings.NewReader(tc.data), tc.key, tc.opts); err == nil {
				t.Fatalf("no error, table of %d rows", tab.Len())
			}
		})
	}
}

func TestReadJSONLines(t *testing.T) {
	data := `{"Ticker":"AMZN","Company":"Amazon","Employees":1541000,"Listed":true}

{"Ticker":" ASD ","Company":" SomeCompanyA","Employees":null}
{"Company":"NoTicker","Ticker":"NT","Listed":false}
`
	tab, err := ReadJSONLines(strings.NewReader(data), StringKey("Ticker"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(tab.Columns(), []string{"Ticker", "Company", "Employees", "Listed"}) {
		t.Fatalf("columns %q", tab.Columns())
	}
	for _, tc := range []struct{ key, col, want string }{
		{"AMZN", "Employees", "1541000"}, {"AMZN", "Listed", "true"}, {"ASD", "Company", "SomeCompanyA"},
		{"ASD", "Employees", ""}, {"ASD", "Listed", ""}, {"NT", "Company", "NoTicker"}, {"NT", "Listed", "false"},
	} {
		r, ok := tab.Lookup(tc.key)
		if !ok || r.Get(tc.col) != tc.want {
			t.Errorf("%s.%s = %q (%v), want %q", tc.key, tc.col, r.Get(tc.col), ok, tc.want)
		}
	}
	for _, tc := range []struct {
		name  string
		data  string
		err   error
		line  int
		field string
	}{
		{"unknown column", "{\"k\":1}\n{\"k\":2,\"x\":3}\n", ErrUnknownColumn, 2, "x"},
		{"duplicate", "{\"k\":1}\n\n{\"k\":1}\n", ErrDuplicateKey, 3, "k"},
		{"nested", "{\"k\":1,\"v\":{\"a\":1}}\n", ErrSyntax, 1, ""},
		{"array", "[1]\n", ErrSyntax, 1, ""},
		{"malformed", "{\"k\":1}\n{\"k\":}\n", ErrSyntax, 2, ""},
		{"trailing", "{\"k\":1} x\n", ErrSyntax, 1, ""},
		{"repeated key", "{\"k\":1,\"k\":2}\n", ErrSyntax, 1, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadJSONLines(strings.NewReader(tc.data), StringKey("k"), nil)
			var te *Error
			if !errors.Is(err, tc.err) || !errors.As(err, &te) || te.Line != tc.line || te.Field != tc.field {
				t.Fatalf("got %v, want %v at line %d field %q", err, tc.err, tc.line, tc.field)
			}
		})
	}
	t.Run("given columns", func(t *testing.T) {
		tab, err := ReadJSONLines(strings.NewReader(`{"v":"x","k":"1"}`), StringKey("k"), &Options{Columns: []string{"k", "v", "w"}})
		if err != nil {
			t.Fatal(err)
		}
		if r, ok := tab.Lookup("1"); !ok || r.Get("v") != "x" || r.Get("w") != "" {
			t.Fatal("lookup")
		}
	})
	t.Run("empty", func(t *testing.T) {
		if _, err := ReadJSONLines(strings.NewReader("\n"), StringKey("k"), nil); err == nil {
			t.Fatal("no error for input without columns")
		}
	})
}

// FuzzReadCSV checks the table against an oracle built from encoding/csv's
// own records: every row is found by its key with its trimmed values, and
// the load fails exactly when a row is malformed or a key repeats.
func FuzzReadCSV(f *testing.F) {
	f.Add([]byte(tickerCSV), false)
	f.Add([]byte("a,b\n1,2\n1,3\n"), false)
	f.Add([]byte("a,b,c\n\"x\ny\",2,3\n z ,\"\",\n"), true)
	f.Add([]byte("a\n\"unterminated\n"), false)
	f.Fuzz(func(t *testing.T, data []byte, composite bool) {
		key := keyOf("a")
		if composite {
			key = keyOf("a", "b")
		}
		tab, err := ReadCSV(bytes.NewReader(data), key, &Options{Columns: []string{"a", "b", "c"}})
		// Oracle.
		cr := csv.NewReader(bytes.NewReader(data))
		cr.FieldsPerRecord = -1
		want := map[[3]string][]string{}
		oracleErr := false
		for {
			rec, rerr := cr.Read()
			if rerr == io.EOF {
				break
			}
			if rerr != nil || len(rec) != 3 {
				oracleErr = true
				break
			}
			for i := range rec {
				rec[i] = strings.TrimSpace(rec[i])
			}
			k := [3]string{rec[0]}
			if composite {
				k[1] = rec[1]
			}
			if _, dup := want[k]; dup {
				oracleErr = true
				break
			}
			want[k] = rec
		}
		if oracleErr {
			if err == nil {
				t.Fatalf("loaded a table the oracle rejects")
			}
			var te *Error
			if !errors.As(err, &te) || te.Line < 1 {
				t.Fatalf("error without a line: %v", err)
			}
			return
		}
		if err != nil {
			t.Fatalf("oracle accepts, ReadCSV says %v", err)
		}
		if tab.Len() != len(want) {
			t.Fatalf("%d rows, want %d", tab.Len(), len(want))
		}
		for parts, rec := range want {
			r, ok := tab.Lookup(parts)
			if !ok {
				t.Fatalf("key %q not found", parts)
			}
			for c, v := range rec {
				if r.Field(c) != v {
					t.Fatalf("key %q column %d: %q, want %q", parts, c, r.Field(c), v)
				}
			}
		}
	})
}

// FuzzReadJSONLines checks that the JSON-lines loader never panics, that
// its errors name a line, and that every row it loads can be looked up.
func FuzzReadJSONLines(f *testing.F) {
	f.Add([]byte(`{"k":"a","v":1}` + "\n" + `{"k":"b","v":null}`))
	f.Add([]byte(`{"k":"a"}` + "\n" + `{"k":"a"}`))
	f.Add([]byte(`{"k":{"x":1}}`))
	f.Add([]byte("\n\n{\"v\":true,\"k\":\" x \"}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tab, err := ReadJSONLines(bytes.NewReader(data), StringKey("k"), &Options{Columns: []string{"k", "v"}})
		if err != nil {
			var te *Error
			if errors.As(err, &te) && te.Line < 1 {
				t.Fatalf("line %d: %v", te.Line, err)
			}
			return
		}
		n := 0
		tab.Rows(func(r Row) bool {
			got, ok := tab.Lookup(r.Get("k"))
			if !ok || got != r {
				t.Fatalf("row %q not found by its key", r.Get("k"))
			}
			n++
			return true
		})
		if n != tab.Len() {
			t.Fatalf("Rows saw %d of %d", n, tab.Len())
		}
	})
}

func TestReadCSVColumnsByteOrderMark(t *testing.T) {
	// A file saved with a byte-order mark and no header row: the mark is
	// not part of the first key, so the join finds that row.
	for _, data := range []string{"\ufeff101,f,7\n102,m,8\n", "\ufeff\"101\",f,7\n102,m,8\n"} {
		users, err := ReadCSV(strings.NewReader(data), StringKey("user_id"), &Options{Columns: []string{"user_id", "gender", "segment_id"}})
		if err != nil {
			t.Fatal(err)
		}
		row, ok := users.Lookup("101")
		if !ok || row.Get("gender") != "f" {
			t.Fatalf("%q: row 101 not found: %v", data, row)
		}
	}
}

// keyOf keys a table by up to three columns, as an array of their values.
func keyOf(cols ...string) Key[[3]string] {
	return KeyOf(func(v []string) ([3]string, error) {
		var k [3]string
		copy(k[:], v)
		return k, nil
	}, cols...)
}
