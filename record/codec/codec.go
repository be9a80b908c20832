package codec

import (
	"bytes"
	"encoding"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"sync"
)

// ErrCodec is the error wrapped by every error of [Append], [Read] and
// [Check]: a type the codec cannot encode, or input that is truncated or
// corrupt. It is the same value as record.ErrSnapshot, the error of
// snapshots that cannot be written or read, so errors.Is with either name
// matches; its message is therefore that of record.ErrSnapshot.
var ErrCodec = errors.New("record: snapshot")

// maxZeroSizeLen bounds the length of a decoded slice whose elements encode to
// zero bytes (such as []struct{}), so that a corrupt length cannot make
// Read loop for ever.
const maxZeroSizeLen = 1 << 24

// Append appends a compact, self-delimiting binary encoding of v to dst
// and returns the extended buffer. [Read] reads it back.
//
// The encoding, which is the same on every platform:
//   - bool: one byte, 0 or 1;
//   - signed integers (including record.Time and [time.Duration]): zig-zag varints;
//     unsigned integers: varints;
//   - float64: 8 bytes, float32: 4 bytes, little-endian IEEE 754 bits (NaN
//     payloads survive); complex numbers: two floats;
//   - strings: a varint length, then the bytes;
//   - slices (including []byte) and maps: a varint of length+1, where 0 means
//     nil, so nil and empty survive a round trip;
//   - arrays: their elements, with no length;
//   - structs: their fields in declaration order; a struct with an
//     unexported field (other than blank "_" padding) is refused, since the
//     field could not be read back, unless the type encodes itself;
//   - pointers: a byte 0 for nil, or 1 followed by the pointed-to value;
//   - maps: their entries sorted by the encoding of their keys, so equal maps
//     encode to equal bytes;
//   - any type implementing [encoding.BinaryAppender] or
//     [encoding.BinaryMarshaler] whose pointer implements
//     [encoding.BinaryUnmarshaler] (such as [time.Time]): a varint length, then
//     the bytes of its own encoding. This check comes before the kind, so a
//     type's own encoding always wins.
//
// Channels, functions, interfaces, unsafe pointers, structs with unexported
// fields, and types containing any of them give an error wrapping
// [ErrCodec], as does a type that can marshal itself but not unmarshal.
// An interface type is refused even when the values it holds could be
// encoded: the codec has no registry of concrete types to read them back
// into. [Check] tells whether a type encodes without writing anything.
//
// Common scalar types take a path without reflection; other types use
// encoders built once per type and cached, so encoding many values of one
// type costs no more than the reflection needed to walk the value.
func Append[T any](dst []byte, v T) ([]byte, error) {
	// Switching on a nil *T matches the static type, so an interface T
	// holding an int still takes the reflective path (and fails), and
	// nothing escapes.
	switch any((*T)(nil)).(type) {
	case *int64:
		return binary.AppendVarint(dst, any(v).(int64)), nil
	case *int:
		return binary.AppendVarint(dst, int64(any(v).(int))), nil
	case *int32:
		return binary.AppendVarint(dst, int64(any(v).(int32))), nil
	case *uint64:
		return binary.AppendUvarint(dst, any(v).(uint64)), nil
	case *uint32:
		return binary.AppendUvarint(dst, uint64(any(v).(uint32))), nil
	case *uint:
		return binary.AppendUvarint(dst, uint64(any(v).(uint))), nil
	case *float64:
		return binary.LittleEndian.AppendUint64(dst, math.Float64bits(any(v).(float64))), nil
	case *string:
		x := any(v).(string)
		dst = binary.AppendUvarint(dst, uint64(len(x)))
		return append(dst, x...), nil
	case *bool:
		return append(dst, b2u(any(v).(bool))), nil
	case *[]byte:
		return appendBytes(dst, any(v).([]byte)), nil
	}
	return appendReflect(dst, v)
}

// appendReflect copies v into a pooled *T, so that reflection sees an
// addressable value without v escaping to the heap on every call.
func appendReflect[T any](dst []byte, v T) ([]byte, error) {
	c, err := codecOf(reflect.TypeFor[T]())
	if err != nil {
		return dst, err
	}
	p, _ := c.pool.Get().(*T)
	if p == nil {
		p = new(T)
	}
	*p = v
	dst, err = c.enc(dst, reflect.ValueOf(p).Elem())
	var zero T
	*p = zero // drop references held by v
	c.pool.Put(p)
	return dst, err
}

