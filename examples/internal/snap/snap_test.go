package snap

import (
	"bytes"
	"errors"
	"testing"
)

// blob is an operator whose state is a byte string.
type blob struct{ b []byte }

func (o *blob) AppendSnapshot(dst []byte) ([]byte, error) {
	if string(o.b) == "fail" {
		return dst, errors.New("cannot")
	}
	return append(dst, o.b...), nil
}

var errBad = errors.New("bad blob")

func (o *blob) Restore(data []byte) error {
	if bytes.Equal(data, []byte("bad")) {
		return errBad
	}
	o.b = bytes.Clone(data)
	return nil
}

func TestRoundTrip(t *testing.T) {
	a, b := &blob{[]byte("first")}, &blob{bytes.Repeat([]byte("x"), 300)}
	data, err := Append([]byte("keep"), 3, a, b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte("keep")) {
		t.Fatal("Append did not append")
	}
	ra, rb := &blob{}, &blob{}
	if err := Read(data[4:], 3, ra, rb); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ra.b, a.b) || !bytes.Equal(rb.b, b.b) {
		t.Fatalf("restored %q, %q", ra.b, rb.b)
	}
	if out, err := Append([]byte("keep"), 3, a, &blob{[]byte("fail")}); err == nil || string(out) != "keep" {
		t.Errorf("a failing part: %q, %v", out, err)
	}
}

func TestReadErrors(t *testing.T) {
	good, _ := Append(nil, 1, &blob{[]byte("ab")}, &blob{[]byte("cd")})
	bad, _ := Append(nil, 1, &blob{[]byte("ab")}, &blob{[]byte("bad")})
	for _, tc := range []struct {
		name string
		data []byte
		also error
	}{
		{"empty", nil, nil},
		{"version", append([]byte{2}, good[1:]...), nil},
		{"truncated", good[:len(good)-1], nil},
		{"missing part", good[:4], nil},
		{"trailing", append(bytes.Clone(good), 0), nil},
		{"part error", bad, errBad},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Read(tc.data, 1, &blob{}, &blob{})
			if !errors.Is(err, ErrSnapshot) || (tc.also != nil && !errors.Is(err, tc.also)) {
				t.Fatalf("got %v", err)
			}
		})
	}
}
