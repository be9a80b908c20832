// Package codec is the compact binary encoding that rowtime's operators use
// for their snapshots: [Append] writes a value of (almost) any Go type,
// [Read] reads it back, and [Check] tells beforehand whether a type
// survives the round trip.
//
// The encoding is self-delimiting and the same on every platform: varints
// for integers, fixed-width IEEE 754 bits for floats, length-prefixed
// strings, slices and maps (maps sorted, so equal maps encode to equal
// bytes), struct fields in declaration order, and a type's own
// encoding.BinaryAppender or encoding.BinaryMarshaler where it has one. It
// carries no type information: the reader must know the type, which the
// snapshot envelope of package record checks (record.Descriptor).
//
// # Costs
//
// Common scalar types take a path without reflection. Other types use an
// encoder and decoder built once per type, on first use, and cached, so
// encoding many values of one type costs no more than the reflection needed
// to walk each value. Read checks every length against the bytes that remain
// before it allocates, so corrupt input cannot make it allocate much more
// than its length.
//
// Every error wraps [ErrCodec], which is the same value as
// record.ErrSnapshot.
package codec