// Read decodes one value written by [Append] from the start of
// src into *v and returns the number of bytes it used. Bytes after the value
// are left alone, so values can be read one after another.
//
// On error, which wraps [ErrCodec], *v is unchanged and n is 0. Lengths in the
// input are checked against the bytes that remain before anything is
// allocated, so corrupt input cannot make Read allocate much more than
// len(src).
func Read[T any](src []byte, v *T) (n int, err error) {
	switch p := any(v).(type) {
	case *int64:
		x, n, err := readVarint(src, 64)
		if err == nil {
			*p = x
		}
		return n, err
	case *int:
		x, n, err := readVarint(src, strconvIntSize)
		if err == nil {
			*p = int(x)
		}
		return n, err
	case *uint64:
		x, n, err := readUvarint(src, 64)
		if err == nil {
			*p = x
		}
		return n, err
	case *float64:
		if len(src) < 8 {
			return 0, errTruncated("float64")
		}
		*p = math.Float64frombits(binary.LittleEndian.Uint64(src))
		return 8, nil
	case *string:
		b, n, err := readLen(src, "string")
		if err == nil {
			*p = string(b)
		}
		return n, err
	}
	c, err := codecOf(reflect.TypeFor[T]())
	if err != nil {
		return 0, err
	}
	// Decode into a pooled zero T, so that *v changes only on success.
	p, _ := c.pool.Get().(*T)
	if p == nil {
		p = new(T)
	}
	n, err = c.dec(src, reflect.ValueOf(p).Elem())
	if err == nil {
		*v = *p
	}
	var zero T
	*p = zero
	c.pool.Put(p)
	if err != nil {
		return 0, err
	}
	return n, nil
}

// Check reports whether [Append] and [Read] can round-trip
// values of type T: nil if they can, otherwise an error wrapping
// [ErrCodec] that names the offending type and field (a func, a channel,
// an unsafe pointer, an interface, a struct with an unexported field, or a
// type that marshals itself but cannot unmarshal).
//
// Operators call it for each type they store at their first AppendSnapshot,
// so that a type that would not survive a round trip is refused before any
// state is written, while users who never snapshot may keep any type. The
// answer is cached per type.
func Check[T any]() error { return CheckType(reflect.TypeFor[T]()) }

// CheckType is [Check] for a type known only at run time. A nil
// type is refused.
func CheckType(t reflect.Type) error {
	if t == nil {
		return fmt.Errorf("%w: cannot encode a nil type", ErrCodec)
	}
	_, err := codecOf(t)
	return err
}

const strconvIntSize = 32 << (^uint(0) >> 63)

func b2u(b bool) byte {
	if b {
		return 1
	}
	return 0
}

func errTruncated(what string) error {
	return fmt.Errorf("%w: truncated input reading %s", ErrCodec, what)
}

func appendBytes(dst, b []byte) []byte {
	if b == nil {
		return append(dst, 0)
	}
	dst = binary.AppendUvarint(dst, uint64(len(b))+1)
	return append(dst, b...)
}

// readVarint reads a zig-zag varint that must fit in bits bits.
func readVarint(src []byte, bits int) (int64, int, error) {
	x, n := binary.Varint(src)
	if n == 0 {
		return 0, 0, errTruncated("varint")
	}
	if n < 0 {
		return 0, 0, fmt.Errorf("%w: varint overflows 64 bits", ErrCodec)
	}
	if bits < 64 {
		if lim := int64(1) << (bits - 1); x < -lim || x >= lim {
			return 0, 0, fmt.Errorf("%w: %d overflows int%d", ErrCodec, x, bits)
		}
	}
	return x, n, nil
}

// readUvarint reads a varint that must fit in bits bits.
func readUvarint(src []byte, bits int) (uint64, int, error) {
	x, n := binary.Uvarint(src)
	if n == 0 {
		return 0, 0, errTruncated("varint")
	}
	if n < 0 {
		return 0, 0, fmt.Errorf("%w: varint overflows 64 bits", ErrCodec)
	}
	if bits < 64 && x>>bits != 0 {
		return 0, 0, fmt.Errorf("%w: %d overflows uint%d", ErrCodec, x, bits)
	}
	return x, n, nil
}

