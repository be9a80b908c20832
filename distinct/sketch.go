package distinct

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"unsafe"

	"github.com/axiomhq/hyperloglog"

	"github.com/rowtime/rowtime/record"
)

// Defaults and limits of a Sketch's configuration.
const (
	DefaultPrecision = 14     // 2^14 registers, 16 KiB, standard error 0.81%
	DefaultThreshold = 10_000 // KDA's promise: exact up to 10,000 distinct items
	MinPrecision     = 4
	MaxPrecision     = 18
	MaxThreshold     = math.MaxInt32
)

// Errors returned by the package, wrapped with detail; test them with
// errors.Is.
var (
	// ErrInvalid is returned by constructors given an invalid parameter.
	ErrInvalid = errors.New("distinct: invalid parameter")
	// ErrMismatch is wrapped when restoring state built with other
	// parameters than the receiver's. It is record.ErrSnapshot, the one
	// error of unreadable or mismatched state.
	//
	// Deprecated: test for record.ErrSnapshot; this name stays so that
	// errors.Is with it keeps working.
	ErrMismatch = record.ErrSnapshot
	// ErrPrecision is returned by Merge when the two sketches have different
	// precisions: their registers do not line up, so they cannot be
	// combined. It wraps ErrMismatch.
	ErrPrecision error = precisionErr{}
	// ErrCorrupt is wrapped when decoding data that is truncated, of an
	// unknown version or otherwise not an encoding this package wrote. It
	// is record.ErrSnapshot.
	//
	// Deprecated: test for record.ErrSnapshot; this name stays so that
	// errors.Is with it keeps working.
	ErrCorrupt = record.ErrSnapshot
)

type precisionErr struct{}

func (precisionErr) Error() string { return "distinct: different precisions" }
func (precisionErr) Unwrap() error { return ErrMismatch }

// Options configures a Sketch. A nil *Options, like the zero Options, means
// the defaults.
type Options struct {
	// Precision is the HyperLogLog precision p, from 4 to 18: the sketch has
	// 2^p one-byte registers and a standard error of about 1.04/√(2^p)
	// (0.81% at 14, 0.41% at 16). 0 means DefaultPrecision, 14.
	Precision int

	// Threshold is the largest number of distinct items counted exactly.
	// The sketch holds their 64-bit hashes (11 to 22 bytes an item) until it
	// would hold more, then switches to HyperLogLog for good. 0 means
	// DefaultThreshold, 10,000; at most MaxThreshold.
	Threshold int
}

// config returns the precision and threshold o describes, or an error
// wrapping ErrInvalid.
func (o *Options) config() (p uint8, limit int32, err error) {
	p, limit = DefaultPrecision, DefaultThreshold
	if o == nil {
		return p, limit, nil
	}
	switch {
	case o.Precision == 0:
	case o.Precision < MinPrecision || o.Precision > MaxPrecision:
		return 0, 0, fmt.Errorf("%w: precision %d outside [%d, %d]", ErrInvalid, o.Precision, MinPrecision, MaxPrecision)
	default:
		p = uint8(o.Precision)
	}
	switch {
	case o.Threshold == 0:
	case o.Threshold < 0 || o.Threshold > MaxThreshold:
		return 0, 0, fmt.Errorf("%w: threshold %d outside [0, %d]", ErrInvalid, o.Threshold, MaxThreshold)
	default:
		limit = int32(o.Threshold)
	}
	return p, limit, nil
}

