package record

import (
	"encoding"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"reflect"
	"strconv"
	"strings"
)

// A Descriptor says what a snapshot stores: the operator's kind, the
// parameters that shape its state (the assigner, the aggregate, a sketch's
// precision, …) and the codec shape of every stored type (keys,
// accumulators, buffered records, results), plus an optional schema name
// the caller sets for types that change on purpose. A snapshot carries its
// descriptor, and restores only into an operator whose descriptor is the
// same, so a redeploy that changes a query fails loudly instead of reading
// old bytes as new state.
//
// Settings that only decide about records not yet seen (Delay, Lateness,
// limits) are not part of a descriptor: they may change between the writer
// and the reader of a snapshot.
//
// To deploy a query whose state differs, either discard the old state
// (start empty), or restore it into the old operator, and write a migration
// that feeds what it holds into the new one.
type Descriptor struct {
	kind    string
	names   []string
	values  []string
	encoded []byte // cached by encode
	fp      uint64 // cached by Fingerprint, when fpSet
	fpSet   bool
}

// NewDescriptor starts the descriptor of an operator kind, such as
// "window.Agg".
func NewDescriptor(kind string) *Descriptor { return &Descriptor{kind: kind} }

// Param adds a parameter that shapes the state, written with fmt's %v (so a
// time.Duration reads as "1m0s").
func (d *Descriptor) Param(name string, value any) *Descriptor {
	return d.add(name, fmt.Sprint(value))
}

// Type adds the codec shape of a stored type (see [Shape]).
func (d *Descriptor) Type(name string, t reflect.Type) *Descriptor {
	return d.add(name, Shape(t))
}

// Schema adds a caller's schema name, for a type that changes on purpose
// while keeping its shape: bump it and old snapshots are refused. An empty
// name adds nothing.
func (d *Descriptor) Schema(name string) *Descriptor {
	if name == "" {
		return d
	}
	return d.add("schema", name)
}

func (d *Descriptor) add(name, value string) *Descriptor {
	d.names = append(d.names, name)
	d.values = append(d.values, value)
	d.encoded, d.fpSet = nil, false
	return d
}

// String gives the descriptor in words: kind{name=value …}.
func (d *Descriptor) String() string {
	var b strings.Builder
	b.WriteString(d.kind)
	b.WriteByte('{')
	for i, n := range d.names {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(n)
		b.WriteByte('=')
		b.WriteString(d.values[i])
	}
	b.WriteByte('}')
	return b.String()
}

func (d *Descriptor) encode() []byte {
	if d.encoded != nil {
		return d.encoded
	}
	b := appendLen(nil, d.kind)
	b = binary.AppendUvarint(b, uint64(len(d.names)))
	for i, n := range d.names {
		b = appendLen(b, n)
		b = appendLen(b, d.values[i])
	}
	d.encoded = b
	return b
}

func decodeDescriptor(b []byte) (*Descriptor, error) {
	kind, n, err := readLen(b, "descriptor kind")
	if err != nil {
		return nil, err
	}
	b = b[n:]
	count, n, err := readUvarint(b, 16)
	if err != nil {
		return nil, err
	}
	b = b[n:]
	d := NewDescriptor(string(kind))
	for range count {
		name, n, err := readLen(b, "descriptor name")
		if err != nil {
			return nil, err
		}
		b = b[n:]
		value, n, err := readLen(b, "descriptor value")
		if err != nil {
			return nil, err
		}
		b = b[n:]
		d.add(string(name), string(value))
	}
	if len(b) != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the descriptor", ErrSnapshot, len(b))
	}
	return d, nil
}

// Fingerprint is a 64-bit FNV-1a hash of the descriptor's encoding.
func (d *Descriptor) Fingerprint() uint64 {
	if d.fpSet {
		return d.fp
	}
	// FNV-1a written out, as hash/fnv computes it, without allocating a
	// hash.Hash on every snapshot.
	h := uint64(fnvOffset64)
	for _, c := range d.encode() {
		h ^= uint64(c)
		h *= fnvPrime64
	}
	d.fp, d.fpSet = h, true
	return h
}

const (
	fnvOffset64 = 14695981039346656037
	fnvPrime64  = 1099511628211
)

