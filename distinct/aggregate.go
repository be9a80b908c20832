package distinct

import (
	"fmt"
	"unsafe"

	"github.com/rowtime/rowtime/aggregate"
)

// Count returns the aggregate COUNT(DISTINCT item(r)) for package
// aggregate's contract, so that a distinct count runs in every window kind
// of package window, per key or not:
//
//	f, err := distinct.Count(func(b Bid) string { return b.Bidder }, nil)
//	op, err := window.Aggregate(window.Hop(time.Minute, 10*time.Second), key, f, nil)
//
// Its accumulator is a [Sketch] configured by opts (nil means the
// defaults): exact up to the threshold, HyperLogLog beyond it. The zero
// Sketch is the empty count and takes opts at its first record. Add hashes
// the item with [Hash] and does not allocate once the sketch has grown;
// Result computes the estimate, which is cached until the sketch changes.
// The Func is also an aggregate.StateCodec, writing a Sketch's binary
// encoding, and an aggregate.Sizer, so that window statistics count the
// sketches' registers and hash sets.
//
// Count returns an error wrapping ErrInvalid for a nil item function or
// invalid opts.
func Count[R any, T Item](item func(R) T, opts *Options) (aggregate.Func[R, Sketch, uint64], error) {
	if item == nil {
		return nil, fmt.Errorf("%w: nil item function", ErrInvalid)
	}
	p, limit, err := opts.config()
	if err != nil {
		return nil, err
	}
	return &counter[R, T]{item: item, kind: kindOf[T](), p: p, limit: limit}, nil
}

type counter[R any, T Item] struct {
	item  func(R) T
	kind  kind
	p     uint8
	limit int32
}

func (c *counter[R, T]) Add(a *Sketch, r R) {
	if a.p == 0 {
		a.p, a.limit = c.p, c.limit
	}
	a.InsertHash(hashOf(c.kind, c.item(r)))
}

// Merge folds src into dst. Accumulators of one Func share their precision,
// so Merge cannot fail; a precision mismatch means sketches of different
// Funcs were mixed, and Merge panics rather than drop them.
func (c *counter[R, T]) Merge(dst, src *Sketch) {
	if err := dst.Merge(src); err != nil {
		panic(err)
	}
}

func (c *counter[R, T]) Result(a *Sketch) uint64 { return a.Estimate() }

// StateSize returns the bytes a holds beyond the Sketch struct: its exact
// hash set or its HyperLogLog registers (see [Sketch.Size]).
func (c *counter[R, T]) StateSize(a *Sketch) int { return a.Size() - int(unsafe.Sizeof(*a)) }

func (c *counter[R, T]) AppendState(dst []byte, a *Sketch) ([]byte, error) {
	return a.AppendBinary(dst)
}

// ReadState decodes a Sketch from the front of src. A sketch of another
// precision or threshold than the Func's is an error wrapping ErrMismatch:
// restoring it would mix configurations (and make Merge fail).
func (c *counter[R, T]) ReadState(a *Sketch, src []byte) (int, error) {
	s, n, err := decode(src)
	if err != nil {
		return 0, err
	}
	if s.p != 0 && s.p != c.p {
		return 0, fmt.Errorf("%w: state of precision %d for a count of precision %d", ErrPrecision, s.p, c.p)
	}
	if s.p != 0 && s.limit != c.limit {
		return 0, fmt.Errorf("%w: state of threshold %d for a count of threshold %d", ErrMismatch, s.limit, c.limit)
	}
	*a = s
	return n, nil
}
