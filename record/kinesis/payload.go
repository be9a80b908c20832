package kinesis

import (
	"errors"
	"fmt"

	"github.com/rowtime/rowtime/record"
)

// Errors of payloads that cannot be decoded. Each reaches the caller as the
// Err of an [Item], which goes to the dead letters.
var (
	// ErrTooLarge reports a Kinesis record whose data is above
	// Options.MaxSize.
	ErrTooLarge = errors.New("kinesis: record too large")
	// ErrDecode wraps the error of the payload decoder for one value.
	ErrDecode = errors.New("kinesis: payload does not decode")
)

// MaxRecordSize is the default of Options.MaxSize: the largest data blob
// of a Kinesis record by default, 1 MiB.
const MaxRecordSize = 1 << 20

// A Decoder decodes one payload into typed records, appending them to dst.
// It is the contract of the decoders of record/decode: a value that cannot be decoded is
// skipped and reported in the error, the others are appended. The arrival
// time is the Kinesis record's, for decoders that stamp records with it.
type Decoder[T any] interface {
	Append(dst []record.Of[T], data []byte, arrival record.Time) ([]record.Of[T], error)
}

// An Item is one record fanned out of a Kinesis record, at its Position:
// a decoded record, or, when Err is set, a dead letter that could not be
// decoded (Data holds its bytes), or, when Control is set, a CloudWatch
// Logs control message, which holds nothing to take.
//
// Data and PartitionKey may alias the Kinesis record's data or a buffer of
// the format that made the item, valid until its next call.
type Item[T any] struct {
	Pos          Position
	PartitionKey string // the user record's key in a KPL aggregate; else the Kinesis record's
	Rec          record.Of[T]
	Data         []byte // the bytes this item was decoded from
	Err          error  // non-nil: a dead letter, with the reason
	Control      bool   // a CloudWatch Logs control message: nothing to take
}

// A Format fans Kinesis records out into items. [JSON] and [Logs]
// implement it.
type Format[T any] interface {
	AppendItems(dst []Item[T], r *Record) []Item[T]
}

// Options of the formats. The zero Options, and nil, are the defaults.
type Options struct {
	// MaxSize is the largest Kinesis record data taken, in bytes; a
	// larger record is one dead letter (ErrTooLarge). Zero means
	// MaxRecordSize, the Kinesis limit. Decompressed CloudWatch Logs data
	// may be up to 8 times MaxSize.
	MaxSize int
}

func (o *Options) maxSize() int {
	if o == nil || o.MaxSize <= 0 {
		return MaxRecordSize
	}
	return o.MaxSize
}

// JSON is the format of JSON payloads: each Kinesis record (or each user
// record of a KPL aggregate, which JSON de-aggregates) holds one JSON
// object, or several (JSON lines), each decoded by the Decoder into one
// record at its own index. A gzipped record is read as a CloudWatch Logs
// subscription (see [Logs]) whose log events' messages are the payloads. A value that does not decode is a dead letter
// at its index, holding its own bytes; the other values of the payload
// are taken.
//
// A JSON is safe for concurrent use when its Decoder is.
type JSON[T any] struct {
	dec     Decoder[T]
	maxSize int
	logs    *Logs
}

// NewJSON returns the JSON format decoding values with dec. A
// A *decode.JSON[T] or a *decode.CSV[T] (package record/decode) is a Decoder.
func NewJSON[T any](dec Decoder[T], opts *Options) *JSON[T] {
	return &JSON[T]{dec: dec, maxSize: opts.maxSize(), logs: NewLogs(opts)}
}

// AppendItems appends the items of r to dst: one per JSON value, at
// consecutive indexes from 0 across the user records of an aggregate.
func (j *JSON[T]) AppendItems(dst []Item[T], r *Record) []Item[T] {
	if len(r.Data) > j.maxSize {
		return append(dst, Item[T]{Pos: Position{Seq: r.Seq}, PartitionKey: r.PartitionKey, Data: r.Data,
			Err: fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, len(r.Data), j.maxSize)})
	}
	if IsGzip(r.Data) {
		return j.appendLogs(dst, r)
	}
	if !IsAggregated(r.Data) {
		sub := uint32(0)
		return j.appendValues(dst, r.Data, r, r.PartitionKey, &sub)
	}
	sub := uint32(0)
	err := Deaggregate(r.Data, func(u UserRecord) {
		if u.Err != nil {
			dst = append(dst, Item[T]{Pos: Position{Seq: r.Seq, Sub: sub}, PartitionKey: u.PartitionKey, Data: u.Data, Err: u.Err})
			sub++
			return
		}
		dst = j.appendValues(dst, u.Data, r, u.PartitionKey, &sub)
	})
	if err != nil {
		// The aggregate as a whole cannot be read: it is one dead letter,
		// and nothing of it was appended (Deaggregate checks it first).
		dst = append(dst, Item[T]{Pos: Position{Seq: r.Seq}, PartitionKey: r.PartitionKey, Data: r.Data, Err: err})
	}
	return dst
}

