package kinesis

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/rowtime/rowtime/record"
)

// ErrLogs is wrapped by the errors of a CloudWatch Logs subscription
// record that cannot be read: data that is not gzip, an envelope that is
// not JSON, of an unknown message type or without log events, a log event
// without its timestamp.
var ErrLogs = errors.New("kinesis: bad CloudWatch Logs record")

// A LogEvent is one log event of a CloudWatch Logs subscription, with the
// log group and stream it was written to. Its time is the record's Time.
type LogEvent struct {
	ID        string
	Message   string
	LogGroup  string
	LogStream string
	Owner     string // the AWS account of the log group
}

// Logs is the format of CloudWatch Logs subscription records: each Kinesis
// record holds a gzipped JSON envelope. A DATA_MESSAGE fans out into one
// record per log event, at its index, stamped with the event's own
// timestamp (milliseconds), with its log group and stream; a
// CONTROL_MESSAGE (CloudWatch's check that it can write to the stream) is
// one Control item, counted and skipped.
//
// A Logs is safe for concurrent use.
type Logs struct {
	maxSize int
	pool    sync.Pool // *logsBuf
}

type logsBuf struct {
	zr  *gzip.Reader
	buf bytes.Buffer
	env logEnvelope
}

type logEnvelope struct {
	MessageType string         `json:"messageType"`
	Owner       string         `json:"owner"`
	LogGroup    string         `json:"logGroup"`
	LogStream   string         `json:"logStream"`
	LogEvents   []logEventJSON `json:"logEvents"`
}

type logEventJSON struct {
	ID        string `json:"id"`
	Timestamp *int64 `json:"timestamp"`
	Message   string `json:"message"`
}

// NewLogs returns the CloudWatch Logs format.
func NewLogs(opts *Options) *Logs { return &Logs{maxSize: opts.maxSize()} }

// AppendItems appends the items of r to dst: one per log event, or one
// Control item, or one dead letter for a record that cannot be read.
func (l *Logs) AppendItems(dst []Item[LogEvent], r *Record) []Item[LogEvent] {
	dead := func(err error) []Item[LogEvent] {
		return append(dst, Item[LogEvent]{Pos: Position{Seq: r.Seq}, PartitionKey: r.PartitionKey, Data: r.Data, Err: err})
	}
	if len(r.Data) > l.maxSize {
		return dead(fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, len(r.Data), l.maxSize))
	}
	b, _ := l.pool.Get().(*logsBuf)
	if b == nil {
		b = &logsBuf{}
	}
	defer l.pool.Put(b)
	env, err := b.decode(r.Data, 8*l.maxSize)
	if err != nil {
		return dead(err)
	}
	switch env.MessageType {
	case "CONTROL_MESSAGE":
		return append(dst, Item[LogEvent]{Pos: Position{Seq: r.Seq}, PartitionKey: r.PartitionKey, Control: true})
	case "DATA_MESSAGE":
	default:
		return dead(fmt.Errorf("%w: message type %q, want DATA_MESSAGE or CONTROL_MESSAGE", ErrLogs, env.MessageType))
	}
	if len(env.LogEvents) == 0 {
		return dead(fmt.Errorf("%w: a DATA_MESSAGE without logEvents", ErrLogs))
	}
	for i, e := range env.LogEvents {
		it := Item[LogEvent]{Pos: Position{Seq: r.Seq, Sub: uint32(i)}, PartitionKey: r.PartitionKey}
		it.Rec.Value = LogEvent{ID: e.ID, Message: e.Message, LogGroup: env.LogGroup, LogStream: env.LogStream, Owner: env.Owner}
		switch {
		case e.Timestamp == nil:
			it.Err = fmt.Errorf("%w: log event %d (id %q) has no timestamp", ErrLogs, i, e.ID)
		default:
			t, terr := record.FromUnixMilli(*e.Timestamp)
			it.Rec.Time = t
			if terr != nil {
				it.Err = fmt.Errorf("%w: log event %d: %w", ErrLogs, i, terr)
			}
		}
		if it.Err != nil {
			it.Data, _ = json.Marshal(e) // the event as it came, for the dead letters
			it.Rec = record.Of[LogEvent]{}
		}
		dst = append(dst, it)
	}
	return dst
}

// decode gunzips data (at most limit bytes of it) and decodes the
// envelope. The envelope is b's own, valid until b's next use.
func (b *logsBuf) decode(data []byte, limit int) (*logEnvelope, error) {
	var err error
	if b.zr == nil {
		b.zr, err = gzip.NewReader(bytes.NewReader(data))
	} else {
		err = b.zr.Reset(bytes.NewReader(data))
	}
	if err != nil {
		return nil, fmt.Errorf("%w: not gzip: %w", ErrLogs, err)
	}
	b.buf.Reset()
	n, err := b.buf.ReadFrom(io.LimitReader(b.zr, int64(limit)+1))
	if err != nil {
		return nil, fmt.Errorf("%w: gunzip: %w", ErrLogs, err)
	}
	if n > int64(limit) {
		return nil, fmt.Errorf("%w: more than %d bytes once gunzipped", ErrLogs, limit)
	}
	// encoding/json decodes into the slice's old elements without zeroing
	// them: clear them, so no field of an earlier payload survives.
	evs := b.env.LogEvents[:cap(b.env.LogEvents)]
	clear(evs)
	b.env = logEnvelope{LogEvents: evs[:0]}
	if err := json.Unmarshal(b.buf.Bytes(), &b.env); err != nil {
		return nil, fmt.Errorf("%w: envelope: %w", ErrLogs, err)
	}
	return &b.env, nil
}

// AppendLogsRecord appends the gzipped CloudWatch Logs DATA_MESSAGE of the
// events (their Time in milliseconds) to dst, as a subscription filter
// writes it to Kinesis: for tests and replays.
func AppendLogsRecord(dst []byte, owner, group, stream string, events []record.Of[LogEvent]) []byte {
	env := logEnvelope{MessageType: "DATA_MESSAGE", Owner: owner, LogGroup: group, LogStream: stream}
	for _, e := range events {
		ms := e.Time.UnixMilli()
		env.LogEvents = append(env.LogEvents, logEventJSON{ID: e.Value.ID, Timestamp: &ms, Message: e.Value.Message})
	}
	js, _ := json.Marshal(struct {
		logEnvelope
		Filters []string `json:"subscriptionFilters"`
	}{env, []string{"rowtime"}})
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(js)
	zw.Close()
	return append(dst, buf.Bytes()...)
}