// Sketch counts distinct items: exactly, as a set of their 64-bit hashes,
// while it holds at most a threshold of them, and from then on with a dense
// HyperLogLog sketch (github.com/axiomhq/hyperloglog) fed the same hashes.
//
// Below the threshold the count is exact but for collisions of 64-bit
// hashes (for 10,000 items, a chance of about 3·10⁻¹²). Above it, the
// estimate has a relative standard error of about 1.04/√(2^precision).
// The switch depends only on the set of hashes inserted, not on their
// order, and HyperLogLog registers are order-free too, so merging partial
// sketches gives the very state of one sketch fed everything.
//
// Items are added by hash: [Sketch.InsertHash] with [Hash] of a string,
// []byte or integer (or any well-mixed 64-bit hash of your own), or
// [Sketch.Insert] for bytes. The estimate is computed when asked for and
// cached until the next insert or merge: at precision 14 it reads all 16,384
// registers (about 0.7 ms), so ask once per window, not per record.
//
// The zero Sketch is empty and ready to use with the default options. Its
// precision is settled at the first insert; a zero Sketch that is merged
// into before any insert adopts the other sketch's precision and threshold.
// A Sketch must not be copied once used, since copies would share storage:
// use [Sketch.Clone]. It is not safe for concurrent use.
type Sketch struct {
	p     uint8   // precision; 0 until the zero Sketch is first used
	fresh bool    // est holds the current estimate
	limit int32   // threshold
	est   uint64  // cached HLL estimate
	exact hashSet // exact phase
	hll   *hyperloglog.Sketch
	spare *hyperloglog.Sketch // registers kept by Reset for reuse
}

// New returns an empty Sketch configured by opts (nil means the defaults).
// It returns an error wrapping ErrInvalid for a precision outside 4–18 or
// a threshold that is negative or above MaxThreshold.
func New(opts *Options) (*Sketch, error) {
	p, limit, err := opts.config()
	if err != nil {
		return nil, err
	}
	return &Sketch{p: p, limit: limit}, nil
}

// Precision returns the HyperLogLog precision.
func (s *Sketch) Precision() int {
	if s.p == 0 {
		return DefaultPrecision
	}
	return int(s.p)
}

// Threshold returns the largest number of distinct items counted exactly.
func (s *Sketch) Threshold() int {
	if s.p == 0 {
		return DefaultThreshold
	}
	return int(s.limit)
}

// Exact reports whether the sketch still counts exactly, that is whether it
// has never held more than its threshold of distinct items.
func (s *Sketch) Exact() bool { return s.hll == nil }

// InsertHash adds the item whose 64-bit hash is h. The hash must be well
// mixed (uniform bits), as [Hash] gives; HyperLogLog reads its top bits as a
// register index and its leading zeros as the estimate.
func (s *Sketch) InsertHash(h uint64) {
	s.fresh = false
	if s.hll != nil {
		s.hll.InsertHash(h)
		return
	}
	s.insertExact(h)
}

// Insert adds the item b, hashed with [HashBytes].
func (s *Sketch) Insert(b []byte) { s.InsertHash(HashBytes(b)) }

func (s *Sketch) insertExact(h uint64) {
	if s.p == 0 {
		s.p, s.limit = DefaultPrecision, DefaultThreshold
	}
	if s.exact.add(h) && s.exact.len() > int(s.limit) {
		s.toHLL()
	}
}

// toHLL moves the exact phase's hashes into HyperLogLog registers and drops
// the exact set.
func (s *Sketch) toHLL() {
	h := s.spare
	s.spare = nil
	if h == nil {
		h = newHLL(s.p)
	}
	s.exact.each(h.InsertHash)
	s.hll = h
	s.exact = hashSet{}
	s.fresh = false
}

func newHLL(p uint8) *hyperloglog.Sketch {
	h, err := hyperloglog.NewSketch(p, false)
	if err != nil { // p is checked wherever it is set
		panic(fmt.Sprintf("distinct: precision %d: %v", p, err))
	}
	return h
}

// Estimate returns the number of distinct items inserted: exact while
// [Sketch.Exact] is true, the HyperLogLog estimate afterwards. The estimate
// is cached until the sketch next changes.
func (s *Sketch) Estimate() uint64 {
	if s.hll == nil {
		return uint64(s.exact.len())
	}
	if !s.fresh {
		s.est, s.fresh = s.hll.Estimate(), true
	}
	return s.est
}

