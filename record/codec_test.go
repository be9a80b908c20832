package record

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/rowtime/rowtime/record/codec"
)

// TestCodecErrorIsSnapshotError checks that the codec's error is the one
// snapshot error, so that errors.Is(err, ErrSnapshot) holds for a state
// codec's failure inside any operator's Restore.
func TestCodecErrorIsSnapshotError(t *testing.T) {
	if codec.ErrCodec != ErrSnapshot {
		t.Fatal("codec.ErrCodec and ErrSnapshot are different values")
	}
	var tm Time
	if _, err := codec.Read([]byte{}, &tm); !errors.Is(err, ErrSnapshot) {
		t.Fatalf("truncated time: %v, want ErrSnapshot", err)
	}
}

// TestTimeEncoding checks that a Time goes through the codec as the varint
// of its nanoseconds, the form snapshots have always held.
func TestTimeEncoding(t *testing.T) {
	for _, x := range []Time{0, 1, -1, MinTime, MaxTime, 1_700_000_000_000_000_000} {
		b, err := codec.Append(nil, x)
		if err != nil {
			t.Fatal(err)
		}
		want := binary.AppendVarint(nil, int64(x))
		if string(b) != string(want) {
			t.Fatalf("%d: codec.Append %x, want the varint %x", int64(x), b, want)
		}
		var y Time
		if n, err := codec.Read(b, &y); err != nil || n != len(b) || y != x {
			t.Fatalf("%d: codec.Read = %d, %d, %v", int64(x), y, n, err)
		}
	}
	if _, err := codec.Append[any](nil, Time(1)); err == nil {
		t.Fatal("codec.Append accepted an interface holding a Time")
	}
}
