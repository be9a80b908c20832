package record

import (
	"errors"
	"testing"

	"github.com/rowtime/rowtime/record/codec"
)

// TestCodecErrorIsSnapshotError checks that the codec's error, under its
// old name here and its name in package codec, is the one snapshot error.
func TestCodecErrorIsSnapshotError(t *testing.T) {
	if ErrCodec != ErrSnapshot || codec.ErrCodec != ErrSnapshot {
		t.Fatal("ErrCodec and ErrSnapshot are different values")
	}
	_, err := ReadBinary([]byte{}, new(string))
	if !errors.Is(err, ErrSnapshot) || !errors.Is(err, codec.ErrCodec) {
		t.Fatalf("truncated input: %v, want ErrSnapshot", err)
	}
	var tm Time
	if _, err := ReadBinary([]byte{}, &tm); !errors.Is(err, ErrSnapshot) {
		t.Fatalf("truncated time: %v, want ErrSnapshot", err)
	}
	b, err := AppendBinary(nil, Time(-5))
	if err != nil {
		t.Fatal(err)
	}
	if n, err := ReadBinary(b, &tm); err != nil || n != len(b) || tm != -5 {
		t.Fatalf("ReadBinary(AppendBinary(-5)) = %d, %d, %v", tm, n, err)
	}
	if _, err := AppendBinary[any](nil, Time(1)); err == nil {
		t.Fatal("AppendBinary accepted an interface holding a Time")
	}
}

// TestTimeEncoding checks that AppendBinary's path for a Time writes the
// bytes codec.Append writes for it, so a snapshot reads back whichever of
// the two wrote it.
func TestTimeEncoding(t *testing.T) {
	for _, x := range []Time{0, 1, -1, MinTime, MaxTime, 1_700_000_000_000_000_000} {
		a, err1 := AppendBinary(nil, x)
		b, err2 := codec.Append(nil, x)
		if err1 != nil || err2 != nil || string(a) != string(b) {
			t.Fatalf("%d: AppendBinary %x %v, codec.Append %x %v", int64(x), a, err1, b, err2)
		}
		var y Time
		if n, err := codec.Read(a, &y); err != nil || n != len(a) || y != x {
			t.Fatalf("%d: codec.Read = %d, %d, %v", int64(x), y, n, err)
		}
	}
}
