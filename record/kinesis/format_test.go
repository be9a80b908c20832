package kinesis

import (
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/record/decode"
	"google.golang.org/protobuf/encoding/protowire"
)

type bid struct {
	Block  int64  `json:"block"`
	Bidder string `json:"bidder"`
	Amount int64  `json:"amount"`
}

func bidDecoder(t testing.TB) *decode.JSON[bid] {
	d, err := decode.NewJSON[bid]("ts", decode.Millis)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func rec(seq string, data []byte) *Record {
	q, err := ParseSeq(seq)
	if err != nil {
		panic(err)
	}
	return &Record{Data: data, PartitionKey: "pk", SequenceNumber: seq, Seq: q, Shard: "shardId-000000000000"}
}

func bidJSON(i int) string {
	return fmt.Sprintf(`{"ts":%d,"block":%d,"bidder":"b%d","amount":%d}`, 1700000000000+i, i%7, i%5, i)
}

func TestJSONFanOut(t *testing.T) {
	j := NewJSON[bid](bidDecoder(t), nil)
	cases := []struct {
		name string
		data string
		want []string // per item: "ok:<block>" or "dead:<data>"
	}{
		{"one object", bidJSON(1), []string{"ok:1"}},
		{"one object over lines", "{\"ts\":1700000000002,\n \"block\":2}\n", []string{"ok:2"}},
		{"JSON lines", bidJSON(1) + "\n" + bidJSON(2) + "\n\n" + bidJSON(3) + "\n", []string{"ok:1", "ok:2", "ok:3"}},
		{"bad line among good", bidJSON(1) + "\n{\"block\":9}\n" + bidJSON(3), []string{"ok:1", `dead:{"block":9}`, "ok:3"}},
		{"not JSON", "hello\n" + bidJSON(4), []string{"dead:hello", "ok:4"}},
		{"unbalanced", bidJSON(5) + "\n{\"ts\":1,", []string{"ok:5", `dead:{"ts":1,`}},
		{"braces in strings", `{"ts":1700000000000,"block":6,"bidder":"}{\"]"}`, []string{"ok:6"}},
		{"empty", "  \n", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			items := j.AppendItems(nil, rec("100", []byte(c.data)))
			var got []string
			for i, it := range items {
				if it.Pos.Sub != uint32(i) || it.Pos.Seq.String() != "100" {
					t.Errorf("item %d at %v", i, it.Pos)
				}
				if it.Err != nil {
					if !errors.Is(it.Err, ErrDecode) {
						t.Errorf("item %d: error %v does not wrap ErrDecode", i, it.Err)
					}
					got = append(got, "dead:"+string(it.Data))
					continue
				}
				got = append(got, fmt.Sprintf("ok:%d", it.Rec.Value.Block))
			}
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

func TestJSONTooLarge(t *testing.T) {
	j := NewJSON[bid](bidDecoder(t), &Options{MaxSize: 64})
	items := j.AppendItems(nil, rec("7", []byte(bidJSON(1)+"\n"+bidJSON(2))))
	if len(items) != 1 || !errors.Is(items[0].Err, ErrTooLarge) || len(items[0].Data) <= 64 {
		t.Fatalf("items = %+v", items)
	}
	if got := NewJSON[bid](bidDecoder(t), nil).AppendItems(nil, rec("7", make([]byte, MaxRecordSize+1))); !errors.Is(got[0].Err, ErrTooLarge) {
		t.Fatalf("default limit: %+v", got[0].Err)
	}
}

func TestKPLRoundTrip(t *testing.T) {
	var keys []string
	var data [][]byte
	for i := range 50 {
		keys = append(keys, fmt.Sprintf("key-%d", i%4))
		data = append(data, []byte(bidJSON(i)))
	}
	agg := AppendAggregate(nil, keys, data)
	if !IsAggregated(agg) {
		t.Fatal("not aggregated")
	}
	var got []UserRecord
	if err := Deaggregate(agg, func(u UserRecord) { got = append(got, u) }); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(data) {
		t.Fatalf("%d user records, want %d", len(got), len(data))
	}
	for i, u := range got {
		if u.Err != nil || u.Sub != uint32(i) || u.PartitionKey != keys[i] || !bytes.Equal(u.Data, data[i]) {
			t.Fatalf("user record %d = %+v", i, u)
		}
	}
	// Through the JSON format: one item per user record, at its index,
	// with its own partition key.
	items := NewJSON[bid](bidDecoder(t), nil).AppendItems(nil, rec("42", agg))
	if len(items) != len(data) {
		t.Fatalf("%d items", len(items))
	}
	for i, it := range items {
		if it.Err != nil || it.Pos.Sub != uint32(i) || it.PartitionKey != keys[i] || it.Rec.Value.Amount != int64(i) {
			t.Fatalf("item %d = %+v", i, it)
		}
	}
}

// withMD5 frames a protobuf message as an aggregate with a right checksum.
func withMD5(msg []byte) []byte {
	out := append(append([]byte{}, kplMagic...), msg...)
	sum := md5.Sum(msg)
	return append(out, sum[:]...)
}

func TestKPLBad(t *testing.T) {
	good := AppendAggregate(nil, []string{"a", "b"}, [][]byte{[]byte(bidJSON(1)), []byte(bidJSON(2))})
	badMD5 := bytes.Clone(good)
	badMD5[len(badMD5)-1] ^= 1
	flipped := bytes.Clone(good)
	flipped[6] ^= 0x40
	msg := good[4 : len(good)-16]
	truncated := withMD5(msg[:len(msg)-3])

	// A record whose key index is out of the table; another without data.
	var m []byte
	m = protowire.AppendTag(m, 1, protowire.BytesType)
	m = protowire.AppendString(m, "only")
	for _, r := range [][]byte{
		protowire.AppendBytes(protowire.AppendTag(protowire.AppendVarint(protowire.AppendTag(nil, 1, protowire.VarintType), 0), 3, protowire.BytesType), []byte(bidJSON(1))),
		protowire.AppendBytes(protowire.AppendTag(protowire.AppendVarint(protowire.AppendTag(nil, 1, protowire.VarintType), 5), 3, protowire.BytesType), []byte(bidJSON(2))),
		protowire.AppendVarint(protowire.AppendTag(nil, 1, protowire.VarintType), 0),
	} {
		m = protowire.AppendTag(m, 3, protowire.BytesType)
		m = protowire.AppendBytes(m, r)
	}
	badIndex := withMD5(m)

	for _, c := range []struct {
		name string
		data []byte
	}{
		{"bad MD5", badMD5},
		{"flipped byte", flipped},
		{"truncated protobuf", truncated},
		{"too short", append(append([]byte{}, kplMagic...), 1, 2, 3)},
		{"bad magic", append([]byte{0xF3, 0x89, 0x9A, 0xC3}, good[4:]...)},
	} {
		t.Run(c.name, func(t *testing.T) {
			calls := 0
			if err := Deaggregate(c.data, func(UserRecord) { calls++ }); !errors.Is(err, ErrKPL) || calls != 0 {
				t.Fatalf("Deaggregate = %v after %d calls, want ErrKPL and none", err, calls)
			}
			if c.name == "bad magic" {
				return // not an aggregate at all: the JSON format decodes it as JSON
			}
			items := NewJSON[bid](bidDecoder(t), nil).AppendItems(nil, rec("9", c.data))
			if len(items) != 1 || !errors.Is(items[0].Err, ErrKPL) || !bytes.Equal(items[0].Data, c.data) || items[0].Pos.Sub != 0 {
				t.Fatalf("items = %+v", items)
			}
		})
	}
	t.Run("key index out of range", func(t *testing.T) {
		items := NewJSON[bid](bidDecoder(t), nil).AppendItems(nil, rec("9", badIndex))
		if len(items) != 3 {
			t.Fatalf("%d items, want 3", len(items))
		}
		if items[0].Err != nil || items[0].Rec.Value.Amount != 1 || items[0].PartitionKey != "only" {
			t.Errorf("item 0 = %+v", items[0])
		}
		if !errors.Is(items[1].Err, ErrKPL) || !strings.Contains(items[1].Err.Error(), "index 5") || items[1].Pos.Sub != 1 {
			t.Errorf("item 1 = %+v", items[1])
		}
		if !errors.Is(items[2].Err, ErrKPL) || !strings.Contains(items[2].Err.Error(), "no data") || items[2].Pos.Sub != 2 {
			t.Errorf("item 2 = %+v", items[2])
		}
	})
}

func logEvents(n int) []record.Of[LogEvent] {
	var evs []record.Of[LogEvent]
	for i := range n {
		evs = append(evs, record.Of[LogEvent]{
			Time:  record.Time(1700000000000+int64(i)*1000) * 1e6,
			Value: LogEvent{ID: fmt.Sprint(i), Message: bidJSON(i)},
		})
	}
	return evs
}

func gz(s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

func TestLogs(t *testing.T) {
	l := NewLogs(nil)
	evs := logEvents(5)
	items := l.AppendItems(nil, rec("5", AppendLogsRecord(nil, "123456789012", "/aws/lambda/f", "2026/01/01/[$LATEST]abc", evs)))
	if len(items) != 5 {
		t.Fatalf("%d items", len(items))
	}
	for i, it := range items {
		v := it.Rec.Value
		if it.Err != nil || it.Control || it.Pos.Sub != uint32(i) || it.Rec.Time != evs[i].Time ||
			v.LogGroup != "/aws/lambda/f" || v.LogStream != "2026/01/01/[$LATEST]abc" || v.Owner != "123456789012" ||
			v.ID != evs[i].Value.ID || v.Message != evs[i].Value.Message {
			t.Fatalf("item %d = %+v", i, it)
		}
	}

	control := gz(`{"messageType":"CONTROL_MESSAGE","owner":"CloudwatchLogs","logGroup":"","logStream":"","subscriptionFilters":[],"logEvents":[{"id":"","timestamp":1700000000000,"message":"CWL CONTROL MESSAGE: Checking health of destination Kinesis stream."}]}`)
	items = l.AppendItems(nil, rec("6", control))
	if len(items) != 1 || !items[0].Control || items[0].Err != nil {
		t.Fatalf("control message: %+v", items)
	}

	for _, c := range []struct {
		name, want string
		data       []byte
	}{
		{"not gzip", "not gzip", []byte(`{"messageType":"DATA_MESSAGE"}`)},
		{"truncated gzip", "gunzip", gz(`{"messageType":"DATA_MESSAGE","logEvents":[]}`)[:15]},
		{"not JSON", "envelope", gz(`hello`)},
		{"no logEvents", "without logEvents", gz(`{"messageType":"DATA_MESSAGE","logGroup":"g"}`)},
		{"empty logEvents", "without logEvents", gz(`{"messageType":"DATA_MESSAGE","logGroup":"g","logEvents":[]}`)},
		{"unknown type", "message type", gz(`{"messageType":"OTHER","logEvents":[{"timestamp":1}]}`)},
	} {
		t.Run(c.name, func(t *testing.T) {
			items := l.AppendItems(nil, rec("7", c.data))
			if len(items) != 1 || !errors.Is(items[0].Err, ErrLogs) || !strings.Contains(items[0].Err.Error(), c.want) ||
				!bytes.Equal(items[0].Data, c.data) {
				t.Fatalf("items = %+v", items)
			}
		})
	}

	t.Run("event without timestamp", func(t *testing.T) {
		items := l.AppendItems(nil, rec("8", gz(`{"messageType":"DATA_MESSAGE","logGroup":"g","logStream":"s","logEvents":[{"id":"a","timestamp":1700000000000,"message":"x"},{"id":"b","message":"y"}]}`)))
		if len(items) != 2 || items[0].Err != nil || !errors.Is(items[1].Err, ErrLogs) || !strings.Contains(string(items[1].Data), `"y"`) {
			t.Fatalf("items = %+v", items)
		}
		// The next payload must not inherit the timestamp of an earlier one.
		items = l.AppendItems(nil, rec("9", gz(`{"messageType":"DATA_MESSAGE","logGroup":"g","logStream":"s","logEvents":[{"id":"c","message":"z"}]}`)))
		if len(items) != 1 || items[0].Err == nil {
			t.Fatalf("stale timestamp: %+v", items)
		}
	})
	t.Run("too large", func(t *testing.T) {
		small := NewLogs(&Options{MaxSize: 100})
		big := AppendLogsRecord(nil, "o", "g", "s", logEvents(20))
		if items := small.AppendItems(nil, rec("9", big)); len(items) != 1 || !errors.Is(items[0].Err, ErrTooLarge) {
			t.Fatalf("items = %+v", items)
		}
		bomb := gz(`{"messageType":"DATA_MESSAGE","logEvents":[` + strings.Repeat(`{"timestamp":1,"message":"aaaaaaaaaaaaaaa"},`, 500) + `{"timestamp":1}]}`)
		// Small enough compressed, above 8 times the limit once gunzipped.
		tight := NewLogs(&Options{MaxSize: len(bomb)})
		if items := tight.AppendItems(nil, rec("9", bomb)); len(items) != 1 || !errors.Is(items[0].Err, ErrLogs) ||
			!strings.Contains(items[0].Err.Error(), "gunzipped") {
			t.Fatalf("bomb: %+v", items)
		}
	})
}

// FuzzDeaggregate checks that no input panics, that an error calls fn for
// no record, and that a good aggregate's records alias its bytes.
func FuzzDeaggregate(f *testing.F) {
	f.Add(AppendAggregate(nil, []string{"a", "b"}, [][]byte{[]byte("x"), []byte("yy")}))
	f.Add(withMD5([]byte{0x1a, 0x02, 0x08, 0x05}))
	f.Add([]byte{0xF3, 0x89, 0x9A, 0xC2})
	f.Fuzz(func(t *testing.T, data []byte) {
		calls := 0
		err := Deaggregate(data, func(u UserRecord) {
			if u.Sub != uint32(calls) {
				t.Fatalf("user record %d has index %d", calls, u.Sub)
			}
			calls++
		})
		if err != nil && calls > 0 {
			t.Fatalf("error %v after %d records", err, calls)
		}
		j := NewJSON[bid](bidDecoder(t), nil)
		items := j.AppendItems(nil, rec("1", data))
		for i, it := range items {
			if it.Pos.Sub != uint32(i) {
				t.Fatalf("item %d at %v", i, it.Pos)
			}
		}
	})
}

// FuzzLogs checks that no gunzipped envelope panics the Logs format and
// that every item is one of a record, a control message or a dead letter.
func FuzzLogs(f *testing.F) {
	f.Add([]byte(`{"messageType":"DATA_MESSAGE","logGroup":"g","logStream":"s","logEvents":[{"id":"a","timestamp":1700000000000,"message":"x"}]}`))
	f.Add([]byte(`{"messageType":"CONTROL_MESSAGE"}`))
	f.Add([]byte(`{"messageType":"DATA_MESSAGE","logEvents":[{"timestamp":1e30}]}`))
	f.Add([]byte(`{"logEvents":null}`))
	l := NewLogs(nil)
	f.Fuzz(func(t *testing.T, js []byte) {
		for _, data := range [][]byte{gz(string(js)), js} {
			items := l.AppendItems(nil, rec("1", data))
			if len(items) == 0 {
				t.Fatal("no item: the record would be lost")
			}
			for i, it := range items {
				if it.Err != nil && it.Control {
					t.Fatalf("item %d is both", i)
				}
				if it.Pos.Sub != uint32(i) {
					t.Fatalf("item %d at %v", i, it.Pos)
				}
			}
		}
	})
}
