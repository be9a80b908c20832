// Package deadletter holds the format of the dead-letter output that the
// Kinesis consumer and the Lambda handler share: one JSON object a line for
// each record that cannot be processed,
//
//	{"shard":…,"sequence_number":…,"error":…,"data":<payload, base64>}
//
// so that nothing is dropped silently and a record can be replayed once
// its problem is fixed.
package deadletter

// An Entry is one line of the dead-letter output, written with
// encoding/json.
type Entry struct {
	Shard          string `json:"shard"`
	SequenceNumber string `json:"sequence_number"`
	Error          string `json:"error"`
	Data           []byte `json:"data"` // the payload, base64
}
