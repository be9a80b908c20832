package codec

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

type codecInner struct {
	Name  string
	Score float64
	Tags  []string
}

type codecAll struct {
	B      bool
	I      int
	I8     int8
	I16    int16
	I32    int32
	I64    int64
	U      uint
	U8     uint8
	U16    uint16
	U32    uint32
	U64    uint64
	F32    float32
	F64    float64
	C64    complex64
	C128   complex128
	S      string
	Bytes  []byte
	T      Time
	D      time.Duration
	Arr    [3]int16
	Key    [16]byte
	Ints   []int64
	Inner  codecInner
	Ptr    *codecInner
	Nested [][]uint32
	M      map[string]int
	MS     map[int64][]string
	When   time.Time
	Empty  struct{}
	_      int // blank padding: not encoded
}

type codecList struct {
	V    int
	Next *codecList
}

type codecTree struct {
	Label    string
	Children []codecTree
}

// codecText implements the binary interfaces with a pointer receiver for
// decoding and a value receiver for AppendBinary.
type codecText struct{ s string }

func (c codecText) AppendBinary(b []byte) ([]byte, error) {
	return append(b, strings.ToUpper(c.s)...), nil
}
func (c *codecText) UnmarshalBinary(b []byte) error {
	c.s = strings.ToLower(string(b))
	return nil
}

// codecMarshal implements only MarshalBinary (pointer receiver).
type codecMarshal struct{ n uint16 }

func (c *codecMarshal) MarshalBinary() ([]byte, error) {
	return []byte{byte(c.n), byte(c.n >> 8)}, nil
}
func (c *codecMarshal) UnmarshalBinary(b []byte) error {
	if len(b) != 2 {
		return errors.New("want 2 bytes")
	}
	c.n = uint16(b[0]) | uint16(b[1])<<8
	return nil
}

// codecBig appends a payload longer than 127 bytes, so its length prefix
// takes two bytes.
type codecBig struct{ N int }

func (c codecBig) AppendBinary(b []byte) ([]byte, error) {
	return append(b, bytes.Repeat([]byte{byte(c.N)}, 200+c.N)...), nil
}
func (c *codecBig) UnmarshalBinary(b []byte) error {
	if len(b) < 200 {
		return errors.New("short")
	}
	c.N = len(b) - 200
	return nil
}

type codecOnlyMarshal struct{}

func (codecOnlyMarshal) MarshalBinary() ([]byte, error) { return nil, nil }

func roundTrip[T any](t *testing.T, v T) []byte {
	t.Helper()
	b, err := Append([]byte("prefix"), v)
	if err != nil {
		t.Fatalf("Append(%#v): %v", v, err)
	}
	if !bytes.HasPrefix(b, []byte("prefix")) {
		t.Fatalf("Append overwrote dst")
	}
	b = append(b[len("prefix"):], "tail"...)
	var got T
	n, err := Read(b, &got)
	if err != nil {
		t.Fatalf("Read(%#v): %v", v, err)
	}
	if n != len(b)-len("tail") {
		t.Fatalf("Read used %d bytes of %d", n, len(b)-len("tail"))
	}
	if diff := cmp.Diff(v, got, cmp.AllowUnexported(codecText{}, codecMarshal{}, codecAll{}), cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
		t.Fatalf("round trip mismatch (-want +got):\n%s", diff)
	}
	return b[:n]
}

