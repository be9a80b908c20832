package decode

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rowtime/rowtime/record"
)

type stock struct {
	Ticker string  `json:"ticker"`
	Price  float64 `json:"price"`
	Qty    *int    `json:"qty"`
	Ok     bool    `json:"ok"`
	Level  level   `json:"level"`
	Ignore string  `json:"-"`
}

type level int

func (l *level) UnmarshalText(b []byte) error {
	switch string(b) {
	case "", "low":
		*l = 1
	case "high":
		*l = 2
	default:
		return errors.New("neither low nor high")
	}
	return nil
}

func intp(v int) *int { return &v }

func TestCSV(t *testing.T) {
	const t0 = record.Time(1_533_154_640e9)
	for _, tc := range []struct {
		name   string
		column string
		format Format
		opts   *CSVOptions
		data   string
		want   []record.Of[stock]
	}{
		{"by field order", "", Arrival, nil, "AMZN,178.5,3,true,high\nMMB,1.25,,false,low\n",
			[]record.Of[stock]{{Time: 9, Value: stock{"AMZN", 178.5, intp(3), true, 2, ""}}, {Time: 9, Value: stock{"MMB", 1.25, nil, false, 1, ""}}}},
		{"by column names", "ts", ISO8601, &CSVOptions{Columns: []string{"ts", "TICKER", "extra", "price"}}, "2018-08-01 20:17:20,AMZN,x,178.5\r\n\r\n2018-08-01 20:17:21.5,\"M,\"\"M\"\"B\",y,1\n",
			[]record.Of[stock]{{Time: t0, Value: stock{Ticker: "AMZN", Price: 178.5}}, {Time: t0 + 15e8, Value: stock{Ticker: `M,"M"B`, Price: 1}}}},
		{"header", "event_time", Millis, &CSVOptions{Header: true}, "\ufeffprice,event_time,ticker\n1.5,1533154640000,A\n2, 1533154640001 ,B",
			[]record.Of[stock]{{Time: t0, Value: stock{Ticker: "A", Price: 1.5}}, {Time: t0 + 1e6, Value: stock{Ticker: "B", Price: 2}}}},
		{"semicolons and seconds", "t", Seconds, &CSVOptions{Comma: ';', Columns: []string{"ticker", "t"}}, "A;1533154640\n\"B;C\";1533154640.25\n",
			[]record.Of[stock]{{Time: t0, Value: stock{Ticker: "A"}}, {Time: t0 + 25e7, Value: stock{Ticker: "B;C"}}}},
		{"layout", "t", Layout("02/01/2006 15:04:05"), &CSVOptions{Columns: []string{"ticker", "t"}}, "A,01/08/2018 20:17:20\n",
			[]record.Of[stock]{{Time: t0, Value: stock{Ticker: "A"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := NewCSV[stock](tc.column, tc.format, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			out, err := d.Append(nil, []byte(tc.data), 9)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, out); diff != "" {
				t.Fatal(diff)
			}
		})
	}
}

func TestCSVErrors(t *testing.T) {
	d, err := NewCSV[stock]("t", RFC3339, &CSVOptions{Columns: []string{"ticker", "qty", "level", "t"}})
	if err != nil {
		t.Fatal(err)
	}
	data := strings.Join([]string{
		"A,1,low,2018-08-01T20:17:20Z",
		"B,x,low,2018-08-01T20:17:20Z",
		"C,1,mid,2018-08-01T20:17:20Z",
		"D,1,low,2018-08-01 20:17:20",
		"E,1,low,",
		"F,1,low",
		`"G,1,low,2018-08-01T20:17:20Z`,
		`H"",1,low,2018-08-01T20:17:20Z`,
		`"I"x,1,low,2018-08-01T20:17:20Z`,
		"J,1,low,2300-01-01T00:00:00Z",
		"K,1,high,2018-08-01T20:17:21Z",
	}, "\n")
	out, err := d.Append(nil, []byte(data), 0)
	if len(out) != 2 || out[0].Value.Ticker != "A" || out[1].Value.Ticker != "K" {
		t.Fatalf("got %+v", out)
	}
	var es Errors
	if !errors.As(err, &es) {
		t.Fatal(err)
	}
	want := []struct {
		line  int
		field string
		err   error
	}{
		{2, "qty", ErrValue}, {3, "level", ErrValue}, {4, "t", record.ErrTimeFormat}, {5, "t", ErrNoTime}, {6, "", ErrValue},
		{7, "", ErrSyntax}, {8, "", ErrSyntax}, {9, "", ErrSyntax}, {10, "t", record.ErrTimeRange},
	}
	if len(es) != len(want) {
		t.Fatalf("got %d errors, want %d: %v", len(es), len(want), es)
	}
	for k, w := range want {
		if es[k].Line != w.line || es[k].Field != w.field || !errors.Is(es[k], w.err) {
			t.Errorf("error %d: %v, want line %d field %q wrapping %v", k, es[k], w.line, w.field, w.err)
		}
	}
	if !strings.Contains(es[1].Error(), `"mid"`) || !strings.Contains(es[2].Error(), `"2018-08-01 20:17:20"`) {
		t.Errorf("messages do not quote the text: %v; %v", es[1], es[2])
	}
}

func TestNewCSVErrors(t *testing.T) {
	type nested struct {
		In struct{ A int }
	}
	if _, err := NewCSV[nested]("", Arrival, nil); err == nil {
		t.Error("a struct field was accepted as a column")
	}
	if _, err := NewCSV[int]("", Arrival, nil); err == nil {
		t.Error("a non-struct type was accepted")
	}
	if _, err := NewCSV[stock]("when", Seconds, nil); err == nil {
		t.Error("a time column that is no column was accepted")
	}
	if _, err := NewCSV[stock]("ticker", Seconds, &CSVOptions{Comma: '"'}); err == nil {
		t.Error("a quote was accepted as delimiter")
	}
	d, err := NewCSV[stock]("when", Seconds, &CSVOptions{Header: true})
	if err != nil {
		t.Fatal(err)
	}
	_, err = d.AppendBatch(nil, []Payload{{Data: []byte("ticker,price\nA,1\n")}})
	var es Errors
	if !errors.As(err, &es) || len(es) != 1 || es[0].Line != 1 || !errors.Is(err, ErrNoTime) {
		t.Fatalf("got %v", err)
	}
}

func FuzzCSV(f *testing.F) {
	f.Add([]byte("A,1.5,3,true,high\n\"B\"\"\",,,,\n"))
	f.Add([]byte("\"x\n,\"\"\",\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := NewCSV[stock]("", Arrival, nil)
		if err != nil {
			t.Fatal(err)
		}
		out, err := d.Append(nil, data, 0)
		lines := strings.Count(string(data), "\n") + 1
		if len(out) > lines {
			t.Fatalf("%d records from %d lines", len(out), lines)
		}
		var es Errors
		if err != nil && !errors.As(err, &es) {
			t.Fatalf("error %v is not Errors", err)
		}
		for _, e := range es {
			if e.Line < 1 || e.Line > lines {
				t.Fatalf("line %d of %d", e.Line, lines)
			}
		}
	})
}