// diff says in words how other (the writer) differs from d (the reader).
func (d *Descriptor) diff(other *Descriptor) string {
	var parts []string
	if d.kind != other.kind {
		parts = append(parts, fmt.Sprintf("written by %s, restoring into %s", other.kind, d.kind))
	}
	seen := make(map[string]bool)
	for i, n := range other.names {
		seen[n] = true
		j := indexOf(d.names, n)
		switch {
		case j < 0:
			parts = append(parts, fmt.Sprintf("%s is %s in the snapshot, absent here", n, other.values[i]))
		case d.values[j] != other.values[i]:
			parts = append(parts, fmt.Sprintf("%s is %s in the snapshot, %s here", n, other.values[i], d.values[j]))
		}
	}
	for j, n := range d.names {
		if !seen[n] {
			parts = append(parts, fmt.Sprintf("%s is %s here, absent in the snapshot", n, d.values[j]))
		}
	}
	if len(parts) == 0 {
		parts = append(parts, "entries in another order")
	}
	return strings.Join(parts, "; ")
}

// readLen reads a uvarint length and that many bytes, as appendLen writes
// them. The returned slice aliases src.
func readLen(src []byte, what string) ([]byte, int, error) {
	l, n := binary.Uvarint(src)
	if n <= 0 {
		return nil, 0, fmt.Errorf("%w: truncated input reading %s length", ErrSnapshot, what)
	}
	if l > uint64(len(src)-n) {
		return nil, 0, fmt.Errorf("%w: truncated input reading %s", ErrSnapshot, what)
	}
	end := n + int(l)
	return src[n:end:end], end, nil
}

// readUvarint reads a uvarint that must fit in bits bits.
func readUvarint(src []byte, bits int) (uint64, int, error) {
	x, n := binary.Uvarint(src)
	if n == 0 {
		return 0, 0, fmt.Errorf("%w: truncated input reading varint", ErrSnapshot)
	}
	if n < 0 {
		return 0, 0, fmt.Errorf("%w: varint overflows 64 bits", ErrSnapshot)
	}
	if bits < 64 && x>>bits != 0 {
		return 0, 0, fmt.Errorf("%w: %d overflows uint%d", ErrSnapshot, x, bits)
	}
	return x, n, nil
}

// appendLen appends a uvarint length and s, as readLen reads them.
func appendLen(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

// The envelope of a snapshot:
//
//	magic (3 bytes: 0xC5 'r' 't'), format version byte,
//	uvarint descriptor length, the descriptor, its 8-byte fingerprint,
//	the body,
//	CRC-32C (Castagnoli) of every byte before it, 4 bytes little-endian.
//
// Snapshots of earlier releases start with a small version byte, never
// 0xC5, so [IsLegacySnapshot] tells them apart.
const (
	envMagic0       = 0xC5
	envVersion      = 1
	envHeader       = 4
	envChecksumSize = 4
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// BeginSnapshot appends the head of a snapshot envelope for d to dst. The
// caller appends the body, then calls [EndSnapshot] with len(dst) as it was
// before BeginSnapshot.
func BeginSnapshot(dst []byte, d *Descriptor) []byte {
	dst = append(dst, envMagic0, 'r', 't', envVersion)
	enc := d.encode()
	dst = binary.AppendUvarint(dst, uint64(len(enc)))
	dst = append(dst, enc...)
	return binary.LittleEndian.AppendUint64(dst, d.Fingerprint())
}

// EndSnapshot appends the checksum of the envelope that starts at
// dst[start].
func EndSnapshot(dst []byte, start int) []byte {
	return binary.LittleEndian.AppendUint32(dst, crc32.Checksum(dst[start:], castagnoli))
}

// IsLegacySnapshot reports whether data was written without an envelope, by
// a release before descriptors and checksums: such data is read by the
// operator's reader for its old format.
func IsLegacySnapshot(data []byte) bool {
	return len(data) > 0 && data[0] != envMagic0
}

// OpenSnapshot checks the envelope of data, written by [BeginSnapshot] and
// [EndSnapshot], against d, and returns the body. The checksum is checked
// before anything is decoded. Every error wraps [ErrSnapshot]; a descriptor
// that differs from d gives an error that names both sides.
func OpenSnapshot(data []byte, d *Descriptor) ([]byte, error) {
	if len(data) < envHeader+1+8+envChecksumSize {
		return nil, fmt.Errorf("%w: %d bytes is too short for a snapshot", ErrSnapshot, len(data))
	}
	if data[0] != envMagic0 || data[1] != 'r' || data[2] != 't' {
		return nil, fmt.Errorf("%w: not a snapshot (bad magic)", ErrSnapshot)
	}
	if data[3] != envVersion {
		return nil, fmt.Errorf("%w: envelope version %d, this release reads %d", ErrSnapshot, data[3], envVersion)
	}
	end := len(data) - envChecksumSize
	if got, want := crc32.Checksum(data[:end], castagnoli), binary.LittleEndian.Uint32(data[end:]); got != want {
		return nil, fmt.Errorf("%w: checksum mismatch (corrupt or truncated data)", ErrSnapshot)
	}
	b := data[envHeader:end]
	desc, n, err := readLen(b, "snapshot descriptor")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSnapshot, err)
	}
	b = b[n:]
	if len(b) < 8 {
		return nil, fmt.Errorf("%w: truncated fingerprint", ErrSnapshot)
	}
	fp := binary.LittleEndian.Uint64(b)
	b = b[8:]
	if fp == d.Fingerprint() && string(desc) == string(d.encode()) {
		return b, nil
	}
	other, err := decodeDescriptor(desc)
	if err != nil {
		return nil, fmt.Errorf("%w: unreadable descriptor: %w", ErrSnapshot, err)
	}
	return nil, fmt.Errorf("%w: the snapshot was written by another operator: %s (snapshot: %s; here: %s)",
		ErrSnapshot, d.diff(other), other, d)
}

