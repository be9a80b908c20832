package kinesis

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/rowtime/rowtime/record"
)

// BenchmarkBookkeeping is the exactly-once bookkeeping per record: Seen
// and Mark, one in ten records a redelivery, and a checkpoint of the
// ledger every 100 records (its encoding, as a snapshot writes it). The
// sequence numbers are parsed beforehand, as FromEvent and FromSDK do once
// per Kinesis record (BenchmarkParseSeq).
func BenchmarkBookkeeping(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	const n = 1 << 16
	seqs := make([]Seq, n)
	cur, _ := ParseSeq("49590338271490256608559692538361571095921575989136588898")
	for i := range seqs {
		cur, _ = cur.add(Seq{lo: 1 + rng.Uint64N(1<<40)})
		seqs[i] = cur
	}
	for _, mode := range []struct {
		name string
		opts LedgerOptions
	}{{"ordered", LedgerOptions{Ordered: true}}, {"window", LedgerOptions{}}} {
		b.Run("mode="+mode.name, func(b *testing.B) {
			l := NewLedger(&mode.opts)
			s := l.Shard("shardId-000000000000")
			buf := make([]byte, 0, 64<<10)
			i, k := 0, 0
			b.ReportAllocs()
			for b.Loop() {
				buf = bookkeep(l, s, seqs, &i, &k, buf)
			}
		})
	}
}

// bookkeep takes the record at *i, or a redelivery of an earlier one
// every tenth call, and checkpoints every 100th.
func bookkeep(l *Ledger, s *Shard, seqs []Seq, i, k *int, buf []byte) []byte {
	*k++
	j := *i
	if *k%10 == 0 && j > 50 {
		j -= 50 // a record redelivered
	} else {
		*i++
		if *i == len(seqs) { // start the shard again, in a fresh ledger
			j, *i = 0, 1
			*l = *NewLedger(&l.opts)
			*s = *l.Shard(s.id)
		}
	}
	p := Position{Seq: seqs[j]}
	seen, err := s.Seen(p)
	if err != nil {
		panic(err)
	}
	if !seen {
		s.Mark(p)
	}
	if *k%100 == 0 {
		buf = l.appendBinary(buf[:0])
	}
	return buf
}

// BenchmarkParseSeq parses a 56-digit sequence number, as Kinesis writes
// them: once per Kinesis record, in FromEvent and FromSDK.
func BenchmarkParseSeq(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		parseSeq("49590338271490256608559692538361571095921575989136588898")
	}
}

func parseSeq(s string) Seq {
	q, err := ParseSeq(s)
	if err != nil {
		panic(err)
	}
	return q
}

// kplAggregate returns a KPL aggregate of about size bytes of JSON bids,
// and the user records' data.
func kplAggregate(size int) ([]byte, [][]byte) {
	var keys []string
	var data [][]byte
	total := 0
	for i := 0; total < size; i++ {
		d := []byte(bidJSON(i))
		keys = append(keys, fmt.Sprintf("pk-%d", i%16))
		data = append(data, d)
		total += len(d) + 8
	}
	return AppendAggregate(nil, keys, data), data
}

// BenchmarkKPL decodes a 1 MB KPL aggregate of JSON records, per user
// record: rowtime's JSON format (de-aggregation, MD5 check, the record
// decoder), and encoding/json alone unmarshalling the same user records.
func BenchmarkKPL(b *testing.B) {
	agg, data := kplAggregate(1 << 20)
	r := rec("49590338271490256608559692538361571095921575989136588898", agg)
	b.Run("impl=rowtime", func(b *testing.B) {
		j := NewJSON[bid](bidDecoder(b), nil)
		items := make([]Item[bid], 0, len(data))
		b.ReportAllocs()
		for b.Loop() {
			items = decodeKPL(j, items[:0], r)
		}
		if len(items) != len(data) || items[len(items)-1].Err != nil {
			b.Fatal("bad decode")
		}
		perRecord(b, len(data))
	})
	b.Run("impl=encoding-json", func(b *testing.B) {
		out := make([]bid, len(data))
		b.ReportAllocs()
		for b.Loop() {
			unmarshalAll(data, out)
		}
		perRecord(b, len(data))
	})
}

func decodeKPL(j *JSON[bid], dst []Item[bid], r *Record) []Item[bid] { return j.AppendItems(dst, r) }

func unmarshalAll(data [][]byte, out []bid) {
	for i, d := range data {
		if err := json.Unmarshal(d, &out[i]); err != nil {
			panic(err)
		}
	}
}

// perRecord reports the time per record of an op that handles n.
func perRecord(b *testing.B, n int) {
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/record")
}

// BenchmarkCloudWatchLogs decodes CloudWatch Logs subscription records of
// 100 log events, per log event: rowtime's Logs format with the gunzip,
// and encoding/json alone unmarshalling the same envelopes, gunzipped
// beforehand.
func BenchmarkCloudWatchLogs(b *testing.B) {
	const events = 100
	var evs []record.Of[LogEvent]
	for i := range events {
		evs = append(evs, record.Of[LogEvent]{Time: record.Time(time.Date(2026, 1, 1, 0, 0, i, 0, time.UTC).UnixNano()),
			Value: LogEvent{ID: fmt.Sprintf("3713%052d", i), Message: fmt.Sprintf("START RequestId: %08x Version: $LATEST %s", i, bidJSON(i))}})
	}
	data := AppendLogsRecord(nil, "123456789012", "/aws/lambda/checkout", "2026/01/01/[$LATEST]0123456789abcdef", evs)
	r := rec("49590338271490256608559692538361571095921575989136588898", data)
	l := NewLogs(nil)
	var plain []byte
	{
		var lb logsBuf
		if _, err := lb.decode(data, 1<<30); err != nil {
			b.Fatal(err)
		}
		plain = append(plain, lb.buf.Bytes()...)
	}
	b.Run("impl=rowtime", func(b *testing.B) {
		items := make([]Item[LogEvent], 0, events)
		b.ReportAllocs()
		for b.Loop() {
			items = decodeLogs(l, items[:0], r)
		}
		if len(items) != events || items[0].Err != nil {
			b.Fatal("bad decode")
		}
		perRecord(b, events)
	})
	b.Run("impl=encoding-json", func(b *testing.B) {
		var env logEnvelope
		b.ReportAllocs()
		for b.Loop() {
			unmarshalEnvelope(plain, &env)
		}
		perRecord(b, events)
	})
}

func decodeLogs(l *Logs, dst []Item[LogEvent], r *Record) []Item[LogEvent] {
	return l.AppendItems(dst, r)
}

func unmarshalEnvelope(data []byte, env *logEnvelope) {
	*env = logEnvelope{}
	if err := json.Unmarshal(data, env); err != nil {
		panic(err)
	}
}