// readLen reads a varint length and that many bytes. The returned slice
// aliases src.
func readLen(src []byte, what string) ([]byte, int, error) {
	l, n := binary.Uvarint(src)
	if n <= 0 {
		return nil, 0, errTruncated(what + " length")
	}
	if l > uint64(len(src)-n) {
		return nil, 0, errTruncated(what)
	}
	end := n + int(l)
	return src[n:end:end], end, nil
}

// readCount reads the length+1 prefix of a slice or map, and checks that
// count elements of at least minSize bytes each can fit in what remains.
// It returns count -1 for nil.
func readCount(src []byte, minSize int, what string) (count, n int, err error) {
	l, n := binary.Uvarint(src)
	if n <= 0 {
		return 0, 0, errTruncated(what + " length")
	}
	if l == 0 {
		return -1, n, nil
	}
	l--
	rest := uint64(len(src) - n)
	if minSize > 0 && l > rest/uint64(minSize) || minSize == 0 && l > maxZeroSizeLen {
		return 0, 0, errTruncated(what)
	}
	return int(l), n, nil
}

type (
	encFunc func(dst []byte, v reflect.Value) ([]byte, error)
	// decFunc decodes into v, which is settable and holds the zero value.
	decFunc func(src []byte, v reflect.Value) (int, error)
)

// A codec is the cached encoder and decoder of one type.
type codec struct {
	enc     encFunc
	dec     decFunc
	minSize int // fewest bytes any value of the type encodes to
	err     error
	pool    sync.Pool // of *T, zeroed, for Append and Read
}

var (
	codecs  sync.Map // reflect.Type -> *codec
	buildMu sync.Mutex
)

func codecOf(t reflect.Type) (*codec, error) {
	if c, ok := codecs.Load(t); ok {
		c := c.(*codec)
		return c, c.err
	}
	buildMu.Lock()
	defer buildMu.Unlock()
	if c, ok := codecs.Load(t); ok {
		c := c.(*codec)
		return c, c.err
	}
	b := builder{building: make(map[reflect.Type]*codec)}
	c := b.build(t)
	if c.err != nil {
		// A type that cannot be encoded is remembered as such; types
		// built on the way that can be encoded are still useful.
		codecs.Store(t, c)
		return c, c.err
	}
	for t, c := range b.building {
		codecs.Store(t, c)
	}
	return c, nil
}

type builder struct {
	building map[reflect.Type]*codec
}

var (
	appenderType    = reflect.TypeFor[encoding.BinaryAppender]()
	marshalerType   = reflect.TypeFor[encoding.BinaryMarshaler]()
	unmarshalerType = reflect.TypeFor[encoding.BinaryUnmarshaler]()
)

func (b *builder) build(t reflect.Type) *codec {
	if c, ok := b.building[t]; ok {
		return c // recursive type: filled in by the time it is used
	}
	if c, ok := codecs.Load(t); ok {
		return c.(*codec)
	}
	c := &codec{}
	b.building[t] = c
	b.fill(c, t)
	if c.err != nil {
		delete(b.building, t)
	}
	return c
}

func unsupported(t reflect.Type, why string) error {
	return fmt.Errorf("%w: cannot encode %v: %s", ErrCodec, t, why)
}