func TestCodecRoundTrip(t *testing.T) {
	nan := math.Float64frombits(0x7ff8000000000001)
	t.Run("scalars", func(t *testing.T) {
		roundTrip(t, true)
		roundTrip(t, false)
		for _, x := range []int64{0, 1, -1, 63, -64, 64, math.MaxInt64, math.MinInt64} {
			roundTrip(t, x)
			roundTrip(t, Time(x))
			roundTrip(t, int(x))
			roundTrip(t, time.Duration(x))
		}
		for _, x := range []uint64{0, 1, 127, 128, math.MaxUint64} {
			roundTrip(t, x)
			roundTrip(t, uint(x))
		}
		roundTrip(t, int8(-128))
		roundTrip(t, uint8(255))
		roundTrip(t, int32(math.MinInt32))
		roundTrip(t, uint32(math.MaxUint32))
		roundTrip(t, uint16(65535))
		for _, f := range []float64{0, math.Copysign(0, -1), 1.5, math.Inf(1), math.Inf(-1), math.MaxFloat64, math.SmallestNonzeroFloat64} {
			roundTrip(t, f)
			roundTrip(t, float32(f))
		}
		roundTrip(t, complex(1.5, -2))
		roundTrip(t, complex64(complex(1.5, -2)))
		roundTrip(t, "")
		roundTrip(t, "héllo\x00")
		roundTrip(t, strings.Repeat("x", 300))
	})
	t.Run("nan bits", func(t *testing.T) {
		b, _ := Append(nil, nan)
		var got float64
		if _, err := Read(b, &got); err != nil || math.Float64bits(got) != math.Float64bits(nan) {
			t.Fatalf("NaN payload lost: %x, %v", math.Float64bits(got), err)
		}
	})
	t.Run("bytes nil and empty", func(t *testing.T) {
		roundTrip(t, []byte(nil))
		roundTrip(t, []byte{})
		roundTrip(t, []byte("abc"))
		roundTrip(t, []int(nil))
		roundTrip(t, []int{})
		roundTrip(t, map[string]int(nil))
		roundTrip(t, map[string]int{})
	})
	t.Run("struct", func(t *testing.T) {
		v := codecAll{
			B: true, I: -7, I8: -8, I16: 300, I32: -70000, I64: math.MinInt64,
			U: 7, U8: 200, U16: 60000, U32: 1 << 31, U64: math.MaxUint64,
			F32: 1.25, F64: -3.5, C64: 1 + 2i, C128: -1 - 2i,
			S: "s", Bytes: []byte{0, 1, 2}, T: MinTime, D: time.Hour,
			Arr: [3]int16{-1, 0, 1}, Key: [16]byte{15: 9}, Ints: []int64{1, -1},
			Inner:  codecInner{"in", 2, []string{"a", ""}},
			Ptr:    &codecInner{Name: "p"},
			Nested: [][]uint32{nil, {}, {1, 2}},
			M:      map[string]int{"b": 2, "a": 1, "c": 3},
			MS:     map[int64][]string{-5: {"x"}, 7: nil},
			When:   time.Date(2024, 2, 29, 12, 0, 0, 5, time.UTC),
		}
		roundTrip(t, v)
		roundTrip(t, codecAll{})
		roundTrip(t, &v)
		roundTrip(t, (*codecAll)(nil))
	})
	t.Run("unexported fields refused", func(t *testing.T) {
		type withPrivate struct {
			A       int
			private int
		}
		_, err := Append(nil, withPrivate{1, 2})
		if !errors.Is(err, ErrCodec) || !strings.Contains(err.Error(), "private") {
			t.Fatalf("err = %v, want ErrCodec naming the field", err)
		}
		_, err = Append(nil, []map[string]withPrivate{nil})
		if !errors.Is(err, ErrCodec) {
			t.Fatalf("nested: err = %v, want ErrCodec", err)
		}
	})
	t.Run("recursive", func(t *testing.T) {
		roundTrip(t, codecList{1, &codecList{2, &codecList{3, nil}}})
		roundTrip(t, codecTree{"root", []codecTree{{"a", nil}, {"b", []codecTree{{"c", []codecTree{}}}}}})
	})
	t.Run("marshalers", func(t *testing.T) {
		roundTrip(t, codecText{"abc"})
		roundTrip(t, []codecText{{"x"}, {""}})
		roundTrip(t, codecMarshal{513})
		roundTrip(t, map[string]codecMarshal{"k": {1}})
		for _, n := range []int{0, 5, 100} {
			roundTrip(t, codecBig{n})
			roundTrip(t, [2]codecBig{{n}, {n + 1}})
		}
		roundTrip(t, time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC))
	})
	t.Run("own encoding wins", func(t *testing.T) {
		b, _ := Append(nil, codecText{"abc"})
		if want := []byte("\x03ABC"); !bytes.Equal(b, want) {
			t.Fatalf("got %q, want %q", b, want)
		}
	})
}

