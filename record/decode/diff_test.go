package decode

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/rowtime/rowtime/record"
)

// The types of the differential tests reach every path of the specialised
// decoder: each kind it fills itself, embedding, tags, the ",string"
// option, and each kind it leaves to encoding/json.

type diffInner struct {
	A    int `json:"a"`
	B    string
	C    []int8 `json:"c"`
	Next *diffInner
}

type DiffEmbedded struct {
	E1     string
	Shadow int `json:"shadow"`
	Deep   int
}

type diffDeep struct{ Deep string }

type diffLevel2 struct{ diffDeep }

type diffUnm struct{ v string }

func (u *diffUnm) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '[' {
		return errors.New("no arrays")
	}
	u.v = string(b)
	return nil
}

type diffText int

func (t *diffText) UnmarshalText(b []byte) error {
	if len(b) > 3 {
		return errors.New("too long")
	}
	*t = diffText(len(b))
	return nil
}

type diffT struct {
	DiffEmbedded
	diffLevel2
	Name    string  `json:"name"`
	NAME    string  // exact match "NAME", else "name" takes the folds
	Skip    string  `json:"-"`
	Dash    string  `json:"-,"`
	Q       int     `json:"q,string"`
	QF      float64 `json:",string"`
	QB      bool    `json:"qb,string"`
	QS      string  `json:"qs,string"`
	QU      uint8   `json:"qu,omitempty,string"`
	I8      int8
	I16     int16
	I32     int32
	U       uint
	U16     uint16
	U64     uint64
	F32     float32
	F       float64
	Ok      bool
	P       *int
	PP      **string
	In      diffInner
	Ins     []diffInner
	Strs    []string
	Ptrs    []*int
	M       map[string]int
	Any     any
	Unm     diffUnm
	Text    diffText
	Raw     json.RawMessage
	Bytes   []byte
	Arr     [2]int
	When    time.Time
	Num     json.Number
	Shadow  string // a different name from DiffEmbedded's "shadow"
	Ünicode string `json:"ünï"`
	Kelvin  string `json:"k"`
	private int
}

var diffSeeds = []string{
	`{}`,
	`{"name":"a","NAME":"b","Name":"c","nAmE":"d"}`,
	`{"NAME":"x","name":"y"}`,
	`{"Skip":"s","-":"dash","q":"12","QF":"1.5","qb":"true","qs":"\"str\"","qu":"255"}`,
	`{"q":12}`, `{"q":"1.5"}`, `{"q":null}`, `{"q":"null"}`, `{"q":""}`, `{"qs":"plain"}`, `{"qb":"yes"}`, `{"QF":"0x1p4"}`, `{"QF":"-Inf"}`, `{"qu":"256"}`, `{"qs":"\"\\u00e9\""}`, `{"q":" 1"}`,
	`{"I8":127,"I16":-32768,"I32":2147483647,"U":1,"U16":65535,"U64":18446744073709551615}`,
	`{"I8":128}`, `{"U":-1}`, `{"U":-0}`, `{"I8":1.0}`, `{"I8":1e2}`, `{"F32":3.5e38}`, `{"F32":1e-50}`, `{"F":1e400}`, `{"F":-0.0}`,
	`{"Ok":true,"ok":false}`, `{"Ok":1}`, `{"ok":"true"}`,
	`{"P":5,"PP":"x"}`, `{"P":null,"PP":null}`, `{"P":"x"}`, `{"PP":5}`,
	`{"In":{"a":1,"B":"b","c":[1,2],"Next":{"a":2}},"in":{"B":"merged"}}`,
	`{"In":null}`, `{"In":[1]}`, `{"In":"x"}`,
	`{"Ins":[{"a":1},{"B":"x"}],"Ins":[{"c":[3]}]}`, `{"Ins":[]}`, `{"Ins":null}`, `{"Ins":{}}`,
	`{"Strs":["a","\u0062",null,"c"]}`, `{"Strs":[1]}`, `{"Ptrs":[1,null,2]}`,
	`{"M":{"a":1,"b":2},"M":{"c":3}}`, `{"M":{"a":"x"}}`, `{"Any":{"x":[1,"2",null,true]}}`, `{"Any":1e400}`,
	`{"Unm":[1]}`, `{"Unm":{"x":1}}`, `{"Unm":null}`, `{"Text":"ab"}`, `{"Text":"abcd"}`, `{"Text":5}`,
	`{"Raw":{"a" : [1, 2]}}`, `{"Bytes":"aGVsbG8="}`, `{"Bytes":"!"}`, `{"Bytes":[1,2]}`, `{"Arr":[1,2,3]}`,
	`{"When":"2024-02-29T12:00:00Z"}`, `{"When":"yesterday"}`, `{"Num":12.5}`, `{"Num":"12"}`, `{"Num":"x"}`,
	`{"shadow":1,"Shadow":"s","E1":"e","Deep":3}`, `{"SHADOW":2}`,
	`{"ünï":"u","ÜNÏ":"U","k":"kelvin","K":"K","\u212a":"kelvin sign"}`,
	`{"private":1,"diffLevel2":{"Deep":"x"},"DiffEmbedded":{"E1":"y"}}`,
	"{\"name\":\"\xff\xfe\",\"B\":\"\\ud800\",\"NAME\":\"\\ud83d\\ude00\\udc00x\"}",
	`{"name":"a\u0000b\"c\\d\/e\bf\fg\nh\ri\tj"}`,
	"{\"name\":\"tab\there\"}", `{"name":"\x"}`, `{"name":"\u12"}`, `{"name":"\u12g4"}`,
	`{"a":1,}`, `{"a" 1}`, `{,}`, `{"a":1`, `{"a":[1,2}`, `{"a":tru}`, `{"a":nul}`, `{"a":-}`, `{"a":01}`, `{"a":1.}`, `{"a":1e}`, `{"a":.5}`,
	`{"a":1} `, `{"a":1} x`, `{"a":1}{"b":2}`, ` {"name":"x"} `,
	`{"name":"x","name":"y"}`, `{"na\u006de":"escaped key"}`,
	`{"Any":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`,
	`{"Any":` + strings.Repeat("[", 9999) + strings.Repeat("]", 9999) + `}`,
	`{"In":` + strings.Repeat(`{"Next":`, 9998) + `{}` + strings.Repeat("}", 9998) + `}`,
	`{"In":` + strings.Repeat(`{"Next":`, 9999) + `{}` + strings.Repeat("}", 9999) + `}`,
}

