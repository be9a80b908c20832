package record_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rowtime/rowtime/record"
)

func descFor(agg string, key reflect.Type) *record.Descriptor {
	return record.NewDescriptor("test.Op").Param("size", 15*time.Second).Param("aggregate", agg).Type("key", key)
}

func TestEnvelopeRoundTrip(t *testing.T) {
	d := descFor("Sum", reflect.TypeFor[int64]())
	buf := []byte("prefix")
	start := len(buf)
	buf = record.BeginSnapshot(buf, d)
	buf = append(buf, "body"...)
	buf = record.EndSnapshot(buf, start)
	data := buf[start:]
	if record.IsLegacySnapshot(data) {
		t.Fatal("new snapshot taken for legacy")
	}
	body, err := record.OpenSnapshot(data, descFor("Sum", reflect.TypeFor[int64]()))
	if err != nil || string(body) != "body" {
		t.Fatalf("OpenSnapshot = %q, %v", body, err)
	}
	if !record.IsLegacySnapshot([]byte{1, 2, 3}) {
		t.Fatal("legacy snapshot not recognised")
	}
}

func TestEnvelopeMismatchNamesBothSides(t *testing.T) {
	d := descFor("Sum", reflect.TypeFor[int64]())
	data := record.EndSnapshot(record.BeginSnapshot(nil, d), 0)
	for _, tc := range []struct {
		name string
		d    *record.Descriptor
		want []string
	}{
		{"aggregate", descFor("Count", reflect.TypeFor[int64]()), []string{"aggregate is Sum in the snapshot, Count here"}},
		{"key", descFor("Sum", reflect.TypeFor[uint64]()), []string{"key is int64 in the snapshot, uint64 here"}},
		{"kind", record.NewDescriptor("other").Param("size", 15*time.Second).Param("aggregate", "Sum").Type("key", reflect.TypeFor[int64]()), []string{"written by test.Op, restoring into other"}},
		{"duration", record.NewDescriptor("test.Op").Param("size", time.Minute).Param("aggregate", "Sum").Type("key", reflect.TypeFor[int64]()), []string{"size is 15s in the snapshot, 1m0s here"}},
		{"schema", descFor("Sum", reflect.TypeFor[int64]()).Schema("v2"), []string{"schema is v2 here, absent in the snapshot"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := record.OpenSnapshot(data, tc.d)
			if !errors.Is(err, record.ErrSnapshot) {
				t.Fatalf("err = %v, want ErrSnapshot", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

func TestEnvelopeEveryBitFlipDetected(t *testing.T) {
	d := descFor("Sum", reflect.TypeFor[int64]())
	data := record.BeginSnapshot(nil, d)
	data = append(data, "some state bytes"...)
	data = record.EndSnapshot(data, 0)
	for i := range len(data) * 8 {
		c := append([]byte(nil), data...)
		c[i/8] ^= 1 << (i % 8)
		if _, err := record.OpenSnapshot(c, d); !errors.Is(err, record.ErrSnapshot) {
			t.Fatalf("flip of bit %d: err = %v", i, err)
		}
	}
	for n := range len(data) {
		if _, err := record.OpenSnapshot(data[:n], d); !errors.Is(err, record.ErrSnapshot) {
			t.Fatalf("truncated to %d: err = %v", n, err)
		}
	}
}

func TestShape(t *testing.T) {
	type inner struct{ X float64 }
	type key struct {
		A      int64
		B      string
		hidden int
		In     []inner
	}
	for _, tc := range []struct {
		t    reflect.Type
		want string
	}{
		{reflect.TypeFor[record.Time](), "int64"},
		{reflect.TypeFor[key](), "{A:int64 B:string In:[]{X:float64}}"},
		{reflect.TypeFor[map[string]*[2]uint8](), "map[string]*[2]uint8"},
		{reflect.TypeFor[time.Time](), "bin(time.Time)"},
	} {
		if got := record.Shape(tc.t); got != tc.want {
			t.Errorf("Shape(%v) = %q, want %q", tc.t, got, tc.want)
		}
	}
}

func TestIsRefused(t *testing.T) {
	refusal := errors.Join(record.ErrRefused)
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"sentinel", record.ErrRefused, true},
		{"wrapped", errors.Join(errors.New("x"), record.ErrRefused), false},
		{"joined refusals", errors.Join(record.ErrRefused, refusal), true},
		{"other", errors.New("boom"), false},
		{"flushed", record.ErrFlushed, false},
	} {
		if got := record.IsRefused(tc.err); got != tc.want {
			t.Errorf("%s: IsRefused = %v, want %v", tc.name, got, tc.want)
		}
	}
}
