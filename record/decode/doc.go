// Package decode turns Kinesis payloads into records: JSON (JSON lines, or
// objects one after another) with [NewJSON], and CSV lines as KDA's schema
// mapping read them with [NewCSV]. Each record is a [record.Of] of the
// caller's type T, its time read from a field in one of KDA's formats
// ([RFC3339], [ISO8601], [Seconds], [Millis], a [Layout] of the caller's)
// or stamped with the arrival time ([Arrival], KDA's ROWTIME):
//
//	dec, err := decode.NewJSON[Trade]("/detail/eventTime", decode.ISO8601)
//	...
//	recs, err = dec.AppendBatch(recs[:0], payloads)
//
// # Semantics
//
// A JSON record's value is what encoding/json.Unmarshal gives for the same
// bytes, and a record is rejected exactly when Unmarshal would reject it:
// names match case-insensitively with an exact match preferred, json tags
// (including "-" and ",string") and embedded structs apply, unknown fields
// are ignored, the last of duplicate keys wins, invalid UTF-8 becomes
// U+FFFD, nesting deeper than 10,000 levels is an error. Types with their
// own UnmarshalJSON or UnmarshalText, maps, interfaces, arrays and byte
// slices are decoded by encoding/json itself.
//
// # Errors
//
// A record that does not decode is skipped and reported as an *[Error]
// naming its payload, line and field, inside an [Errors]; the rest of the
// batch still decodes. After a record that is not valid JSON, decoding
// resumes at its matching bracket, or at the next line when it has none.
// Conversion errors of the time quote the text.
//
// # Cost
//
// Decoding is linear in the size of the payload, whatever it holds, and
// has no size limit. The decoder is specialised to T once, at
// construction: a single pass over the bytes fills T's fields and finds the
// time, and a record's strings share one allocation, the only one a flat
// record costs. Decoders hold no state after construction and are safe for
// concurrent use.
package decode
