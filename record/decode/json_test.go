package record

import (
	"errors"
	"fmt"
	"strings"
	"testing"

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
		unit  TimeUnit
		ok    bool
	}{
		{"rfc3339", "ts", TimeRFC3339, true},
		{"seconds", "ts", TimeSeconds, true},
		{"millis", "ts", TimeMillis, true},
		{"arrival", "", TimeArrival, true},
		{"no field", "", TimeSeconds, false},
		{"field with arrival", "ts", TimeArrival, false},
		{"unknown unit", "ts", TimeUnit(9), false},
		{"negative unit", "ts", TimeUnit(-1), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := NewDecoder[trade](tc.field, tc.unit)
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
		unit TimeUnit
		data string
		want Time
	}{
		{"rfc3339", TimeRFC3339, `{"ts":"2023-11-14T22:13:20Z"}`, sec * 1e9},
		{"rfc3339 nanos offset", TimeRFC3339, `{"ts":"2023-11-14T23:13:20.000000001+01:00"}`, sec*1e9 + 1},
		{"rfc3339 escaped", TimeRFC3339, `{"ts":"2023-11-14T22:13:20\u005A"}`, sec * 1e9},
		{"rfc3339 leap day", TimeRFC3339, `{"ts":"2024-02-29T00:00:00Z"}`, 1709164800 * 1e9},
		{"seconds int", TimeSeconds, `{"ts":1700000000}`, sec * 1e9},
		{"seconds frac", TimeSeconds, `{"ts":1700000000.123456789}`, sec*1e9 + 123456789},
		{"seconds exp", TimeSeconds, `{"ts":1.7E9}`, sec * 1e9},
		{"seconds string", TimeSeconds, `{"ts":"1700000000.5"}`, sec*1e9 + 5e8},
		{"seconds string spaces", TimeSeconds, `{"ts":" 1700000000 "}`, sec * 1e9},
		{"seconds negative", TimeSeconds, `{"ts":-1.5}`, -15e8},
		{"millis", TimeMillis, `{"ts":1700000000123}`, sec*1e9 + 123e6},
		{"millis string", TimeMillis, `{"ts":"1700000000123"}`, sec*1e9 + 123e6},
		{"millis frac", TimeMillis, `{"ts":1700000000123.5}`, sec*1e9 + 123e6 + 5e5},
		{"space around value", TimeSeconds, "{ \"ts\" :\n 5 ,\"x\":1}", 5e9},
		{"last of duplicate keys", TimeSeconds, `{"ts":1,"ts":2}`, 2e9},
		{"escaped key", TimeSeconds, `{"t\u0073":7}`, 7e9},
		{"nested ts ignored", TimeSeconds, `{"in":{"ts":1},"arr":[{"ts":2}],"ts":3}`, 3e9},
		{"ts last field", TimeSeconds, `{"ticker":"A","ts":4}`, 4e9},
		{"escaped quotes and backslashes", TimeSeconds, `{"ticker":"x\"y\\","a":"\\\"}{,","ts":6}`, 6e9},
		{"key-like text in a value", TimeSeconds, `{"ticker":"\"ts\":1,","ts":8}`, 8e9},
		{"string containing braces", TimeSeconds, `{"ticker":"{\"ts\":9}","ts":4}`, 4e9},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := NewDecoder[trade]("ts", tc.unit)
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
		d, _ := NewDecoder[trade]("", TimeArrival)
		out, err := d.Append(nil, []byte(`{"ticker":"A","ts":"not read"}`+"\n"+`{"ticker":"B"}`), 42)
		if err != nil {
			t.Fatal(err)
		}
		want := []Of[trade]{{42, trade{Ticker: "A"}}, {42, trade{Ticker: "B"}}}
		if d := cmp.Diff(want, out); d != "" {
			t.Fatal(d)
		}
	})
}

