package kinesis

import (
	"bytes"
	"crypto/md5"
	"errors"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// ErrKPL is wrapped by the errors of a KPL aggregate that cannot be read:
// a bad checksum, a truncated or malformed protobuf message, a key index
// out of its table.
var ErrKPL = errors.New("kinesis: bad KPL aggregate")

// kplMagic starts every record the Kinesis Producer Library aggregates.
var kplMagic = []byte{0xF3, 0x89, 0x9A, 0xC2}

// IsAggregated reports whether data is a KPL aggregate: it starts with the
// KPL's magic bytes, F3 89 9A C2, which no JSON or gzip payload does.
func IsAggregated(data []byte) bool { return bytes.HasPrefix(data, kplMagic) }

// A UserRecord is one record of a KPL aggregate: its index in the
// aggregate (the KCL's sub-sequence number), its keys from the
// aggregate's tables and its data, which aliases the aggregate. Err is set
// for a user record that cannot be read (its key index is out of the
// table, it lacks its data); the others of the aggregate are fine.
type UserRecord struct {
	Sub             uint32
	PartitionKey    string
	ExplicitHashKey string
	Data            []byte
	Err             error
}

// Deaggregate calls fn for each user record of the KPL aggregate data, in
// order. The aggregate is
//
//	F3 89 9A C2, a protobuf AggregatedRecord, the MD5 of that message (16 bytes)
//
// where AggregatedRecord is
//
//	message AggregatedRecord {
//	  repeated string partition_key_table     = 1;
//	  repeated string explicit_hash_key_table = 2;
//	  repeated Record records                 = 3;
//	}
//	message Record {
//	  required uint64 partition_key_index     = 1;
//	  optional uint64 explicit_hash_key_index = 2;
//	  required bytes  data                    = 3;
//	  repeated Tag    tags                    = 4;
//	}
//
// as the Kinesis Producer Library writes it (its aggregation format
// document). Deaggregate checks the whole aggregate (magic, checksum,
// message structure) before it calls fn: on an error wrapping [ErrKPL] it
// has called fn for none. Errors of a single user record go to that
// record's Err.
//
// This is written on google.golang.org/protobuf/encoding/protowire rather
// than the awslabs deaggregator, which returns plain records without their
// index in the aggregate (so bookkeeping cannot tell the user records of
// one Kinesis record apart), skips the checksum mismatch silently (it then
// passes the bytes on as one plain record), and allocates a generated
// message per user record; protowire reads the fields in place.
func Deaggregate(data []byte, fn func(UserRecord)) error {
	if !IsAggregated(data) {
		return fmt.Errorf("%w: no KPL magic", ErrKPL)
	}
	if len(data) < len(kplMagic)+md5.Size {
		return fmt.Errorf("%w: %d bytes is too short for an aggregate", ErrKPL, len(data))
	}
	msg := data[len(kplMagic) : len(data)-md5.Size]
	sum := md5.Sum(msg)
	if !bytes.Equal(sum[:], data[len(data)-md5.Size:]) {
		return fmt.Errorf("%w: MD5 checksum mismatch (corrupt or truncated)", ErrKPL)
	}
	var keys, hashKeys []string
	nrec := 0
	// First pass: the tables, and the structure of every record, so that
	// a malformed aggregate fails whole.
	for b := msg; len(b) > 0; {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return fmt.Errorf("%w: %w", ErrKPL, protowire.ParseError(n))
		}
		b = b[n:]
		if typ != protowire.BytesType {
			if n = protowire.ConsumeFieldValue(num, typ, b); n < 0 {
				return fmt.Errorf("%w: field %d: %w", ErrKPL, num, protowire.ParseError(n))
			}
			b = b[n:]
			continue
		}
		v, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return fmt.Errorf("%w: field %d: %w", ErrKPL, num, protowire.ParseError(n))
		}
		b = b[n:]
		switch num {
		case 1:
			keys = append(keys, string(v))
		case 2:
			hashKeys = append(hashKeys, string(v))
		case 3:
			if _, err := parseUserRecord(v); err != nil {
				return fmt.Errorf("%w: record %d: %w", ErrKPL, nrec, err)
			}
			nrec++
		}
	}
	if nrec > 1<<31 {
		return fmt.Errorf("%w: %d records", ErrKPL, nrec)
	}
	sub := uint32(0)
	for b := msg; len(b) > 0; {
		num, typ, n := protowire.ConsumeTag(b)
		b = b[n:]
		if num != 3 || typ != protowire.BytesType {
			b = b[protowire.ConsumeFieldValue(num, typ, b):]
			continue
		}
		v, n := protowire.ConsumeBytes(b)
		b = b[n:]
		f, _ := parseUserRecord(v)
		u := UserRecord{Sub: sub, Data: f.data}
		sub++
		switch {
		case !f.hasKey:
			u.Err = fmt.Errorf("%w: user record %d has no partition key index", ErrKPL, u.Sub)
		case f.key >= uint64(len(keys)):
			u.Err = fmt.Errorf("%w: user record %d: partition key index %d out of a table of %d", ErrKPL, u.Sub, f.key, len(keys))
		case f.hasHash && f.hash >= uint64(len(hashKeys)):
			u.Err = fmt.Errorf("%w: user record %d: explicit hash key index %d out of a table of %d", ErrKPL, u.Sub, f.hash, len(hashKeys))
		case !f.hasData:
			u.Err = fmt.Errorf("%w: user record %d has no data", ErrKPL, u.Sub)
		}
		if u.Err == nil {
			u.PartitionKey = keys[f.key]
			if f.hasHash {
				u.ExplicitHashKey = hashKeys[f.hash]
			}
		}
		fn(u)
	}
	return nil
}