// IsGzip reports whether data starts with the gzip magic bytes, 1F 8B, as
// CloudWatch Logs subscription records do.
func IsGzip(data []byte) bool { return len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b }

// appendLogs decodes a CloudWatch Logs subscription record: each log
// event's message is one payload for the decoder, which receives the
// event's timestamp as the arrival time (so a decoder of TimeArrival
// stamps records with it).
func (j *JSON[T]) appendLogs(dst []Item[T], r *Record) []Item[T] {
	var one [1]record.Of[T]
	for _, ev := range j.logs.AppendItems(nil, r) {
		it := Item[T]{Pos: ev.Pos, PartitionKey: ev.PartitionKey, Data: ev.Data, Err: ev.Err, Control: ev.Control}
		if it.Err == nil && !it.Control {
			it.Data = []byte(ev.Rec.Value.Message)
			recs, err := j.dec.Append(one[:0], it.Data, ev.Rec.Time)
			switch {
			case err != nil:
				it.Err = fmt.Errorf("%w: log event %q: %w", ErrDecode, ev.Rec.Value.ID, err)
			case len(recs) != 1:
				it.Err = fmt.Errorf("%w: log event %q holds %d records", ErrDecode, ev.Rec.Value.ID, len(recs))
			default:
				it.Rec = recs[0]
			}
		}
		dst = append(dst, it)
	}
	return dst
}

// appendValues appends one item per top-level JSON value of data, at
// indexes from *sub on.
func (j *JSON[T]) appendValues(dst []Item[T], data []byte, r *Record, key string, sub *uint32) []Item[T] {
	var one [1]record.Of[T] // the decoder appends each value's record here
	for len(data) > 0 {
		start, end, ok := nextValue(data)
		if start == len(data) {
			break
		}
		v := data[start:end]
		data = data[end:]
		it := Item[T]{Pos: Position{Seq: r.Seq, Sub: *sub}, PartitionKey: key, Data: v}
		*sub++
		n := len(dst)
		dst = append(dst, it)
		// An unbalanced value goes to the decoder too, for its own error.
		recs, err := j.dec.Append(one[:0], v, r.Arrival)
		switch {
		case !ok && err == nil:
			dst[n].Err = fmt.Errorf("%w: unbalanced JSON value", ErrDecode)
		case err != nil:
			dst[n].Err = fmt.Errorf("%w: %w", ErrDecode, err)
		case len(recs) != 1:
			dst[n].Err = fmt.Errorf("%w: %d records from one JSON value", ErrDecode, len(recs))
		default:
			dst[n].Rec = recs[0]
		}
	}
	return dst
}

// nextValue finds the next top-level JSON value of data, skipping white
// space: data[start:end] is the value; ok is false when it does not close
// (then end is the end of its line, or of data, so the rest can go on).
// start == len(data) when only white space is left.
func nextValue(data []byte) (start, end int, ok bool) {
	i := 0
	for i < len(data) && isSpace(data[i]) {
		i++
	}
	if i == len(data) {
		return i, i, true
	}
	start = i
	switch data[i] {
	case '{', '[':
		depth := 0
		inStr := false
		for ; i < len(data); i++ {
			c := data[i]
			if inStr {
				switch c {
				case '\\':
					i++
				case '"':
					inStr = false
				}
				continue
			}
			switch c {
			case '"':
				inStr = true
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return start, i + 1, true
				}
			}
		}
		return start, restOfLine(data, start), false
	}
	// A scalar or garbage: up to the end of its line, for the decoder to
	// judge (and refuse).
	return start, restOfLine(data, start), true
}

func restOfLine(data []byte, from int) int {
	for i := from; i < len(data); i++ {
		if data[i] == '\n' {
			return i
		}
	}
	return len(data)
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
