package distinct

import (
	"bytes"
	"errors"
	"testing"
)

// codecSketches are sketches of every shape an encoding can take.
func codecSketches(t testing.TB) map[string]*Sketch {
	mk := func(opts *Options, items ...uint64) *Sketch {
		s, err := New(opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range items {
			s.InsertHash(HashUint64(x))
		}
		return s
	}
	used := new(Sketch)
	used.InsertHash(0) // the hash 0 is held apart from the table
	used.InsertHash(HashUint64(9))
	return map[string]*Sketch{
		"zero":        new(Sketch),
		"empty":       mk(&Options{Precision: 6, Threshold: 3}),
		"exact":       mk(nil, span(0, 300)...),
		"zero hash":   used,
		"hll p4":      mk(&Options{Precision: 4, Threshold: 3}, span(0, 100)...),
		"hll p14":     mk(&Options{Threshold: 1000}, span(0, 5000)...),
		"big thresh":  mk(&Options{Threshold: MaxThreshold}, span(0, 10)...),
		"threshold 1": mk(&Options{Threshold: 1}, 1),
	}
}

func TestBinaryRoundTrip(t *testing.T) {
	for name, s := range codecSketches(t) {
		t.Run(name, func(t *testing.T) {
			b, err := s.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			prefix := []byte("prefix")
			b2, err := s.AppendBinary(prefix)
			if err != nil || !bytes.Equal(b2[len(prefix):], b) || !bytes.Equal(b2[:len(prefix)], []byte("prefix")) {
				t.Fatalf("AppendBinary does not append the MarshalBinary encoding")
			}
			var d Sketch
			if err := d.UnmarshalBinary(b); err != nil {
				t.Fatal(err)
			}
			if d.Estimate() != s.Estimate() || d.Exact() != s.Exact() || d.Precision() != s.Precision() || d.Threshold() != s.Threshold() {
				t.Errorf("decoded: estimate %d exact %v p %d threshold %d; want %d %v %d %d",
					d.Estimate(), d.Exact(), d.Precision(), d.Threshold(), s.Estimate(), s.Exact(), s.Precision(), s.Threshold())
			}
			again, _ := d.MarshalBinary()
			if !bytes.Equal(again, b) {
				t.Errorf("re-encoding differs")
			}
			// The decoded sketch is independent and keeps working.
			d.InsertHash(HashUint64(1 << 60))
			if d.Estimate() < s.Estimate() {
				t.Errorf("estimate went down after an insert")
			}
			// Self-delimiting: it decodes from the front of a longer buffer.
			got, n, err := decode(append(bytes.Clone(b), 0xff, 0xee))
			if err != nil || n != len(b) || got.Estimate() != s.Estimate() {
				t.Errorf("decode from a longer buffer: n %d err %v", n, err)
			}
		})
	}
}

func TestUnmarshalCorrupt(t *testing.T) {
	good := codecSketches(t)
	exact, _ := good["exact"].MarshalBinary()
	hll, _ := good["hll p14"].MarshalBinary()
	mutate := func(b []byte, i int, v byte) []byte {
		c := bytes.Clone(b)
		c[i] = v
		return c
	}
	tests := map[string][]byte{
		"empty":                  nil,
		"one byte":               {version},
		"version 0":              mutate(exact, 0, 0),
		"version 2":              mutate(exact, 0, 2),
		"precision 3":            mutate(exact, 1, 3),
		"precision 19":           mutate(exact, 1, 19),
		"zero sketch with tail":  {version, 0, 0},
		"threshold 0":            {version, 14, 0, 0, 0},
		"overlong threshold":     {version, 14, 0x81, 0x00, 0, 0},
		"threshold above max":    {version, 14, 0x80, 0x80, 0x80, 0x80, 0x08, 0, 0},
		"missing phase":          {version, 14, 5},
		"phase 2":                {version, 14, 5, 2, 0},
		"count above threshold":  {version, 14, 1, 0, 2, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0},
		"missing count":          {version, 14, 5, 0},
		"overlong count":         {version, 14, 5, 0, 0x80, 0x00},
		"hashes not ascending":   {version, 14, 5, 0, 2, 2, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0},
		"duplicate hashes":       {version, 14, 5, 0, 2, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0},
		"trailing byte":          append(bytes.Clone(exact), 0),
		"hll register too big":   mutate(hll, len(hll)-1, 64),
		"hll wrong precision":    mutate(hll, 2+2+1+1, 12),
		"hll sparse flag":        mutate(hll, 2+2+1+3, 1),
		"hll wrong version":      mutate(hll, 2+2+1, 7),
		"hll register count":     mutate(hll, 2+2+1+4, 1),
		"hll trailing byte":      append(bytes.Clone(hll), 0),
		"exact truncated hashes": exact[:len(exact)-3],
	}
	for i := range len(hll) - 1 {
		if i%1000 == 0 || i < 20 {
			tests["hll cut at "+itoa(i)] = hll[:i]
		}
	}
	for i := range len(exact) {
		tests["exact cut at "+itoa(i)] = exact[:i]
	}
	for name, data := range tests {
		t.Run(name, func(t *testing.T) {
			s := good["exact"].Clone()
			before, _ := s.MarshalBinary()
			err := s.UnmarshalBinary(data)
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("UnmarshalBinary error = %v, want ErrCorrupt", err)
			}
			after, _ := s.MarshalBinary()
			if !bytes.Equal(before, after) {
				t.Errorf("failed UnmarshalBinary changed the receiver")
			}
		})
	}
}

func itoa(i int) string {
	var b []byte
	for {
		b = append([]byte{byte('0' + i%10)}, b...)
		if i /= 10; i == 0 {
			return string(b)
		}
	}
}

// FuzzUnmarshalBinary checks that any input either decodes into a sketch
// whose encoding is the input itself (the encoding is canonical) and which
// keeps working, or fails with ErrCorrupt and leaves the receiver unchanged.
func FuzzUnmarshalBinary(f *testing.F) {
	for _, s := range codecSketches(f) {
		b, err := s.MarshalBinary()
		if err != nil {
			f.Fatal(err)
		}
		// Small seeds only: the fuzzer minimizes every new input byte by
		// byte, and a 16 KiB register array makes that crawl.
		if len(b) <= 1024 {
			f.Add(b)
		}
	}
	f.Add([]byte{version, 14, 5, 0, 2, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		s := new(Sketch)
		s.InsertHash(HashUint64(42))
		before, _ := s.MarshalBinary()
		if err := s.UnmarshalBinary(data); err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			if after, _ := s.MarshalBinary(); !bytes.Equal(before, after) {
				t.Fatal("failed UnmarshalBinary changed the receiver")
			}
			return
		}
		again, err := s.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again, data) {
			t.Fatalf("decoded sketch re-encodes differently:\n in %x\nout %x", data, again)
		}
		e := s.Estimate()
		if s.Exact() && e > uint64(s.Threshold()) {
			t.Fatalf("exact sketch of %d items above threshold %d", e, s.Threshold())
		}
		s.InsertHash(HashUint64(7))
		if err := s.Merge(s.Clone()); err != nil {
			t.Fatal(err)
		}
		_ = s.Estimate()
	})
}