type userFields struct {
	key, hash                uint64
	hasKey, hasHash, hasData bool
	data                     []byte
}

// parseUserRecord reads the fields of one Record message.
func parseUserRecord(b []byte) (userFields, error) {
	var f userFields
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return f, protowire.ParseError(n)
		}
		b = b[n:]
		switch {
		case num == 1 && typ == protowire.VarintType:
			f.key, n = protowire.ConsumeVarint(b)
			f.hasKey = true
		case num == 2 && typ == protowire.VarintType:
			f.hash, n = protowire.ConsumeVarint(b)
			f.hasHash = true
		case num == 3 && typ == protowire.BytesType:
			f.data, n = protowire.ConsumeBytes(b)
			f.hasData = true
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return f, fmt.Errorf("field %d: %w", num, protowire.ParseError(n))
		}
		b = b[n:]
	}
	return f, nil
}

// AppendAggregate appends a KPL aggregate of the user records to dst, each
// with its partition key (the keys go into the table once each) and no
// explicit hash key: what the Kinesis Producer Library writes. It is the
// inverse of Deaggregate, for tests and for producers.
func AppendAggregate(dst []byte, keys []string, data [][]byte) []byte {
	start := len(dst)
	dst = append(dst, kplMagic...)
	idx := map[string]uint64{}
	var order []string
	for _, k := range keys {
		if _, ok := idx[k]; !ok {
			idx[k] = uint64(len(order))
			order = append(order, k)
		}
	}
	for _, k := range order {
		dst = protowire.AppendTag(dst, 1, protowire.BytesType)
		dst = protowire.AppendString(dst, k)
	}
	var rec []byte
	for i, d := range data {
		rec = rec[:0]
		rec = protowire.AppendTag(rec, 1, protowire.VarintType)
		rec = protowire.AppendVarint(rec, idx[keys[i]])
		rec = protowire.AppendTag(rec, 3, protowire.BytesType)
		rec = protowire.AppendBytes(rec, d)
		dst = protowire.AppendTag(dst, 3, protowire.BytesType)
		dst = protowire.AppendBytes(dst, rec)
	}
	sum := md5.Sum(dst[start+len(kplMagic):])
	return append(dst, sum[:]...)
}
