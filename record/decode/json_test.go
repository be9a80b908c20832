package decode

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

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

type event struct {
	Source string `json:"source"`
	Detail struct {
		State string `json:"state"`
		ID    int    `json:"id,string"`
	} `json:"detail"`
}

func TestDecodeTimeFormats(t *testing.T) {
	const sec = 1_533_154_640 // 2018-08-01T20:17:20Z
	for _, tc := range []struct {
		name   string
		field  string
		format Format
		data   string
		want   record.Time
	}{
		{"kda sql timestamp", "ts", ISO8601, `{"ts":"2018-08-01 20:17:20.797"}`, sec*1e9 + 797e6},
		{"iso no zone", "ts", ISO8601, `{"ts":"2018-08-01T20:17:20.797945"}`, sec*1e9 + 797945e3},
		{"iso zone", "ts", ISO8601, `{"ts":"2018-08-01T22:17:20+02:00"}`, sec * 1e9},
		{"iso compact zone", "ts", ISO8601, `{"ts":"2018-08-01T15:17:20-0500"}`, sec * 1e9},
		{"iso hour zone", "ts", ISO8601, `{"ts":"2018-08-01 21:17:20+01"}`, sec * 1e9},
		{"iso Z", "ts", ISO8601, `{"ts":"2018-08-01T20:17:20Z"}`, sec * 1e9},
		{"iso comma fraction", "ts", ISO8601, `{"ts":"2018-08-01 20:17:20,5"}`, sec*1e9 + 5e8},
		{"seconds number", "ts", Seconds, `{"ts":1533154640}`, sec * 1e9},
		{"seconds string", "ts", Seconds, `{"ts":"1533154640.5"}`, sec*1e9 + 5e8},
		{"millis number", "ts", Millis, `{"ts":1533154640797}`, sec*1e9 + 797e6},
		{"millis string", "ts", Millis, `{"ts":"1533154640797"}`, sec*1e9 + 797e6},
		{"layout", "ts", Layout("02/01/2006 15:04:05"), `{"ts":"01/08/2018 20:17:20"}`, sec * 1e9},
		{"layout with zone", "ts", Layout(time.RFC1123Z), `{"ts":"Wed, 01 Aug 2018 22:17:20 +0200"}`, sec * 1e9},
		{"pointer", "/detail/eventTime", RFC3339, `{"source":"aws.ec2","detail":{"state":"running","eventTime":"2018-08-01T20:17:20Z"}}`, sec * 1e9},
		{"pointer case-insensitive", "/detail/eventTime", RFC3339, `{"Detail":{"EVENTTIME":"2018-08-01T20:17:20Z"}}`, sec * 1e9},
		{"pointer last duplicate", "/detail/t", Seconds, `{"detail":{"t":1},"detail":{"t":1533154640}}`, sec * 1e9},
		{"pointer into array", "/records/1/t", Seconds, `{"records":[{"t":1},{"t":1533154640}]}`, sec * 1e9},
		{"pointer escapes", "/a~1b/c~0d", Seconds, `{"a/b":{"c~d":1533154640}}`, sec * 1e9},
		{"top-level pointer", "/ts", Seconds, `{"ts":1533154640}`, sec * 1e9},
		{"case-insensitive", "ts", Seconds, `{"TS":1533154640}`, sec * 1e9},
		{"last case-insensitive match", "ts", Seconds, `{"ts":1,"Ts":1533154640}`, sec * 1e9},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := NewJSON[event](tc.field, tc.format)
			if err != nil {
				t.Fatal(err)
			}
			out, err := d.Append(nil, []byte(tc.data), 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(out) != 1 || out[0].Time != tc.want {
				t.Fatalf("got %+v, want time %v", out, tc.want)
			}
		})
	}
	t.Run("nested time and fields in one pass", func(t *testing.T) {
		d, _ := NewJSON[event]("/detail/eventTime", RFC3339)
		out, err := d.Append(nil, []byte(`{"source":"aws.ec2","detail":{"state":"running","id":"42","eventTime":"2018-08-01T20:17:20Z"}}`), 0)
		if err != nil || len(out) != 1 || out[0].Value.Source != "aws.ec2" || out[0].Value.Detail.State != "running" || out[0].Value.Detail.ID != 42 {
			t.Fatalf("got %+v, %v", out, err)
		}
	})
}

func TestDecodeTimeErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		field  string
		format Format
		data   string
		err    error
		text   string // the message must quote it
	}{
		{"kda text is not rfc3339", "ts", RFC3339, `{"ts":"2018-08-01 20:17:20.797"}`, record.ErrTimeFormat, `"2018-08-01 20:17:20.797"`},
		{"iso bad date", "ts", ISO8601, `{"ts":"2018-02-30 20:17:20"}`, record.ErrTimeFormat, `"2018-02-30 20:17:20"`},
		{"iso number", "ts", ISO8601, `{"ts":1533154640}`, record.ErrTimeFormat, `1533154640`},
		{"iso out of range", "ts", ISO8601, `{"ts":"2263-01-01 00:00:00"}`, record.ErrTimeRange, `2263-01-01 00:00:00`},
		{"quoted seconds not a number", "ts", Seconds, `{"ts":"12x"}`, record.ErrTimeFormat, `"12x"`},
		{"quoted millis not a number", "ts", Millis, `{"ts":"soon"}`, record.ErrTimeFormat, `"soon"`},
		{"seconds out of range", "ts", Seconds, `{"ts":"1e11"}`, record.ErrTimeRange, `1e11`},
		{"layout mismatch", "ts", Layout("2006/01/02"), `{"ts":"2018-08-01"}`, record.ErrTimeFormat, `"2018-08-01"`},
		{"pointer missing", "/detail/eventTime", RFC3339, `{"detail":{"state":"x"}}`, ErrNoTime, ""},
		{"pointer through a string", "/meta/eventTime", RFC3339, `{"meta":"x"}`, ErrNoTime, ""},
		{"pointer null", "/detail/eventTime", RFC3339, `{"detail":{"eventTime":null}}`, ErrNoTime, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := NewJSON[event](tc.field, tc.format)
			if err != nil {
				t.Fatal(err)
			}
			out, err := d.Append(nil, []byte("\n"+tc.data+"\n"), 0)
			var es Errors
			if !errors.As(err, &es) || len(es) != 1 || !errors.Is(err, tc.err) {
				t.Fatalf("got %v, want one error wrapping %v", err, tc.err)
			}
			if es[0].Field != tc.field || es[0].Line != 2 {
				t.Fatalf("error %q names line %d field %q, want line 2 field %q", es[0], es[0].Line, es[0].Field, tc.field)
			}
			if !strings.Contains(es[0].Error(), tc.text) || !strings.Contains(es[0].Error(), strconv.Quote(tc.field)) {
				t.Fatalf("error %q does not name the field %q and the text %s", es[0], tc.field, tc.text)
			}
			_ = out
		})
	}
}

func TestNewJSONErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		field  string
		format Format
	}{
		{"bad pointer escape", "/a~2", Seconds},
		{"empty layout", "ts", Layout("")},
	} {
		if _, err := NewJSON[trade](tc.field, tc.format); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}

func TestDecodeBadInputLinear(t *testing.T) {
	// Lines that open an object and never close it: each one is a valid
	// prefix of the rest of the payload, so trying each line on its own
	// with a full scan would be quadratic.
	steps := 0
	stepHook = func(n int) { steps = n }
	defer func() { stepHook = nil }()
	d, _ := NewJSON[trade]("ts", Seconds)
	for _, bad := range []string{`{"ticker":[`, `{"qty":{"a":`, `{"ticker":"x","p":[1,`} {
		var work [2]int
		for k, n := range []int{1 << 15, 1 << 16} {
			var b bytes.Buffer
			b.WriteString(`{"ticker":"first","ts":1}` + "\n")
			for b.Len() < n {
				b.WriteString(bad + "\n")
			}
			b.WriteString(`{"ticker":"last","ts":2}` + "\n")
			out, err := d.Append(nil, b.Bytes(), 0)
			if len(out) == 0 || out[0].Value.Ticker != "first" {
				t.Fatalf("%s: the first good object was not decoded: %v", bad, out)
			}
			var es Errors
			if !errors.As(err, &es) || len(es) == 0 {
				t.Fatalf("%s: no errors", bad)
			}
			work[k] = steps
		}
		if work[1] > 3*work[0] || work[1] > 1<<16 {
			t.Errorf("%s: %d values scanned for 32 KiB, %d for 64 KiB: not linear", bad, work[0], work[1])
		}
	}
	// Good objects after bad lines still decode.
	out, err := d.Append(nil, []byte("{\"ticker\":\"A\",\"ts\":1\n{\"ticker\":\"B\",\"ts\":2}\n{\"a\":\n{\"ticker\":\"C\",\"ts\":3}\n"), 0)
	var es Errors
	if len(out) != 2 || out[0].Value.Ticker != "B" || out[1].Value.Ticker != "C" || !errors.As(err, &es) || len(es) != 2 || es[0].Line != 1 || es[1].Line != 3 {
		t.Fatalf("got %+v, %v", out, err)
	}
}

