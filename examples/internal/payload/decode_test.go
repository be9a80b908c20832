package payload

import (
	"errors"
	"strings"
	"testing"

	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/record/decode"
)

var errTest = errors.New("test: cannot decode")

type thing struct {
	Name string
	Size int
	T    float64
}

func TestOne(t *testing.T) {
	d, err := decode.NewJSON[thing]("T", decode.Seconds)
	if err != nil {
		t.Fatal(err)
	}
	r, err := One(d, []byte(`{"Name":"a","Size":3,"T":2}`), errTest)
	if err != nil {
		t.Fatal(err)
	}
	if r.Value.Name != "a" || r.Value.Size != 3 || r.Time != record.Time(2e9) {
		t.Errorf("got %+v", r)
	}
	for _, tc := range []struct {
		name, in string
		is       error  // wrapped beside errTest
		msg      string // the error's text starts with this
	}{
		{"bad field", `{"Name":"a","Size":"x","T":2}`, decode.ErrValue, `test: cannot decode: field "Size": `},
		{"no time", `{"Name":"a","Size":1}`, decode.ErrNoTime, "test: cannot decode: "},
		{"syntax", `{"Name":`, decode.ErrSyntax, "test: cannot decode: "},
		{"two objects", `{"Name":"a","T":1}` + "\n" + `{"Name":"b","T":2}`, nil, "test: cannot decode: 2 objects in one payload, want 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := One(d, []byte(tc.in), errTest)
			if !errors.Is(err, errTest) {
				t.Fatalf("error %v does not wrap the sentinel", err)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v does not wrap %v", err, tc.is)
			}
			if !strings.HasPrefix(err.Error(), tc.msg) {
				t.Errorf("error %q, want it to start %q", err, tc.msg)
			}
			if strings.Contains(err.Error(), "line ") {
				t.Errorf("error %q names a line", err)
			}
		})
	}
}
