package codec

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
	"unsafe"
)

type checkPrivate struct {
	Name string
	n    int
}

type checkSelf struct{ n int }

func (c checkSelf) AppendBinary(b []byte) ([]byte, error) { return append(b, byte(c.n)), nil }
func (c *checkSelf) UnmarshalBinary(b []byte) error {
	if len(b) != 1 {
		return errors.New("bad length")
	}
	c.n = int(b[0])
	return nil
}

type checkMarshalOnly struct{ N int }

func (checkMarshalOnly) MarshalBinary() ([]byte, error) { return nil, nil }

type checkList struct {
	Next *checkList
	V    int
}

// TestCheckCodec checks that Check refuses exactly the types that
// AppendBinary and ReadBinary cannot round-trip, naming what is wrong, and
// that the refusal is the one snapshot error under all its names.
func TestCheckCodec(t *testing.T) {
	ok := []reflect.Type{
		reflect.TypeFor[int64](), reflect.TypeFor[string](), reflect.TypeFor[Time](),
		reflect.TypeFor[time.Time](), reflect.TypeFor[time.Duration](),
		reflect.TypeFor[[]byte](), reflect.TypeFor[map[string][]float64](),
		reflect.TypeFor[[3]complex64](), reflect.TypeFor[*int](),
		reflect.TypeFor[struct {
			A int
			_ int32
		}](),
		reflect.TypeFor[checkSelf](), reflect.TypeFor[checkList](), reflect.TypeFor[Of[string]](),
	}
	for _, typ := range ok {
		if err := CheckType(typ); err != nil {
			t.Errorf("CheckType(%v) = %v, want nil", typ, err)
		}
	}
	bad := []struct {
		typ  reflect.Type
		want string // in the message
	}{
		{reflect.TypeFor[func()](), "func"},
		{reflect.TypeFor[chan int](), "chan"},
		{reflect.TypeFor[unsafe.Pointer](), "unsafe.Pointer"},
		{reflect.TypeFor[any](), "interface"},
		{reflect.TypeFor[error](), "interface"},
		{reflect.TypeFor[checkPrivate](), "field n"},
		{reflect.TypeFor[[]checkPrivate](), "field n"},
		{reflect.TypeFor[map[string]func()](), "func"},
		{reflect.TypeFor[struct{ F []chan int }](), "field F"},
		{reflect.TypeFor[*struct{ E error }](), "interface"},
		{reflect.TypeFor[Of[any]](), "field Value"},
		{reflect.TypeFor[checkMarshalOnly](), "BinaryUnmarshaler"},
		{nil, "nil type"},
	}
	for _, c := range bad {
		err := CheckType(c.typ)
		if err == nil {
			t.Errorf("CheckType(%v) = nil, want an error", c.typ)
			continue
		}
		if !errors.Is(err, ErrCodec) {
			t.Errorf("CheckType(%v) = %v, want one wrapping ErrCodec", c.typ, err)
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("CheckType(%v) = %q, want it to mention %q", c.typ, err, c.want)
		}
	}
	if err := Check[checkPrivate](); err == nil {
		t.Error("Check[checkPrivate]() = nil")
	}
	if err := Check[Of[int64]](); err != nil {
		t.Errorf("Check[Of[int64]]() = %v", err)
	}
	// What Check refuses, AppendBinary refuses too, and the other way.
	if _, err := Append(nil, checkPrivate{}); err == nil {
		t.Error("AppendBinary accepted a struct Check refuses")
	}
	if _, err := Append(nil, any(1)); err == nil {
		t.Error("AppendBinary accepted an interface")
	}
	var v any
	if _, err := Read([]byte{2}, &v); err == nil {
		t.Error("ReadBinary accepted an interface")
	}
}

// Time and Of stand for record.Time and record.Of, which this package
// cannot import: record imports it.
type Time int64

type Of[V any] struct {
	Time  Time
	Value V
}

const MinTime = Time(-1 << 63)
