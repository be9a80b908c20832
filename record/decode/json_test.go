package decode

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/rowtime/rowtime/record"

	"github.com/google/go-cmp/cmp"
)

type trade struct {
	Ticker string  `json:"ticker"`
	Price  float64 `json:"price"`
	Qty    int     `json:"qty"`
}

func TestNewDecoder(t *testing.T) {
	for _, tc := range []struct {
		name  string
		field string
		unit  Format
		ok    bool
	}{
		{"rfc3339", "ts", RFC3339, true},
		{"seconds", "ts", Seconds, true},
		{"millis", "ts", Millis, true},
		{"arrival", "", Arrival, true},
		{"no field", "", Seconds, false},
		{"field with arrival", "ts", Arrival, false},
		{"unknown unit", "ts", Format{kind: 9}, false},
		{"negative unit", "ts", Layout(""), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := NewJSON[trade](tc.field, tc.unit)
			if (err == nil) != tc.ok || (d != nil) != tc.ok {
				t.Fatalf("got %v, %v", d, err)
			}
		})
	}
}

func TestDecodeTimes(t *testing.T) {
	const sec = 1_700_000_000
	for _, tc := range []struct {
		name string
		unit Format
		data string
		want record.Time
	}{
		{"rfc3339", RFC3339, `{"ts":"2023-11-14T22:13:20Z"}`, sec * 1e9},
		{"rfc3339 nanos offset", RFC3339, `{"ts":"2023-11-14T23:13:20.000000001+01:00"}`, sec*1e9 + 1},
		{"rfc3339 escaped", RFC3339, `{"ts":"2023-11-14T22:13:20\u005A"}`, sec * 1e9},
		{"rfc3339 leap day", RFC3339, `{"ts":"2024-02-29T00:00:00Z"}`, 1709164800 * 1e9},
		{"seconds int", Seconds, `{"ts":1700000000}`, sec * 1e9},
		{"seconds frac", Seconds, `{"ts":1700000000.123456789}`, sec*1e9 + 123456789},
		{"seconds exp", Seconds, `{"ts":1.7E9}`, sec * 1e9},
		{"seconds string", Seconds, `{"ts":"1700000000.5"}`, sec*1e9 + 5e8},
		{"seconds string spaces", Seconds, `{"ts":" 1700000000 "}`, sec * 1e9},
		{"seconds negative", Seconds, `{"ts":-1.5}`, -15e8},
		{"millis", Millis, `{"ts":1700000000123}`, sec*1e9 + 123e6},
		{"millis string", Millis, `{"ts":"1700000000123"}`, sec*1e9 + 123e6},
		{"millis frac", Millis, `{"ts":1700000000123.5}`, sec*1e9 + 123e6 + 5e5},
		{"space around value", Seconds, "{ \"ts\" :\n 5 ,\"x\":1}", 5e9},
		{"last of duplicate keys", Seconds, `{"ts":1,"ts":2}`, 2e9},
		{"escaped key", Seconds, `{"t\u0073":7}`, 7e9},
		{"nested ts ignored", Seconds, `{"in":{"ts":1},"arr":[{"ts":2}],"ts":3}`, 3e9},
		{"ts last field", Seconds, `{"ticker":"A","ts":4}`, 4e9},
		{"escaped quotes and backslashes", Seconds, `{"ticker":"x\"y\\","a":"\\\"}{,","ts":6}`, 6e9},
		{"key-like text in a value", Seconds, `{"ticker":"\"ts\":1,","ts":8}`, 8e9},
		{"string containing braces", Seconds, `{"ticker":"{\"ts\":9}","ts":4}`, 4e9},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := NewJSON[trade]("ts", tc.unit)
			if err != nil {
				t.Fatal(err)
			}
			out, err := d.Append(nil, []byte(tc.data), 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(out) != 1 || out[0].Time != tc.want {
				t.Fatalf("got %+v, want time %d (%v)", out, tc.want, tc.want)
			}
		})
	}
	t.Run("arrival", func(t *testing.T) {
		d, _ := NewJSON[trade]("", Arrival)
		out, err := d.Append(nil, []byte(`{"ticker":"A","ts":"not read"}`+"\n"+`{"ticker":"B"}`), 42)
		if err != nil {
			t.Fatal(err)
		}
		want := []record.Of[trade]{{Time: 42, Value: trade{Ticker: "A"}}, {Time: 42, Value: trade{Ticker: "B"}}}
		if d := cmp.Diff(want, out); d != "" {
			t.Fatal(d)
		}
	})
}