// diffCompare decodes data, which starts with '{', with the decoder and
// with encoding/json and fails unless both accept it with equal values or
// both reject it.
func diffCompare[T any](t *testing.T, data []byte) {
	t.Helper()
	var want T
	errW := json.Unmarshal(data, &want)
	d, err := NewJSON[T]("", Arrival)
	if err != nil {
		t.Fatal(err)
	}
	out, errG := d.Append(nil, data, 7)
	accepted := len(out) == 1 && errG == nil
	if accepted && out[0].Time != 7 {
		t.Fatalf("time %v", out[0].Time)
	}
	if (errW == nil) != accepted {
		if len(data) > 200 {
			data = append(data[:200:200], "..."...)
		}
		t.Fatalf("%q: encoding/json says %v, the decoder %d records and %v", data, errW, len(out), errG)
	}
	if errW != nil {
		return
	}
	if reflect.DeepEqual(want, out[0].Value) {
		return
	}
	if diff := cmp.Diff(want, out[0].Value, cmp.Exporter(func(reflect.Type) bool { return true }), cmpopts.EquateNaNs()); diff != "" {
		if len(data) > 200 {
			data = append(data[:200:200], "..."...)
		}
		t.Fatalf("%q: decoded value differs from encoding/json's (-want +got):\n%s", data, diff)
	}
}

func startsObject(data []byte) bool {
	b := bytes.TrimLeft(data, " \t\r\n")
	return len(b) > 0 && b[0] == '{'
}

func TestDiffSeeds(t *testing.T) {
	for _, s := range diffSeeds {
		diffCompare[diffT](t, []byte(s))
		diffCompare[trade](t, []byte(s))
	}
}

func TestDiffRootFallback(t *testing.T) {
	// Types the specialised decoder leaves to encoding/json as a whole.
	type withPointer struct {
		*DiffEmbedded
		X int
	}
	type withQuotedPointer struct {
		P *int `json:",string"`
	}
	for _, s := range diffSeeds {
		diffCompare[withPointer](t, []byte(s))
		diffCompare[withQuotedPointer](t, []byte(s))
		diffCompare[map[string]any](t, []byte(s))
	}
}