func (b *builder) fill(c *codec, t reflect.Type) {
	if t.Kind() != reflect.Interface && t.Kind() != reflect.Pointer && implementsMarshal(t) {
		if !reflect.PointerTo(t).Implements(unmarshalerType) {
			c.err = unsupported(t, "it marshals itself but *"+t.String()+" does not implement encoding.BinaryUnmarshaler")
			return
		}
		c.enc, c.dec, c.minSize = marshalEnc(t), marshalDec(t), 1
		return
	}
	switch t.Kind() {
	case reflect.Bool:
		c.minSize = 1
		c.enc = func(dst []byte, v reflect.Value) ([]byte, error) { return append(dst, b2u(v.Bool())), nil }
		c.dec = func(src []byte, v reflect.Value) (int, error) {
			if len(src) == 0 {
				return 0, errTruncated("bool")
			}
			if src[0] > 1 {
				return 0, fmt.Errorf("%w: bad bool byte %#x", ErrCodec, src[0])
			}
			v.SetBool(src[0] == 1)
			return 1, nil
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		bits := t.Bits()
		c.minSize = 1
		c.enc = func(dst []byte, v reflect.Value) ([]byte, error) { return binary.AppendVarint(dst, v.Int()), nil }
		c.dec = func(src []byte, v reflect.Value) (int, error) {
			x, n, err := readVarint(src, bits)
			if err != nil {
				return 0, err
			}
			v.SetInt(x)
			return n, nil
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		bits := t.Bits()
		c.minSize = 1
		c.enc = func(dst []byte, v reflect.Value) ([]byte, error) { return binary.AppendUvarint(dst, v.Uint()), nil }
		c.dec = func(src []byte, v reflect.Value) (int, error) {
			x, n, err := readUvarint(src, bits)
			if err != nil {
				return 0, err
			}
			v.SetUint(x)
			return n, nil
		}
	case reflect.Float32:
		c.minSize = 4
		c.enc = func(dst []byte, v reflect.Value) ([]byte, error) {
			return binary.LittleEndian.AppendUint32(dst, math.Float32bits(float32(v.Float()))), nil
		}
		c.dec = func(src []byte, v reflect.Value) (int, error) {
			if len(src) < 4 {
				return 0, errTruncated("float32")
			}
			v.SetFloat(float64(math.Float32frombits(binary.LittleEndian.Uint32(src))))
			return 4, nil
		}
	case reflect.Float64:
		c.minSize = 8
		c.enc = func(dst []byte, v reflect.Value) ([]byte, error) {
			return binary.LittleEndian.AppendUint64(dst, math.Float64bits(v.Float())), nil
		}
		c.dec = func(src []byte, v reflect.Value) (int, error) {
			if len(src) < 8 {
				return 0, errTruncated("float64")
			}
			v.SetFloat(math.Float64frombits(binary.LittleEndian.Uint64(src)))
			return 8, nil
		}
	case reflect.Complex64:
		c.minSize = 8
		c.enc = func(dst []byte, v reflect.Value) ([]byte, error) {
			x := v.Complex()
			dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(float32(real(x))))
			return binary.LittleEndian.AppendUint32(dst, math.Float32bits(float32(imag(x)))), nil
		}
		c.dec = func(src []byte, v reflect.Value) (int, error) {
			if len(src) < 8 {
				return 0, errTruncated("complex64")
			}
			re := math.Float32frombits(binary.LittleEndian.Uint32(src))
			im := math.Float32frombits(binary.LittleEndian.Uint32(src[4:]))
			v.SetComplex(complex(float64(re), float64(im)))
			return 8, nil
		}
	case reflect.Complex128:
		c.minSize = 16
		c.enc = func(dst []byte, v reflect.Value) ([]byte, error) {
			x := v.Complex()
			dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(real(x)))
			return binary.LittleEndian.AppendUint64(dst, math.Float64bits(imag(x))), nil
		}
		c.dec = func(src []byte, v reflect.Value) (int, error) {
			if len(src) < 16 {
				return 0, errTruncated("complex128")
			}
			re := math.Float64frombits(binary.LittleEndian.Uint64(src))
			im := math.Float64frombits(binary.LittleEndian.Uint64(src[8:]))
			v.SetComplex(complex(re, im))
			return 16, nil
		}
	case reflect.String:
		c.minSize = 1
		c.enc = func(dst []byte, v reflect.Value) ([]byte, error) {
			s := v.String()
			dst = binary.AppendUvarint(dst, uint64(len(s)))
			return append(dst, s...), nil
		}
		c.dec = func(src []byte, v reflect.Value) (int, error) {
			b, n, err := readLen(src, "string")
			if err != nil {
				return 0, err
			}
			v.SetString(string(b))
			return n, nil
		}
	case reflect.Slice:
		b.slice(c, t)
	case reflect.Array:
		b.array(c, t)
	case reflect.Struct:
		b.structure(c, t)
	case reflect.Pointer:
		b.pointer(c, t)
	case reflect.Map:
		b.mapping(c, t)
	default: // Chan, Func, Interface, UnsafePointer
		c.err = unsupported(t, t.Kind().String()+" values have no encoding")
	}
}

func implementsMarshal(t reflect.Type) bool {
	pt := reflect.PointerTo(t)
	return t.Implements(appenderType) || t.Implements(marshalerType) ||
		pt.Implements(appenderType) || pt.Implements(marshalerType)
}