func TestDecodeLayouts(t *testing.T) {
	d, _ := NewJSON[trade]("ts", Seconds)
	for _, tc := range []struct {
		name string
		data string
		want []record.Of[trade]
	}{
		{"empty", "", nil},
		{"blank lines", "\n \r\n\t\n", nil},
		{"json lines", "{\"ticker\":\"A\",\"price\":1.5,\"qty\":2,\"ts\":1}\n{\"ticker\":\"B\",\"ts\":2}\n", []record.Of[trade]{{Time: 1e9, Value: trade{"A", 1.5, 2}}, {Time: 2e9, Value: trade{Ticker: "B"}}}},
		{"crlf and blank", "{\"ticker\":\"A\",\"ts\":1}\r\n\r\n{\"ticker\":\"B\",\"ts\":2}", []record.Of[trade]{{Time: 1e9, Value: trade{Ticker: "A"}}, {Time: 2e9, Value: trade{Ticker: "B"}}}},
		{"pretty single object", "{\n  \"ticker\": \"A\",\n  \"qty\": 3,\n  \"ts\": 1\n}\n", []record.Of[trade]{{Time: 1e9, Value: trade{Ticker: "A", Qty: 3}}}},
		{"unknown fields ignored", `{"ticker":"A","extra":{"deep":[1,2,{"x":null}]},"ts":1}`, []record.Of[trade]{{Time: 1e9, Value: trade{Ticker: "A"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := d.Append(nil, []byte(tc.data), 0)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, out); d != "" {
				t.Fatal(d)
			}
		})
	}
}

func TestDecodeBadInput(t *testing.T) {
	good := `{"ticker":"OK","ts":1}`
	for _, tc := range []struct {
		name  string
		unit  Format
		bad   string
		err   error
		field string
		lines int // lines the bad value spans
	}{
		{"malformed", Seconds, `{"ticker":"A",}`, ErrSyntax, "", 1},
		{"bad literal", Seconds, `{"ticker":nul,"ts":1}`, ErrSyntax, "", 1},
		{"unterminated", Seconds, `{"ticker":"A","ts":1`, ErrSyntax, "", 1},
		{"unterminated string", Seconds, `{"ticker":"A`, ErrSyntax, "", 1},
		{"array", Seconds, `[1,2]`, ErrSyntax, "", 1},
		{"number", Seconds, `42`, ErrSyntax, "", 1},
		{"garbage", Seconds, `hello`, ErrSyntax, "", 1},
		{"wrong type", Seconds, `{"ticker":"A","qty":"three","ts":1}`, ErrValue, "qty", 1},
		{"missing time", Seconds, `{"ticker":"A"}`, ErrNoTime, "ts", 1},
		{"null time", Seconds, `{"ticker":"A","ts":null}`, ErrNoTime, "ts", 1},
		{"time only nested", Seconds, `{"in":{"ts":1}}`, ErrNoTime, "ts", 1},
		{"seconds not a number", Seconds, `{"ts":"soon"}`, record.ErrTimeFormat, "ts", 1},
		{"seconds bool", Seconds, `{"ts":true}`, record.ErrTimeFormat, "ts", 1},
		{"seconds object", Seconds, `{"ts":{"s":1}}`, record.ErrTimeFormat, "ts", 1},
		{"seconds out of range", Seconds, `{"ts":1e12}`, record.ErrTimeRange, "ts", 1},
		{"millis out of range", Millis, `{"ts":"9223372036855"}`, record.ErrTimeRange, "ts", 1},
		{"millis not a number", Millis, `{"ts":"12:00"}`, record.ErrTimeFormat, "ts", 1},
		{"rfc3339 number", RFC3339, `{"ts":1700000000}`, record.ErrTimeFormat, "ts", 1},
		{"rfc3339 bad", RFC3339, `{"ts":"2023-02-29T00:00:00Z"}`, record.ErrTimeFormat, "ts", 1},
		{"rfc3339 no zone", RFC3339, `{"ts":"2023-01-01 00:00:00"}`, record.ErrTimeFormat, "ts", 1},
		{"rfc3339 out of range", RFC3339, `{"ts":"2300-01-01T00:00:00Z"}`, record.ErrTimeRange, "ts", 1},
		{"rfc3339 before 1678", RFC3339, `{"ts":"1677-01-01T00:00:00Z"}`, record.ErrTimeRange, "ts", 1},
		{"multi-line malformed", Seconds, "{\n\"ticker\": \"A\"\n\"ts\": 1\n}", ErrSyntax, "", 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			goodLine := strings.ReplaceAll(good, `"ts":1`, `"ts":`+map[Format]string{Seconds: "1", Millis: "1000", RFC3339: `"1970-01-01T00:00:01Z"`}[tc.unit])
			d, _ := NewJSON[trade]("ts", tc.unit)
			data := goodLine + "\n" + tc.bad + "\n" + goodLine + "\n"
			before := []record.Of[trade]{{Time: -5}}
			out, err := d.Append(before, []byte(data), 0)
			if len(out) != 3 || out[0].Time != -5 || out[1].Value.Ticker != "OK" || out[2].Value.Ticker != "OK" || out[1].Time != 1e9 || out[2].Time != 1e9 {
				t.Fatalf("the good lines around the bad one were not all decoded: %+v", out)
			}
			var es Errors
			if !errors.As(err, &es) || len(es) != 1 {
				t.Fatalf("got %v, want one Error", err)
			}
			e := es[0]
			if !errors.Is(err, tc.err) || !errors.Is(e, tc.err) {
				t.Fatalf("got %v, want %v", err, tc.err)
			}
			if e.Line != 2 || e.Field != tc.field {
				t.Fatalf("got line %d field %q, want line 2 field %q (%v)", e.Line, e.Field, tc.field, e)
			}
			if !strings.Contains(e.Error(), "line 2") {
				t.Fatalf("message %q does not name the line", e.Error())
			}
			var de *Error
			if !errors.As(err, &de) || de != e {
				t.Fatal("errors.As does not reach the Error")
			}
		})
	}
}

