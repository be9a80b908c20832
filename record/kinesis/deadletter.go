package kinesis

import "encoding/json"

// A DeadLetter is a record that cannot be processed: where it was, why,
// and its bytes, so that nothing is dropped silently and the record can be
// replayed once its problem is fixed. Its JSON form is one line,
//
//	{"shard":…,"sequence_number":…,"index":…,"error":…,"data":<bytes, base64>}
//
// where index is the record's index inside its Kinesis record (a user
// record of a KPL aggregate, a log event, a JSON line), 0 for a record
// that holds one.
type DeadLetter struct {
	Shard          string `json:"shard"`
	SequenceNumber string `json:"sequence_number"`
	Index          uint32 `json:"index"`
	Error          string `json:"error"`
	Data           []byte `json:"data"`
}

// NewDeadLetter returns the dead letter of an item of r that failed with
// err (the item's own Err, or the operator's refusal).
func NewDeadLetter[T any](r *Record, it *Item[T], err error) DeadLetter {
	d := DeadLetter{Shard: r.Shard, SequenceNumber: r.SequenceNumber, Index: it.Pos.Sub, Data: it.Data}
	if err != nil {
		d.Error = err.Error()
	}
	if d.Data == nil {
		d.Data = r.Data
	}
	return d
}

// AppendJSON appends the dead letter's JSON line, newline included.
func (d DeadLetter) AppendJSON(dst []byte) []byte {
	b, _ := json.Marshal(d) // strings and bytes only: cannot fail
	return append(append(dst, b...), '\n')
}