// marshalEnc calls the type's own AppendBinary or MarshalBinary, and writes
// the result after its varint length.
func marshalEnc(t reflect.Type) encFunc {
	return func(dst []byte, v reflect.Value) ([]byte, error) {
		if !v.CanAddr() {
			p := reflect.New(t)
			p.Elem().Set(v)
			v = p.Elem()
		}
		var x any
		if t.Implements(appenderType) || t.Implements(marshalerType) {
			x = v.Interface()
		} else {
			x = v.Addr().Interface()
		}
		if a, ok := x.(encoding.BinaryAppender); ok {
			// Append after a one-byte length guess, then fix the prefix.
			start := len(dst)
			dst = append(dst, 0)
			out, err := a.AppendBinary(dst)
			if err != nil {
				return dst[:start], fmt.Errorf("%w: %v: %w", ErrCodec, t, err)
			}
			l := len(out) - start - 1
			if l < 0x80 {
				out[start] = byte(l)
				return out, nil
			}
			var pre [binary.MaxVarintLen64]byte
			k := binary.PutUvarint(pre[:], uint64(l))
			out = append(out, pre[:k-1]...)
			copy(out[start+k:], out[start+1:start+1+l])
			copy(out[start:], pre[:k])
			return out, nil
		}
		b, err := x.(encoding.BinaryMarshaler).MarshalBinary()
		if err != nil {
			return dst, fmt.Errorf("%w: %v: %w", ErrCodec, t, err)
		}
		dst = binary.AppendUvarint(dst, uint64(len(b)))
		return append(dst, b...), nil
	}
}

func marshalDec(t reflect.Type) decFunc {
	return func(src []byte, v reflect.Value) (int, error) {
		b, n, err := readLen(src, t.String())
		if err != nil {
			return 0, err
		}
		p := reflect.New(t)
		if err := p.Interface().(encoding.BinaryUnmarshaler).UnmarshalBinary(b); err != nil {
			return 0, fmt.Errorf("%w: %v: %w", ErrCodec, t, err)
		}
		v.Set(p.Elem())
		return n, nil
	}
}

func (b *builder) slice(c *codec, t reflect.Type) {
	c.minSize = 1
	et := t.Elem()
	if et.Kind() == reflect.Uint8 && !implementsMarshal(et) {
		c.enc = func(dst []byte, v reflect.Value) ([]byte, error) {
			if v.IsNil() {
				return append(dst, 0), nil
			}
			return appendBytes(dst, v.Bytes()), nil
		}
		c.dec = func(src []byte, v reflect.Value) (int, error) {
			l, n, err := readCount(src, 1, "[]byte")
			if err != nil || l < 0 {
				return n, err
			}
			s := reflect.MakeSlice(t, l, l)
			copy(s.Bytes(), src[n:n+l])
			v.Set(s)
			return n + l, nil
		}
		return
	}
	ec := b.build(et)
	if ec.err != nil {
		c.err = ec.err
		return
	}
	c.enc = func(dst []byte, v reflect.Value) ([]byte, error) {
		if v.IsNil() {
			return append(dst, 0), nil
		}
		l := v.Len()
		dst = binary.AppendUvarint(dst, uint64(l)+1)
		var err error
		for i := range l {
			if dst, err = ec.enc(dst, v.Index(i)); err != nil {
				return dst, err
			}
		}
		return dst, nil
	}
	c.dec = func(src []byte, v reflect.Value) (int, error) {
		l, n, err := readCount(src, ec.minSize, t.String())
		if err != nil || l < 0 {
			return n, err
		}
		s := reflect.MakeSlice(t, l, l)
		for i := range l {
			m, err := ec.dec(src[n:], s.Index(i))
			if err != nil {
				return 0, err
			}
			n += m
		}
		v.Set(s)
		return n, nil
	}
}

func (b *builder) array(c *codec, t reflect.Type) {
	ec := b.build(t.Elem())
	if ec.err != nil {
		c.err = ec.err
		return
	}
	l := t.Len()
	c.minSize = l * ec.minSize
	c.enc = func(dst []byte, v reflect.Value) ([]byte, error) {
		var err error
		for i := range l {
			if dst, err = ec.enc(dst, v.Index(i)); err != nil {
				return dst, err
			}
		}
		return dst, nil
	}
	c.dec = func(src []byte, v reflect.Value) (int, error) {
		n := 0
		for i := range l {
			m, err := ec.dec(src[n:], v.Index(i))
			if err != nil {
				return 0, err
			}
			n += m
		}
		return n, nil
	}
}

