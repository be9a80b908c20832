// Package table holds reference tables (KDA's reference data) and joins a
// stream of records with them.
//
// A [Table] is loaded once, from CSV with or without a header row
// ([ReadCSV]) or from JSON lines ([ReadJSONLines]), and is read-only after
// that. Its values are strings, trimmed of surrounding white space. Its key
// is typed: [StringKey] for a column as it is, [IntKey] for a column of
// integers, [KeyOf] for anything else, such as several columns in an array
// or a struct. The key is parsed once per row at load time, so a record
// looks its row up by a value of its own type, and a value that is not a
// key fails the load on its line rather than failing joins later. Only the
// key is typed, not every column: the key is what each join reads, while the
// other values are read, and parsed if need be, by the join function that
// knows what it wants of them.
//
// [Join] (inner: a record without a match is dropped, as SQL drops it) and
// [LeftJoin] (it is kept, with the zero [Row]) are operators of package
// record. Their join function may return an error: one that wraps
// record.ErrRefused refuses the record, any other fails the call.
//
// # Costs
//
// A table keeps every value in one string with an index of 4-byte offsets,
// plus one map entry from key to row number per row: about twice the size
// of its file for rows of 50 bytes. Loading stops at the first bad line. A
// look-up is one map access and does not allocate; a join adds the call of
// its key and join functions, and keeps no state, so a composed snapshot
// writes nothing for it.
package table