func TestDecodeLayouts(t *testing.T) {
	d, _ := NewDecoder[trade]("ts", TimeSeconds)
	for _, tc := range []struct {
		name string
		data string
		want []Of[trade]
	}{
		{"empty", "", nil},
		{"blank lines", "\n \r\n\t\n", nil},
		{"json lines", "{\"ticker\":\"A\",\"price\":1.5,\"qty\":2,\"ts\":1}\n{\"ticker\":\"B\",\"ts\":2}\n", []Of[trade]{{1e9, trade{"A", 1.5, 2}}, {2e9, trade{Ticker: "B"}}}},
		{"crlf and blank", "{\"ticker\":\"A\",\"ts\":1}\r\n\r\n{\"ticker\":\"B\",\"ts\":2}", []Of[trade]{{1e9, trade{Ticker: "A"}}, {2e9, trade{Ticker: "B"}}}},
		{"pretty single object", "{\n  \"ticker\": \"A\",\n  \"qty\": 3,\n  \"ts\": 1\n}\n", []Of[trade]{{1e9, trade{Ticker: "A", Qty: 3}}}},
		{"unknown fields ignored", `{"ticker":"A","extra":{"deep":[1,2,{"x":null}]},"ts":1}`, []Of[trade]{{1e9, trade{Ticker: "A"}}}},
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
		unit  TimeUnit
		bad   string
		err   error
		field string
		lines int // lines the bad value spans
	}{
		{"malformed", TimeSeconds, `{"ticker":"A",}`, ErrSyntax, "", 1},
		{"bad literal", TimeSeconds, `{"ticker":nul,"ts":1}`, ErrSyntax, "", 1},
		{"unterminated", TimeSeconds, `{"ticker":"A","ts":1`, ErrSyntax, "", 1},
		{"unterminated string", TimeSeconds, `{"ticker":"A`, ErrSyntax, "", 1},
		{"array", TimeSeconds, `[1,2]`, ErrSyntax, "", 1},
		{"number", TimeSeconds, `42`, ErrSyntax, "", 1},
		{"garbage", TimeSeconds, `hello`, ErrSyntax, "", 1},
		{"wrong type", TimeSeconds, `{"ticker":"A","qty":"three","ts":1}`, ErrValue, "qty", 1},
		{"missing time", TimeSeconds, `{"ticker":"A"}`, ErrNoTime, "ts", 1},
		{"null time", TimeSeconds, `{"ticker":"A","ts":null}`, ErrNoTime, "ts", 1},
		{"time only nested", TimeSeconds, `{"in":{"ts":1}}`, ErrNoTime, "ts", 1},
		{"case differs", TimeSeconds, `{"TS":1}`, ErrNoTime, "ts", 1},
		{"seconds not a number", TimeSeconds, `{"ts":"soon"}`, ErrTimeFormat, "ts", 1},
		{"seconds bool", TimeSeconds, `{"ts":true}`, ErrTimeFormat, "ts", 1},
		{"seconds object", TimeSeconds, `{"ts":{"s":1}}`, ErrTimeFormat, "ts", 1},
		{"seconds out of range", TimeSeconds, `{"ts":1e12}`, ErrTimeRange, "ts", 1},
		{"millis out of range", TimeMillis, `{"ts":"9223372036855"}`, ErrTimeRange, "ts", 1},
		{"millis not a number", TimeMillis, `{"ts":"12:00"}`, ErrTimeFormat, "ts", 1},
		{"rfc3339 number", TimeRFC3339, `{"ts":1700000000}`, ErrTimeFormat, "ts", 1},
		{"rfc3339 bad", TimeRFC3339, `{"ts":"2023-02-29T00:00:00Z"}`, ErrTimeFormat, "ts", 1},
		{"rfc3339 no zone", TimeRFC3339, `{"ts":"2023-01-01 00:00:00"}`, ErrTimeFormat, "ts", 1},
		{"rfc3339 out of range", TimeRFC3339, `{"ts":"2300-01-01T00:00:00Z"}`, ErrTimeRange, "ts", 1},
		{"rfc3339 before 1678", TimeRFC3339, `{"ts":"1677-01-01T00:00:00Z"}`, ErrTimeRange, "ts", 1},
		{"multi-line malformed", TimeSeconds, "{\n\"ticker\": \"A\"\n\"ts\": 1\n}", ErrSyntax, "", 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			goodLine := strings.ReplaceAll(good, `"ts":1`, `"ts":`+map[TimeUnit]string{TimeSeconds: "1", TimeMillis: "1000", TimeRFC3339: `"1970-01-01T00:00:01Z"`}[tc.unit])
			d, _ := NewDecoder[trade]("ts", tc.unit)
			data := goodLine + "\n" + tc.bad + "\n" + goodLine + "\n"
			before := []Of[trade]{{Time: -5}}
			out, err := d.Append(before, []byte(data), 0)
			if len(out) != 3 || out[0].Time != -5 || out[1].Value.Ticker != "OK" || out[2].Value.Ticker != "OK" || out[1].Time != 1e9 || out[2].Time != 1e9 {
				t.Fatalf("the good lines around the bad one were not all decoded: %+v", out)
			}
			var es DecodeErrors
			if !errors.As(err, &es) || len(es) != 1 {
				t.Fatalf("got %v, want one DecodeError", err)
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
			var de *DecodeError
			if !errors.As(err, &de) || de != e {
				t.Fatal("errors.As does not reach the DecodeError")
			}
		})
	}
}