var (
	binaryAppender    = reflect.TypeFor[encoding.BinaryAppender]()
	binaryMarshaler   = reflect.TypeFor[encoding.BinaryMarshaler]()
	binaryUnmarshaler = reflect.TypeFor[encoding.BinaryUnmarshaler]()
)

// Shape describes how [codec.Append] stores a value of type t, in Go-like
// syntax over the codec's kinds: int64, string, []T, [N]T, map[K]V, *T,
// {Field:T …} for the exported fields of a struct, and bin(pkg.Name) for a
// type that encodes itself. Two types with the same shape store the same
// bytes for the same meaning: a named type and its underlying type agree
// (record.Time is int64), a field added to a type changes its shape.
func Shape(t reflect.Type) string {
	var b strings.Builder
	shape(&b, t, map[reflect.Type]bool{})
	return b.String()
}

func shape(b *strings.Builder, t reflect.Type, open map[reflect.Type]bool) {
	if t == nil {
		b.WriteString("nil")
		return
	}
	if (t.Implements(binaryAppender) || t.Implements(binaryMarshaler)) && reflect.PointerTo(t).Implements(binaryUnmarshaler) {
		b.WriteString("bin(" + t.PkgPath() + "." + t.Name() + ")")
		return
	}
	if open[t] { // a recursive type: name it instead of expanding again
		b.WriteString("rec(" + t.PkgPath() + "." + t.Name() + ")")
		return
	}
	switch t.Kind() {
	case reflect.Slice:
		open[t] = true
		b.WriteString("[]")
		shape(b, t.Elem(), open)
		delete(open, t)
	case reflect.Array:
		open[t] = true
		b.WriteString("[" + strconv.Itoa(t.Len()) + "]")
		shape(b, t.Elem(), open)
		delete(open, t)
	case reflect.Pointer:
		open[t] = true
		b.WriteString("*")
		shape(b, t.Elem(), open)
		delete(open, t)
	case reflect.Map:
		open[t] = true
		b.WriteString("map[")
		shape(b, t.Key(), open)
		b.WriteString("]")
		shape(b, t.Elem(), open)
		delete(open, t)
	case reflect.Struct:
		open[t] = true
		b.WriteString("{")
		first := true
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			if !first {
				b.WriteString(" ")
			}
			first = false
			b.WriteString(f.Name + ":")
			shape(b, f.Type, open)
		}
		b.WriteString("}")
		delete(open, t)
	default:
		b.WriteString(t.Kind().String())
	}
}
