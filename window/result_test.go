package window_test

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/window"
)

func TestResultAppendJSON(t *testing.T) {
	at := func(s string) record.Time {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return record.Time(tm.UnixNano())
	}
	start, end := at("2024-05-01T12:00:00Z"), at("2024-05-01T12:01:00.5Z")
	for _, tt := range []struct {
		name string
		got  func() ([]byte, error)
		want string
	}{
		{"keyed", func() ([]byte, error) {
			return window.Result[string, int64]{Start: start, End: end, Key: "eu", Value: 42}.AppendJSON([]byte("x"))
		}, `x{"window_start":"2024-05-01T12:00:00Z","window_end":"2024-05-01T12:01:00.5Z","key":"eu","value":42}`},
		{"unkeyed update", func() ([]byte, error) {
			return window.Result[window.NoKey, float64]{Start: start, End: end, Value: 1.5, Update: true}.AppendJSON(nil)
		}, `{"window_start":"2024-05-01T12:00:00Z","window_end":"2024-05-01T12:01:00.5Z","value":1.5,"update":true}`},
		{"struct value", func() ([]byte, error) {
			type minMax struct{ Min, Max int }
			return window.Result[int, minMax]{Start: start, End: end, Key: 7, Value: minMax{1, 9}}.AppendJSON(nil)
		}, `{"window_start":"2024-05-01T12:00:00Z","window_end":"2024-05-01T12:01:00.5Z","key":7,"value":{"Min":1,"Max":9}}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.got()
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
			if !json.Valid([]byte(tt.want[strings.IndexByte(tt.want, '{'):])) {
				t.Errorf("not valid JSON: %s", got)
			}
		})
	}
}

func TestResultAppendJSONError(t *testing.T) {
	dst := []byte("keep")
	out, err := window.Result[string, float64]{Key: "k", Value: math.NaN()}.AppendJSON(dst)
	if err == nil {
		t.Fatal("a NaN value encoded without an error")
	}
	if string(out) != "keep" {
		t.Errorf("dst changed on error: %q", out)
	}
	out, err = window.Result[float64, int]{Key: math.Inf(1)}.AppendJSON(dst)
	if err == nil || string(out) != "keep" {
		t.Errorf("an infinite key: %q, %v", out, err)
	}
}

func ExampleResult_AppendJSON() {
	r := window.Result[string, int64]{
		Start: record.Time(time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC).UnixNano()),
		End:   record.Time(time.Date(2024, 5, 1, 12, 1, 0, 0, time.UTC).UnixNano()),
		Key:   "eu",
		Value: 42,
	}
	b, _ := r.AppendJSON(nil)
	fmt.Println(string(b))
	// Output:
	// {"window_start":"2024-05-01T12:00:00Z","window_end":"2024-05-01T12:01:00Z","key":"eu","value":42}
}