func TestCodecDeterministicMaps(t *testing.T) {
	m := map[string]int{}
	for i := range 200 {
		m[strings.Repeat("k", i%7)+string(rune('a'+i%26))+string(rune('A'+i/26))] = i
	}
	first, err := Append(nil, m)
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		cp := make(map[string]int, len(m))
		for k, v := range m {
			cp[k] = v
		}
		b, _ := Append(nil, cp)
		if !bytes.Equal(b, first) {
			t.Fatal("equal maps encoded differently")
		}
	}
}

func TestCodecKnownBytes(t *testing.T) {
	for _, tc := range []struct {
		name string
		enc  func() ([]byte, error)
		want []byte
	}{
		{"int -1", func() ([]byte, error) { return Append(nil, -1) }, []byte{1}},
		{"int 64", func() ([]byte, error) { return Append(nil, int64(64)) }, []byte{0x80, 1}},
		{"uint 300", func() ([]byte, error) { return Append(nil, uint16(300)) }, []byte{0xac, 2}},
		{"string", func() ([]byte, error) { return Append(nil, "ab") }, []byte{2, 'a', 'b'}},
		{"nil slice", func() ([]byte, error) { return Append(nil, []int(nil)) }, []byte{0}},
		{"empty slice", func() ([]byte, error) { return Append(nil, []int{}) }, []byte{1}},
		{"float", func() ([]byte, error) { return Append(nil, 1.0) }, []byte{0, 0, 0, 0, 0, 0, 0xf0, 0x3f}},
		{"struct", func() ([]byte, error) { return Append(nil, codecInner{"a", 0, []string{"b"}}) }, []byte{1, 'a', 0, 0, 0, 0, 0, 0, 0, 0, 2, 1, 'b'}},
		{"map sorted", func() ([]byte, error) { return Append(nil, map[string]bool{"b": true, "a": false}) }, []byte{3, 1, 'a', 0, 1, 'b', 1}},
		{"pointer", func() ([]byte, error) { v := int8(-2); return Append(nil, &v) }, []byte{1, 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.enc()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tc.want) {
				t.Fatalf("got % x, want % x", got, tc.want)
			}
		})
	}
}

func TestCodecUnsupported(t *testing.T) {
	type noExported struct{ a, b int }
	type withChan struct {
		A int
		C chan int
	}
	type deep struct{ L []map[string]func() }
	for _, tc := range []struct {
		name string
		enc  func() error
		dec  func() error
	}{
		{"chan", func() error { _, err := Append(nil, make(chan int)); return err }, func() error { var c chan int; _, err := Read([]byte{0}, &c); return err }},
		{"func", func() error { _, err := Append(nil, func() {}); return err }, func() error { var f func(); _, err := Read([]byte{0}, &f); return err }},
		{"interface", func() error { _, err := Append[any](nil, 1); return err }, func() error { var x any; _, err := Read([]byte{0}, &x); return err }},
		{"unexported only", func() error { _, err := Append(nil, noExported{}); return err }, func() error { var x noExported; _, err := Read([]byte{0}, &x); return err }},
		{"field chan", func() error { _, err := Append(nil, withChan{}); return err }, func() error { var x withChan; _, err := Read([]byte{0, 0}, &x); return err }},
		{"deep func", func() error { _, err := Append(nil, deep{}); return err }, func() error { var x deep; _, err := Read([]byte{0}, &x); return err }},
		{"marshal without unmarshal", func() error { _, err := Append(nil, codecOnlyMarshal{}); return err }, func() error { var x codecOnlyMarshal; _, err := Read([]byte{0}, &x); return err }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for i, err := range []error{tc.enc(), tc.enc(), tc.dec()} { // twice: the cached path too
				if !errors.Is(err, ErrCodec) {
					t.Fatalf("call %d: got %v, want ErrCodec", i, err)
				}
			}
		})
	}
}

func TestCodecBadInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  []byte
		read func([]byte) error
	}{
		{"empty int", nil, func(b []byte) error { var x int64; _, err := Read(b, &x); return err }},
		{"varint overflow", bytes.Repeat([]byte{0xff}, 11), func(b []byte) error { var x uint64; _, err := Read(b, &x); return err }},
		{"int8 overflow", binary.AppendVarint(nil, 128), func(b []byte) error { var x int8; _, err := Read(b, &x); return err }},
		{"uint16 overflow", binary.AppendUvarint(nil, 1<<16), func(b []byte) error { var x uint16; _, err := Read(b, &x); return err }},
		{"int32 overflow", binary.AppendVarint(nil, math.MaxInt32+1), func(b []byte) error { var x int32; _, err := Read(b, &x); return err }},
		{"bad bool", []byte{2}, func(b []byte) error { var x bool; _, err := Read(b, &x); return err }},
		{"bad pointer byte", []byte{7}, func(b []byte) error { var x *int; _, err := Read(b, &x); return err }},
		{"huge string", binary.AppendUvarint(nil, 1<<62), func(b []byte) error { var x string; _, err := Read(b, &x); return err }},
		{"huge slice", binary.AppendUvarint(nil, 1<<62), func(b []byte) error { var x []int; _, err := Read(b, &x); return err }},
		{"huge map", append(binary.AppendUvarint(nil, 1<<40), 1, 2, 3), func(b []byte) error { var x map[int]int; _, err := Read(b, &x); return err }},
		{"huge empty structs", binary.AppendUvarint(nil, 1<<40), func(b []byte) error { var x []struct{}; _, err := Read(b, &x); return err }},
		{"unmarshal fails", []byte{1, 9}, func(b []byte) error { var x codecMarshal; _, err := Read(b, &x); return err }},
		{"short float", []byte{1, 2, 3}, func(b []byte) error { var x float64; _, err := Read(b, &x); return err }},
		{"short float32", []byte{1, 2, 3}, func(b []byte) error { var x float32; _, err := Read(b, &x); return err }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.read(tc.src); !errors.Is(err, ErrCodec) {
				t.Fatalf("got %v, want ErrCodec", err)
			}
		})
	}
}

// TestCodecTruncated checks that every strict prefix of an encoding fails and
// leaves the destination unchanged.
func TestCodecTruncated(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 20 {
		v := randomValue[codecAll](r)
		b, err := Append(nil, v)
		if err != nil {
			t.Fatal(err)
		}
		sentinel := codecAll{S: "untouched", M: map[string]int{"x": 1}}
		for cut := range len(b) {
			got := sentinel
			n, err := Read(b[:cut], &got)
			if !errors.Is(err, ErrCodec) || n != 0 {
				t.Fatalf("value %d, prefix %d of %d: n=%d err=%v", i, cut, len(b), n, err)
			}
			if !reflect.DeepEqual(got, sentinel) {
				t.Fatalf("value %d, prefix %d: destination changed", i, cut)
			}
		}
	}
	for _, s := range []string{"", "abc", strings.Repeat("z", 200)} {
		b, _ := Append(nil, s)
		for cut := range len(b) {
			got := "keep"
			if _, err := Read(b[:cut], &got); err == nil || got != "keep" {
				t.Fatalf("string prefix %d: err %v, got %q", cut, err, got)
			}
		}
	}
}

// TestCodecProperty round-trips random values of several types and checks that
// concatenated encodings read back one after another.
func TestCodecProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	n := 300
	if testing.Short() {
		n = 50
	}
	for range n {
		a := randomValue[codecAll](r)
		l := randomValue[[]codecInner](r)
		m := randomValue[map[uint16][2]string](r)
		var buf []byte
		var err error
		buf, err = Append(buf, a)
		if err == nil {
			buf, err = Append(buf, l)
		}
		if err == nil {
			buf, err = Append(buf, m)
		}
		if err != nil {
			t.Fatal(err)
		}
		var (
			ga codecAll
			gl []codecInner
			gm map[uint16][2]string
		)
		off := 0
		for _, read := range []func([]byte) (int, error){
			func(b []byte) (int, error) { return Read(b, &ga) },
			func(b []byte) (int, error) { return Read(b, &gl) },
			func(b []byte) (int, error) { return Read(b, &gm) },
		} {
			k, err := read(buf[off:])
			if err != nil {
				t.Fatal(err)
			}
			off += k
		}
		if off != len(buf) {
			t.Fatalf("read %d of %d bytes", off, len(buf))
		}
		opts := []cmp.Option{cmp.AllowUnexported(codecAll{}), cmp.Comparer(func(x, y time.Time) bool { return x.Equal(y) }),
			cmp.Comparer(func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) }),
			cmp.Comparer(func(x, y float32) bool { return math.Float32bits(x) == math.Float32bits(y) })}
		if d := cmp.Diff(a, ga, opts...); d != "" {
			t.Fatalf("codecAll: %s", d)
		}
		if d := cmp.Diff(l, gl, opts...); d != "" {
			t.Fatalf("[]codecInner: %s", d)
		}
		if d := cmp.Diff(m, gm); d != "" {
			t.Fatalf("map: %s", d)
		}
	}
}

