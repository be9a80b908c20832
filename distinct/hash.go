package distinct

import (
	"encoding/binary"
	"reflect"
	"unsafe"

	metro "github.com/dgryski/go-metro"
)

// Item is the constraint on the values a distinct count hashes itself:
// strings, byte slices and integers, including named types built on them
// (type BidderID string). Only these kinds are hashed without allocation:
// a string or a []byte is hashed in place, an integer as its 8 bytes. Any
// other value (a struct, a float) is counted by hashing it yourself into a
// uint64 and passing that, or through a string or byte encoding of it.
//
// Values of one count are meant to share one type. Across types, equal
// bytes hash equally: "abc" and []byte("abc") are one item, and so are the
// int8 −1 and the int64 −1 (signed integers are sign-extended to 64 bits,
// unsigned ones zero-extended).
type Item interface {
	~string | ~[]byte |
		~int | ~int8 | ~int16 | ~int32 | ~int64 |
		~uint | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~uintptr
}

// seed is the MetroHash64 seed hyperloglog's own Insert uses, so that a
// Sketch's Insert(b) and hyperloglog's Insert(b) set the same registers.
const seed = 1337

// Hash returns the 64-bit MetroHash of v that a Sketch counts: the hash of
// the bytes of a string or []byte, or of the 8 little-endian bytes of an
// integer widened to 64 bits. It does not allocate.
func Hash[T Item](v T) uint64 { return hashOf(kindOf[T](), v) }

// HashBytes returns Hash(b) for a byte slice.
func HashBytes(b []byte) uint64 { return metro.Hash64(b, seed) }

// HashString returns Hash(s) for a string, without copying it.
func HashString(s string) uint64 {
	return metro.Hash64(unsafe.Slice(unsafe.StringData(s), len(s)), seed)
}

// HashUint64 returns Hash(x) for an integer widened to 64 bits.
func HashUint64(x uint64) uint64 {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], x)
	return metro.Hash64(b[:], seed)
}

// kind is the representation of an Item type, found once per type so that
// hashing a value is a branch on it and a read through unsafe.
type kind uint8

const (
	kindString kind = iota
	kindBytes
	kindInt8
	kindInt16
	kindInt32
	kindInt64
	kindUint8
	kindUint16
	kindUint32
	kindUint64
)

func kindOf[T Item]() kind {
	switch reflect.TypeFor[T]().Kind() {
	case reflect.String:
		return kindString
	case reflect.Slice:
		return kindBytes
	case reflect.Int8:
		return kindInt8
	case reflect.Int16:
		return kindInt16
	case reflect.Int32:
		return kindInt32
	case reflect.Int64:
		return kindInt64
	case reflect.Int:
		if unsafe.Sizeof(int(0)) == 4 {
			return kindInt32
		}
		return kindInt64
	case reflect.Uint8:
		return kindUint8
	case reflect.Uint16:
		return kindUint16
	case reflect.Uint32:
		return kindUint32
	case reflect.Uint, reflect.Uintptr:
		if unsafe.Sizeof(uint(0)) == 4 {
			return kindUint32
		}
		return kindUint64
	default: // reflect.Uint64: the Item constraint admits nothing else
		return kindUint64
	}
}

// hashOf hashes v, whose type has kind k. The Item constraint guarantees
// that T's underlying type is the one k names, which is what makes the
// pointer conversions below sound.
func hashOf[T Item](k kind, v T) uint64 {
	p := unsafe.Pointer(&v)
	switch k {
	case kindString:
		return HashString(*(*string)(p))
	case kindBytes:
		return metro.Hash64(*(*[]byte)(p), seed)
	case kindInt8:
		return HashUint64(uint64(int64(*(*int8)(p))))
	case kindInt16:
		return HashUint64(uint64(int64(*(*int16)(p))))
	case kindInt32:
		return HashUint64(uint64(int64(*(*int32)(p))))
	case kindInt64:
		return HashUint64(uint64(*(*int64)(p)))
	case kindUint8:
		return HashUint64(uint64(*(*uint8)(p)))
	case kindUint16:
		return HashUint64(uint64(*(*uint16)(p)))
	case kindUint32:
		return HashUint64(uint64(*(*uint32)(p)))
	default:
		return HashUint64(*(*uint64)(p))
	}
}