// FuzzDiff feeds the same bytes to the decoder and to encoding/json and
// requires the same accept or reject decision and, on accept, the same
// value.
func FuzzDiff(f *testing.F) {
	for _, s := range diffSeeds {
		if len(s) < 1000 {
			f.Add([]byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !startsObject(data) {
			return
		}
		diffCompare[diffT](t, data)
		diffCompare[trade](t, data)
	})
}

// diffTime is the time field read the way encoding/json reads a string
// field of that name, for checking the time field's matching rule.
type diffTime struct {
	TS *string `json:"ts"`
}

// FuzzDiffTimeField checks that the time field takes the value encoding/json
// gives a field of the same name: the same key, matched the same way.
func FuzzDiffTimeField(f *testing.F) {
	for _, s := range []string{
		`{"ts":"2024-02-29T12:00:00Z"}`, `{"TS":"2024-02-29T12:00:00Z"}`, `{"Ts":"2024-02-29T12:00:00Z","ts":"2024-02-29T12:00:01Z"}`,
		`{"t\u0073":"2024-02-29T12:00:00Z"}`, `{"ts":"2024-02-29T12:00:00Z","tS":"2024-02-29T12:00:03Z"}`, `{"x":{"ts":"2024-02-29T12:00:00Z"}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !startsObject(data) {
			return
		}
		var want diffTime
		if json.Unmarshal(data, &want) != nil {
			return
		}
		d, _ := NewJSON[struct{}]("ts", RFC3339)
		out, err := d.Append(nil, data, 0)
		switch {
		case want.TS == nil:
			if !errors.Is(err, ErrNoTime) {
				t.Fatalf("%q: no ts for encoding/json, the decoder %v %v", data, out, err)
			}
		default:
			tm, perr := record.ParseRFC3339(*want.TS)
			if perr != nil {
				if !errors.Is(err, record.ErrTimeFormat) && !errors.Is(err, record.ErrTimeRange) {
					t.Fatalf("%q: %v", data, err)
				}
				return
			}
			if err != nil || len(out) != 1 || out[0].Time != tm {
				t.Fatalf("%q: want %v, got %v %v", data, tm, out, err)
			}
		}
	})
}

// pointerOracle finds the value at path in the JSON object data the slow
// way, with encoding/json's tokens: at each level the last key whose name
// folds to the segment's, or the element of an array at an index.
func pointerOracle(data []byte, path []string) (json.RawMessage, bool) {
	raw := json.RawMessage(bytes.TrimSpace(data))
	for _, seg := range path {
		if len(raw) == 0 {
			return nil, false
		}
		switch raw[0] {
		case '{':
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.Token()
			var found json.RawMessage
			ok := false
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return nil, false
				}
				var v json.RawMessage
				if err := dec.Decode(&v); err != nil {
					return nil, false
				}
				if string(foldName([]byte(k.(string)))) == string(foldName([]byte(seg))) {
					found, ok = v, true
				}
			}
			if !ok {
				return nil, false
			}
			raw = found
		case '[':
			var elems []json.RawMessage
			if json.Unmarshal(raw, &elems) != nil {
				return nil, false
			}
			n, err := strconv.Atoi(seg)
			if err != nil || n < 0 || n >= len(elems) || strconv.Itoa(n) != seg {
				return nil, false
			}
			raw = elems[n]
		default:
			return nil, false
		}
	}
	return bytes.TrimSpace(raw), true
}

// FuzzDiffPointer checks the time found through a JSON pointer against
// pointerOracle.
func FuzzDiffPointer(f *testing.F) {
	for _, s := range []string{
		`{"a":{"b":{"t":1}}}`, `{"A":{"b":{"T":"2"}},"a":{"B":{"t":3}}}`, `{"a":{"b":{"t":1}},"a":{"x":1}}`,
		`{"a":[{"b":{"t":1}},{"b":{"t":2}}]}`, `{"a":{"b":5},"a":{"b":{"t":6}}}`, `{"a":{"b":{"t":7}},"a":5}`,
		`{"a":{"a":{"a":{"t":1}}},"b":{"t":2}}`, `{"x":{"a":{"b":{"t":9}}},"a":{"b":{"t":8}}}`,
	} {
		f.Add([]byte(s), uint8(0))
		f.Add([]byte(s), uint8(1))
	}
	paths := [][]string{{"a", "b", "t"}, {"a", "0", "b", "t"}, {"a", "1", "b", "t"}, {"a", "a", "a", "t"}, {"t"}, {"a", "t"}}
	f.Fuzz(func(t *testing.T, data []byte, which uint8) {
		if !startsObject(data) || !json.Valid(data) {
			return
		}
		path := paths[int(which)%len(paths)]
		d, err := NewJSON[struct{}]("/"+strings.Join(path, "/"), Seconds)
		if err != nil {
			t.Fatal(err)
		}
		out, err := d.Append(nil, data, 0)
		raw, ok := pointerOracle(data, path)
		if !ok || string(raw) == "null" {
			if !errors.Is(err, ErrNoTime) {
				t.Fatalf("%q %v: oracle finds nothing, the decoder %v %v", data, path, out, err)
			}
			return
		}
		want, werr := Seconds.fromJSON(raw, nil)
		if werr != nil {
			if err == nil || errors.Is(err, ErrNoTime) {
				t.Fatalf("%q %v: oracle %s gives %v, the decoder %v %v", data, path, raw, werr, out, err)
			}
			return
		}
		if err != nil || len(out) != 1 || out[0].Time != want {
			t.Fatalf("%q %v: oracle %s = %v, the decoder %v %v", data, path, raw, want, out, err)
		}
	})
}

func TestPlainRun(t *testing.T) {
	// Against the byte-by-byte rule, on words with one special byte at
	// every place and of every value.
	for pos := 0; pos < 8; pos++ {
		for v := 0; v < 256; v++ {
			w := []byte("abcdefgh" + "ijklmnop")
			w[pos] = byte(v)
			for _, ascii := range []bool{false, true} {
				stop := v == '"' || v == '\\' || v < 0x20 || ascii && v >= 0x80
				want := 16
				if stop {
					want = 0
				}
				if got := plainRun(w, 0, ascii); got != want {
					t.Fatalf("byte %#x at %d (ascii %v): run %d, want %d", v, pos, ascii, got, want)
				}
			}
		}
	}
}