func TestDecodeBatch(t *testing.T) {
	d, _ := NewDecoder[trade]("ts", TimeMillis)
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
	var es DecodeErrors
	if !errors.As(err, &es) || len(es) != 2 {
		t.Fatalf("got %v", err)
	}
	if es[0].Record != 1 || es[0].Line != 2 || !errors.Is(es[0], ErrNoTime) || es[1].Record != 2 || es[1].Line != 1 || !errors.Is(es[1], ErrSyntax) {
		t.Fatalf("got %#v, %#v", es[0], es[1])
	}
	if msg := es[0].Error(); msg != `record: decode record 1 line 2 field "ts": record: missing time field` {
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
		f.Add([]byte(s), uint8(TimeSeconds))
		f.Add([]byte(s), uint8(TimeRFC3339))
	}
	f.Fuzz(func(t *testing.T, data []byte, unit uint8) {
		u := TimeUnit(unit % 3)
		d, err := NewDecoder[trade]("ts", u)
		if err != nil {
			t.Fatal(err)
		}
		out, err := d.Append(nil, data, 0)
		lines := strings.Count(string(data), "\n") + 1
		if err != nil {
			var es DecodeErrors
			if !errors.As(err, &es) || len(es) == 0 {
				t.Fatalf("error is not DecodeErrors: %v", err)
			}
			for _, e := range es {
				if e.Line < 1 || e.Line > lines {
					t.Fatalf("line %d outside 1..%d", e.Line, lines)
				}
				if !errors.Is(e, ErrSyntax) && !errors.Is(e, ErrValue) && !errors.Is(e, ErrNoTime) &&
					!errors.Is(e, ErrTimeFormat) && !errors.Is(e, ErrTimeRange) {
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
	d, err := NewDecoder[map[string]any]("at", TimeMillis)
	if err != nil {
		t.Fatal(err)
	}
	out, err := d.Append(nil, []byte(`{"at":1500,"user":"u1","tags":["a","b"]}`), 0)
	if err != nil || len(out) != 1 || out[0].Time != 1_500_000_000 || out[0].Value["user"] != "u1" {
		t.Fatalf("got %+v, %v", out, err)
	}
}

func TestDecodeReusesDst(t *testing.T) {
	d, _ := NewDecoder[trade]("ts", TimeSeconds)
	buf := make([]Of[trade], 0, 4)
	buf, _ = d.Append(buf, []byte(`{"ticker":"A","price":9,"qty":9,"ts":1}`), 0)
	// A later decode into the same storage must not see old field values.
	buf, err := d.Append(buf[:0], []byte(`{"ticker":"B","ts":2}`), 0)
	if err != nil || len(buf) != 1 || buf[0].Value != (trade{Ticker: "B"}) {
		t.Fatalf("got %+v, %v", buf, err)
	}
	// Nor may a failed value leave anything behind.
	buf, _ = d.Append(buf[:0], []byte(`{"ticker":"C","qty":"x","ts":3}`), 0)
	if len(buf) != 0 || buf[:1][0] != (Of[trade]{}) {
		t.Fatalf("failed value left %+v", buf[:1])
	}
}