// Merge adds the items of other to s, so that s counts the union of the
// two. A nil or zero other is empty. A zero s adopts other's precision and
// threshold; otherwise s keeps its threshold, and a union above it moves s
// to HyperLogLog. Merging sketches of different precisions returns an error
// wrapping ErrPrecision and leaves s unchanged. other is not modified.
func (s *Sketch) Merge(other *Sketch) error {
	if other == nil || other == s || other.p == 0 {
		return nil
	}
	if s.p == 0 {
		s.p, s.limit = other.p, other.limit
	}
	if s.p != other.p {
		return fmt.Errorf("%w: %d and %d", ErrPrecision, s.p, other.p)
	}
	s.fresh = false
	switch {
	case s.hll != nil && other.hll != nil:
		if err := s.hll.Merge(other.hll); err != nil { // equal precisions: cannot fail
			panic(fmt.Sprintf("distinct: merge: %v", err))
		}
	case other.hll != nil:
		h := other.hll.Clone()
		s.exact.each(h.InsertHash)
		s.hll, s.exact = h, hashSet{}
	case s.hll != nil:
		other.exact.each(s.hll.InsertHash)
	default:
		other.exact.each(s.InsertHash)
	}
	return nil
}

// Clone returns a copy of s that shares no storage with it.
func (s *Sketch) Clone() *Sketch {
	c := &Sketch{p: s.p, limit: s.limit, fresh: s.fresh, est: s.est, exact: s.exact.clone()}
	if s.hll != nil {
		c.hll = s.hll.Clone()
	}
	return c
}

// Reset empties s and keeps its configuration and its storage, so a Sketch
// can be reused from window to window without allocating.
func (s *Sketch) Reset() {
	if s.hll != nil {
		s.hll.Reset()
		s.spare, s.hll = s.hll, nil
	}
	s.exact.reset()
	s.fresh, s.est = false, 0
}

// Size returns an estimate of the memory s holds, in bytes.
func (s *Sketch) Size() int {
	n := int(unsafe.Sizeof(*s)) + s.exact.bytes()
	for _, h := range [...]*hyperloglog.Sketch{s.hll, s.spare} {
		if h != nil {
			n += hllOverhead + 1<<s.p
		}
	}
	return n
}

// hllOverhead is the size of a hyperloglog.Sketch apart from its registers.
const hllOverhead = 72

// The binary encoding, version 1:
//
//	byte 0    version (1)
//	byte 1    precision p; 0 for a zero Sketch, and then nothing follows
//	uvarint   threshold, 1 to MaxThreshold
//	byte      phase: 0 exact, 1 HyperLogLog
//	exact:    uvarint n ≤ threshold, then n distinct hashes, 8 bytes each,
//	          little-endian, ascending
//	HLL:      hyperloglog's own dense encoding of p (8 + 2^p bytes)
//
// It is self-delimiting, so a Sketch can be appended to a larger buffer,
// and canonical: equal states encode to equal bytes.
const version = 1

// AppendBinary appends the binary encoding of s to dst. It implements
// encoding.BinaryAppender.
func (s *Sketch) AppendBinary(dst []byte) ([]byte, error) {
	dst = append(dst, version, s.p)
	if s.p == 0 {
		return dst, nil
	}
	dst = binary.AppendUvarint(dst, uint64(s.limit))
	if s.hll != nil {
		return s.hll.AppendBinary(append(dst, 1))
	}
	dst = append(dst, 0)
	dst = binary.AppendUvarint(dst, uint64(s.exact.len()))
	hs := make([]uint64, 0, s.exact.len())
	s.exact.each(func(h uint64) { hs = append(hs, h) })
	slices.Sort(hs)
	for _, h := range hs {
		dst = binary.LittleEndian.AppendUint64(dst, h)
	}
	return dst, nil
}

// MarshalBinary returns the binary encoding of s. It implements
// encoding.BinaryMarshaler.
func (s *Sketch) MarshalBinary() ([]byte, error) { return s.AppendBinary(nil) }

