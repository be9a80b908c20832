package group

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rowtime/rowtime/aggregate"
	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/record/decode"
	"github.com/rowtime/rowtime/record/kinesis"
	"github.com/rowtime/rowtime/window"
)

type memStore struct{ data []byte }

func (m *memStore) Load(context.Context, string) ([]byte, kinesis.Version, error) {
	return m.data, 1, nil
}

func (m *memStore) Save(_ context.Context, _ string, data []byte, _ kinesis.Version) (kinesis.Version, error) {
	m.data = append([]byte(nil), data...)
	return 1, nil
}

// TestExtraOfLoopLayout: extraOf finds the extra bytes in what
// kinesis.Loop.Save writes, for states of many sizes (one- and multi-byte
// length prefixes).
func TestExtraOfLoopLayout(t *testing.T) {
	type ev struct {
		K string `json:"k"`
	}
	dec, _ := decode.NewJSON[ev]("ts", decode.Millis)
	for _, n := range []int{0, 1, 50, 5000} {
		op, err := window.Aggregate(window.Step(time.Second), func(r record.Of[ev]) string { return r.Value.K },
			aggregate.Count[record.Of[ev]](), nil)
		if err != nil {
			t.Fatal(err)
		}
		l, err := kinesis.NewLoop[ev, window.Result[string, int64]]("s", kinesis.NewJSON[ev](dec, nil), op, nil)
		if err != nil {
			t.Fatal(err)
		}
		var recs []kinesis.Record
		for i := range n {
			recs = append(recs, kinesis.Record{Shard: "s", SequenceNumber: fmt.Sprintf("49%030d", i+1),
				Data: []byte(`{"ts":1700000000000,"k":"key` + string(rune('a'+i%26)) + string(rune('a'+i/26%26)) + `"}`)})
		}
		if err := l.Take(recs, 0, func(window.Result[string, int64]) {}, func(d kinesis.DeadLetter) { t.Fatal(d) }); err != nil {
			t.Fatal(err)
		}
		h := header{Epoch: 3, Owner: "w", Watermark: 42}
		h.add(7, []byte(`{"a":1}`))
		l.SetExtra(h.encode())
		st := &memStore{}
		if _, err := l.Save(context.Background(), st, "k", 0); err != nil {
			t.Fatal(err)
		}
		extra, err := extraOf(st.data)
		if err != nil || !bytes.Equal(extra, h.encode()) {
			t.Fatalf("%d records: extraOf = %q, %v; want %q", n, extra, err, h.encode())
		}
		if _, err := extraOf(st.data[:len(st.data)-len(extra)-1]); err == nil && len(extra) > 0 {
			// a truncated item must not parse into a header
			if got, _ := extraOf(st.data[:len(st.data)-len(extra)-1]); bytes.Equal(got, extra) {
				t.Fatal("a truncated item gave the header")
			}
		}
	}
	if _, err := extraOf([]byte{0x80}); err == nil {
		t.Error("a truncated length parsed")
	}
	if _, err := extraOf([]byte{5, 1}); err == nil {
		t.Error("a length past the end parsed")
	}
}

func TestHeaderPartials(t *testing.T) {
	var h header
	for _, e := range []record.Time{30, 10, 20, 10, 30} {
		h.add(e, []byte{byte(e)})
	}
	if len(h.Partials) != 3 || h.Partials[0].End != 10 || len(h.Partials[0].Lines) != 2 || h.Partials[2].End != 30 {
		t.Fatalf("partials = %+v", h.Partials)
	}
	h.prune(20)
	if len(h.Partials) != 1 || h.Partials[0].End != 30 {
		t.Fatalf("after prune(20): %+v", h.Partials)
	}
	got, err := parseHeader(h.encode())
	if err != nil || len(got.Partials) != 1 || got.Partials[0].End != 30 {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	if _, err := parseHeader([]byte(`{"rowtime_group":"v9"}`)); err == nil {
		t.Error("a header of another format parsed")
	}
	if _, err := parseHeader([]byte(`{`)); err == nil {
		t.Error("a broken header parsed")
	}
	if h, err := parseHeader(nil); err != nil || h.Watermark != record.MinTime {
		t.Errorf("no header: %+v, %v", h, err)
	}
}