func randomValue[T any](r *rand.Rand) T {
	var v T
	fillRandom(r, reflect.ValueOf(&v).Elem(), 0)
	return v
}

func fillRandom(r *rand.Rand, v reflect.Value, depth int) {
	if v.Type() == reflect.TypeFor[time.Time]() {
		v.Set(reflect.ValueOf(time.Unix(r.Int64N(1<<40)-1<<39, r.Int64N(1e9)).UTC()))
		return
	}
	switch v.Kind() {
	case reflect.Bool:
		v.SetBool(r.IntN(2) == 1)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		x := int64(r.Uint64())
		x >>= r.IntN(64)
		if !v.OverflowInt(x) {
			v.SetInt(x)
		} else {
			v.SetInt(x >> (64 - v.Type().Bits()))
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		x := r.Uint64() >> r.IntN(64)
		v.SetUint(x >> (64 - v.Type().Bits()))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(r.NormFloat64() * math.Pow(10, float64(r.IntN(20)-10)))
	case reflect.Complex64, reflect.Complex128:
		v.SetComplex(complex(r.NormFloat64(), r.NormFloat64()))
	case reflect.String:
		b := make([]byte, r.IntN(20))
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		v.SetString(string(b))
	case reflect.Slice:
		if depth > 3 || r.IntN(5) == 0 {
			return // nil
		}
		n := r.IntN(5)
		s := reflect.MakeSlice(v.Type(), n, n)
		for i := range n {
			fillRandom(r, s.Index(i), depth+1)
		}
		v.Set(s)
	case reflect.Array:
		for i := range v.Len() {
			fillRandom(r, v.Index(i), depth+1)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fillRandom(r, v.Field(i), depth+1)
			}
		}
	case reflect.Pointer:
		if depth > 3 || r.IntN(3) == 0 {
			return
		}
		p := reflect.New(v.Type().Elem())
		fillRandom(r, p.Elem(), depth+1)
		v.Set(p)
	case reflect.Map:
		if depth > 3 || r.IntN(5) == 0 {
			return
		}
		m := reflect.MakeMap(v.Type())
		for range r.IntN(5) {
			k := reflect.New(v.Type().Key()).Elem()
			e := reflect.New(v.Type().Elem()).Elem()
			fillRandom(r, k, depth+1)
			fillRandom(r, e, depth+1)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	}
}

// FuzzReadBinary checks that no input makes Read panic or over-read, and
// that whatever it accepts re-encodes to bytes that decode to the same value.
func FuzzReadBinary(f *testing.F) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 8 {
		b, _ := Append(nil, randomValue[codecAll](r))
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, data []byte) {
		var v codecAll
		n, err := Read(data, &v)
		if err != nil {
			if !errors.Is(err, ErrCodec) {
				t.Fatalf("error does not wrap ErrCodec: %v", err)
			}
			return
		}
		if n > len(data) {
			t.Fatalf("n = %d > %d", n, len(data))
		}
		b, err := Append(nil, v)
		if err != nil {
			t.Fatal(err)
		}
		var w codecAll
		if _, err := Read(b, &w); err != nil {
			t.Fatal(err)
		}
		b2, _ := Append(nil, w)
		if !bytes.Equal(b, b2) {
			t.Fatal("re-encoding is not stable")
		}
	})
}