// UnmarshalBinary replaces s with the sketch encoded in data, which must
// hold exactly one encoding. It implements encoding.BinaryUnmarshaler. Data
// that is truncated, of another version or otherwise corrupt gives an error
// wrapping ErrCorrupt, and s is unchanged.
func (s *Sketch) UnmarshalBinary(data []byte) error {
	d, n, err := decode(data)
	if err != nil {
		return err
	}
	if n != len(data) {
		return fmt.Errorf("%w: %d bytes after the sketch", ErrCorrupt, len(data)-n)
	}
	*s = d
	return nil
}

// decode reads one encoding from the front of src and returns the sketch
// and the number of bytes it took.
func decode(src []byte) (Sketch, int, error) {
	var s Sketch
	if len(src) < 2 {
		return s, 0, fmt.Errorf("%w: truncated header", ErrCorrupt)
	}
	if src[0] != version {
		return s, 0, fmt.Errorf("%w: version %d, want %d", ErrCorrupt, src[0], version)
	}
	p := src[1]
	if p == 0 {
		return s, 2, nil
	}
	if p < MinPrecision || p > MaxPrecision {
		return s, 0, fmt.Errorf("%w: precision %d", ErrCorrupt, p)
	}
	off := 2
	limit, k := uvarint(src[off:])
	if k <= 0 {
		return s, 0, fmt.Errorf("%w: truncated threshold", ErrCorrupt)
	}
	if limit < 1 || limit > MaxThreshold {
		return s, 0, fmt.Errorf("%w: threshold %d", ErrCorrupt, limit)
	}
	off += k
	s.p, s.limit = p, int32(limit)
	if off >= len(src) {
		return s, 0, fmt.Errorf("%w: truncated phase", ErrCorrupt)
	}
	phase := src[off]
	off++
	switch phase {
	case 0:
		n, k := uvarint(src[off:])
		if k <= 0 {
			return s, 0, fmt.Errorf("%w: truncated or overlong item count", ErrCorrupt)
		}
		off += k
		if n > limit {
			return s, 0, fmt.Errorf("%w: %d exact items above threshold %d", ErrCorrupt, n, limit)
		}
		if n > uint64(len(src)-off)/8 {
			return s, 0, fmt.Errorf("%w: truncated: %d hashes need %d bytes, have %d", ErrCorrupt, n, 8*n, len(src)-off)
		}
		var prev uint64
		for i := range int(n) {
			h := binary.LittleEndian.Uint64(src[off:])
			off += 8
			if i > 0 && h <= prev {
				return s, 0, fmt.Errorf("%w: hashes not strictly ascending", ErrCorrupt)
			}
			prev = h
			s.exact.add(h)
		}
	case 1:
		size := 8 + 1<<p
		if len(src)-off < size {
			return s, 0, fmt.Errorf("%w: truncated: registers need %d bytes, have %d", ErrCorrupt, size, len(src)-off)
		}
		reg := src[off : off+size]
		if reg[1] != p || reg[3] != 0 {
			return s, 0, fmt.Errorf("%w: register header does not match precision %d, dense", ErrCorrupt, p)
		}
		h := new(hyperloglog.Sketch)
		if err := h.UnmarshalBinary(reg); err != nil {
			return s, 0, fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		s.hll = h
		off += size
	default:
		return s, 0, fmt.Errorf("%w: phase %d", ErrCorrupt, phase)
	}
	return s, off, nil
}

// uvarint is binary.Uvarint that also refuses overlong encodings (k ≤ 0),
// so that every value has one encoding.
func uvarint(b []byte) (uint64, int) {
	x, k := binary.Uvarint(b)
	if k > 0 && k != uvarintLen(x) {
		return 0, -k
	}
	return x, k
}

func uvarintLen(x uint64) int {
	n := 1
	for ; x >= 0x80; x >>= 7 {
		n++
	}
	return n
}