func TestDecodeBatch(t *testing.T) {
	d, _ := NewJSON[trade]("ts", Millis)
	batch := []Payload{
		{Data: []byte(`{"ticker":"A","ts":1000}`)},
		{Data: []byte("{\"ticker\":\"B\",\"ts\":2000}\n{\"ticker\":\"C\"}\n{\"ticker\":\"D\",\"ts\":3000}")},
		{Data: []byte(`{oops}`)},
	}
	out, err := d.AppendBatch(nil, batch)
	var tickers []string
	for _, r := range out {
		tickers = append(tickers, fmt.Sprintf("%s@%d", r.Value.Ticker, r.Time.Unix()))
	}
	if d := cmp.Diff([]string{"A@1", "B@2", "D@3"}, tickers); d != "" {
		t.Fatal(d)
	}
	var es Errors
	if !errors.As(err, &es) || len(es) != 2 {
		t.Fatalf("got %v", err)
	}
	if es[0].Record != 1 || es[0].Line != 2 || !errors.Is(es[0], ErrNoTime) || es[1].Record != 2 || es[1].Line != 1 || !errors.Is(es[1], ErrSyntax) {
		t.Fatalf("got %#v, %#v", es[0], es[1])
	}
	if msg := es[0].Error(); msg != `decode: record 1 line 2 field "ts": decode: missing time field` {
		t.Fatalf("message %q", msg)
	}
	if !strings.Contains(err.Error(), "and 1 more") {
		t.Fatalf("joined message %q", err.Error())
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"ticker":"A","price":1.5,"qty":2,"ts":1700000000.5}`,
		"{\"ts\":1}\n{\"ts\":\"2\"}\n\n{bad}\n[1]\n{\"ts\":",
		"{\n \"ticker\": \"x\",\n \"ts\": 1e9\n}",
		`{"t\u0073":1,"qty":"x"}`,
		`{"ts":"1970-01-01T00:00:00Z"}`,
		"\"\\",
	} {
		f.Add([]byte(s), uint8(0))
		f.Add([]byte(s), uint8(1))
	}
	f.Fuzz(func(t *testing.T, data []byte, unit uint8) {
		u := []Format{Seconds, RFC3339, Millis, ISO8601}[unit%4]
		d, err := NewJSON[trade]("ts", u)
		if err != nil {
			t.Fatal(err)
		}
		out, err := d.Append(nil, data, 0)
		lines := strings.Count(string(data), "\n") + 1
		if err != nil {
			var es Errors
			if !errors.As(err, &es) || len(es) == 0 {
				t.Fatalf("error is not Errors: %v", err)
			}
			for _, e := range es {
				if e.Line < 1 || e.Line > lines {
					t.Fatalf("line %d outside 1..%d", e.Line, lines)
				}
				if !errors.Is(e, ErrSyntax) && !errors.Is(e, ErrValue) && !errors.Is(e, ErrNoTime) &&
					!errors.Is(e, record.ErrTimeFormat) && !errors.Is(e, record.ErrTimeRange) {
					t.Fatalf("error wraps no sentinel: %v", e)
				}
			}
		}
		if len(out) > len(data)/8 {
			t.Fatalf("%d records from %d bytes", len(out), len(data))
		}
	})
}

func TestDecodeIntoMap(t *testing.T) {
	d, err := NewJSON[map[string]any]("at", Millis)
	if err != nil {
		t.Fatal(err)
	}
	out, err := d.Append(nil, []byte(`{"at":1500,"user":"u1","tags":["a","b"]}`), 0)
	if err != nil || len(out) != 1 || out[0].Time != 1_500_000_000 || out[0].Value["user"] != "u1" {
		t.Fatalf("got %+v, %v", out, err)
	}
}

func TestDecodeReusesDst(t *testing.T) {
	d, _ := NewJSON[trade]("ts", Seconds)
	buf := make([]record.Of[trade], 0, 4)
	buf, _ = d.Append(buf, []byte(`{"ticker":"A","price":9,"qty":9,"ts":1}`), 0)
	// A later decode into the same storage must not see old field values.
	buf, err := d.Append(buf[:0], []byte(`{"ticker":"B","ts":2}`), 0)
	if err != nil || len(buf) != 1 || buf[0].Value != (trade{Ticker: "B"}) {
		t.Fatalf("got %+v, %v", buf, err)
	}
	// Nor may a failed value leave anything behind.
	buf, _ = d.Append(buf[:0], []byte(`{"ticker":"C","qty":"x","ts":3}`), 0)
	if len(buf) != 0 || buf[:1][0] != (record.Of[trade]{}) {
		t.Fatalf("failed value left %+v", buf[:1])
	}
}