func TestDecodeBadInputMiB(t *testing.T) {
	// A 1 MiB record of an object that never closes, with good objects
	// after its lines, decodes in one pass (BenchmarkDecodeBad measures it).
	steps := 0
	stepHook = func(n int) { steps = n }
	defer func() { stepHook = nil }()
	data := badPayload(1 << 20)
	d, _ := NewJSON[trade]("ts", Seconds)
	out, err := d.Append(nil, data, 0)
	if len(out) != 1 || out[0].Value.Ticker != "last" || err == nil {
		t.Fatalf("got %d records, %v", len(out), err)
	}
	if steps > len(data)/2 {
		t.Fatalf("%d values scanned for %d bytes", steps, len(data))
	}
}

// badPayload returns about n bytes of lines that open an object and never
// close it, and one good object at the end.
func badPayload(n int) []byte {
	var b bytes.Buffer
	for b.Len() < n {
		b.WriteString(`{"ticker":"A","qty":[{"x":` + "\n")
	}
	b.WriteString(`{"ticker":"last","ts":2}`)
	return b.Bytes()
}

func TestDecodeDeepAndLarge(t *testing.T) {
	d, _ := NewJSON[trade]("ts", Seconds)
	deep := `{"ticker":` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `,"ts":1}`
	ok := `{"ticker":"A","extra":` + strings.Repeat("[", 9998) + strings.Repeat("]", 9998) + `,"ts":1}`
	out, err := d.Append(nil, []byte(deep+"\n"+ok+"\n"), 0)
	var es Errors
	if len(out) != 1 || out[0].Value.Ticker != "A" || !errors.As(err, &es) || len(es) != 1 || es[0].Line != 1 || !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), "depth") {
		t.Fatalf("got %d records, %v", len(out), err)
	}
	// No size limit: a 10 MB payload decodes.
	big := `{"ticker":"` + strings.Repeat("x", 10<<20) + `","ts":1}`
	out, err = d.Append(nil, []byte(big), 0)
	if err != nil || len(out) != 1 || len(out[0].Value.Ticker) != 10<<20 {
		t.Fatalf("10 MB payload: %d records, %v", len(out), err)
	}
	var lines bytes.Buffer
	for lines.Len() < 10<<20 {
		lines.WriteString(`{"ticker":"AMZN","price":178.53,"qty":3,"ts":1700000000}` + "\n")
	}
	out, err = d.Append(nil, lines.Bytes(), 0)
	if err != nil || len(out) != lines.Len()/57 {
		t.Fatalf("10 MB of JSON lines: %d records, %v", len(out), err)
	}
}

func TestDecodeValueErrors(t *testing.T) {
	d, _ := NewJSON[event]("", Arrival)
	for _, tc := range []struct {
		data, field string
	}{
		{`{"detail":{"id":"x"}}`, "detail.id"},
		{`{"detail":{"id":"1.5"}}`, "detail.id"},
		{`{"detail":{"state":1}}`, "detail.state"},
		{`{"source":{}}`, "source"},
	} {
		_, err := d.Append(nil, []byte(tc.data), 0)
		var es Errors
		if !errors.As(err, &es) || len(es) != 1 || es[0].Field != tc.field || !errors.Is(err, ErrValue) {
			t.Errorf("%s: got %v, want ErrValue for field %q", tc.data, err, tc.field)
		}
	}
}

func TestDecodeConcurrent(t *testing.T) {
	// A decoder holds no state: many goroutines share one.
	d, _ := NewJSON[event]("/detail/t", Seconds)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range 200 {
				data := fmt.Sprintf(`{"source":"s%d","detail":{"state":"x\u00e9%d","t":%d}}`, g, k, k)
				out, err := d.Append(nil, []byte(data), 0)
				if err != nil || len(out) != 1 || out[0].Time != record.Time(k)*1e9 || out[0].Value.Detail.State != fmt.Sprintf("xé%d", k) {
					t.Errorf("got %+v, %v", out, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}