func (b *builder) structure(c *codec, t reflect.Type) {
	type field struct {
		index int
		c     *codec
	}
	var fields []field
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			if f.Name == "_" { // blank padding holds no data
				continue
			}
			c.err = unsupported(t, "field "+f.Name+" is unexported and would not survive a round trip (implement encoding.BinaryAppender and encoding.BinaryUnmarshaler to encode it)")
			return
		}
		fc := b.build(f.Type)
		if fc.err != nil {
			c.err = fmt.Errorf("field %s: %w", f.Name, fc.err)
			return
		}
		fields = append(fields, field{i, fc})
		c.minSize += fc.minSize
	}
	c.enc = func(dst []byte, v reflect.Value) ([]byte, error) {
		var err error
		for _, f := range fields {
			if dst, err = f.c.enc(dst, v.Field(f.index)); err != nil {
				return dst, err
			}
		}
		return dst, nil
	}
	c.dec = func(src []byte, v reflect.Value) (int, error) {
		n := 0
		for _, f := range fields {
			m, err := f.c.dec(src[n:], v.Field(f.index))
			if err != nil {
				return 0, err
			}
			n += m
		}
		return n, nil
	}
}

func (b *builder) pointer(c *codec, t reflect.Type) {
	ec := b.build(t.Elem())
	if ec.err != nil {
		c.err = ec.err
		return
	}
	c.minSize = 1
	c.enc = func(dst []byte, v reflect.Value) ([]byte, error) {
		if v.IsNil() {
			return append(dst, 0), nil
		}
		return ec.enc(append(dst, 1), v.Elem())
	}
	c.dec = func(src []byte, v reflect.Value) (int, error) {
		if len(src) == 0 {
			return 0, errTruncated("pointer")
		}
		switch src[0] {
		case 0:
			return 1, nil
		case 1:
		default:
			return 0, fmt.Errorf("%w: bad pointer byte %#x", ErrCodec, src[0])
		}
		p := reflect.New(t.Elem())
		n, err := ec.dec(src[1:], p.Elem())
		if err != nil {
			return 0, err
		}
		v.Set(p)
		return n + 1, nil
	}
}

func (b *builder) mapping(c *codec, t reflect.Type) {
	kc, vc := b.build(t.Key()), b.build(t.Elem())
	if kc.err != nil {
		c.err = kc.err
		return
	}
	if vc.err != nil {
		c.err = vc.err
		return
	}
	c.minSize = 1
	kt, et := t.Key(), t.Elem()
	c.enc = func(dst []byte, v reflect.Value) ([]byte, error) {
		if v.IsNil() {
			return append(dst, 0), nil
		}
		l := v.Len()
		dst = binary.AppendUvarint(dst, uint64(l)+1)
		if l == 0 {
			return dst, nil
		}
		// Encode the entries in a scratch buffer, then copy them out in
		// key-byte order so the output does not depend on map iteration.
		type entry struct{ lo, mid, hi int }
		var scratch []byte
		entries := make([]entry, 0, l)
		k, e := reflect.New(kt).Elem(), reflect.New(et).Elem()
		it := v.MapRange()
		var err error
		for it.Next() {
			k.SetIterKey(it)
			e.SetIterValue(it)
			lo := len(scratch)
			if scratch, err = kc.enc(scratch, k); err != nil {
				return dst, err
			}
			mid := len(scratch)
			if scratch, err = vc.enc(scratch, e); err != nil {
				return dst, err
			}
			entries = append(entries, entry{lo, mid, len(scratch)})
		}
		slices.SortFunc(entries, func(x, y entry) int {
			return bytes.Compare(scratch[x.lo:x.mid], scratch[y.lo:y.mid])
		})
		dst = slices.Grow(dst, len(scratch))
		for _, x := range entries {
			dst = append(dst, scratch[x.lo:x.hi]...)
		}
		return dst, nil
	}
	c.dec = func(src []byte, v reflect.Value) (int, error) {
		l, n, err := readCount(src, kc.minSize+vc.minSize, t.String())
		if err != nil || l < 0 {
			return n, err
		}
		m := reflect.MakeMapWithSize(t, l)
		for range l {
			k := reflect.New(kt).Elem()
			kn, err := kc.dec(src[n:], k)
			if err != nil {
				return 0, err
			}
			n += kn
			e := reflect.New(et).Elem()
			en, err := vc.dec(src[n:], e)
			if err != nil {
				return 0, err
			}
			n += en
			m.SetMapIndex(k, e)
		}
		v.Set(m)
		return n, nil
	}
}
