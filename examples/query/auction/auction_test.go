package auction

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rowtime/rowtime/examples/internal/querytest"
	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/record/decode"
	"github.com/rowtime/rowtime/window"
)

func TestDecode(t *testing.T) {
	const fields = `"Block":7,"Blockhash":"0xab","Bidder":"0x01","Maxbidder":"0x02","Contractowner":"0x03","Auction":"0x04","Amount":42`
	want := Bid{Block: 7, Blockhash: "0xab", Bidder: "0x01", Maxbidder: "0x02", Contractowner: "0x03", Auction: "0x04", Amount: 42}
	for _, tc := range []struct {
		name string
		ts   string
		want record.Time
	}{
		{"number", `1769472000`, 1769472000e9},
		{"string", `"1769472000"`, 1769472000e9},
		{"fraction", `1769472000.25`, 1769472000e9 + 250e6},
		{"string fraction", `" 1769472000.5 "`, 1769472000e9 + 500e6},
		{"negative", `-1`, -1e9},
		{"negative fraction", `-1.5`, -1500e6},
		{"below a nanosecond", `-0.0000000001`, -1},
		{"exponent", `1.5e3`, 1500e9},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Decode([]byte(`{` + fields + `,"EventTimestamp":` + tc.ts + `}`))
			if err != nil {
				t.Fatal(err)
			}
			if r.Time != tc.want || r.Value != want {
				t.Fatalf("got %+v, want time %d, %+v", r, tc.want, want)
			}
		})
	}
	for _, tc := range []struct{ name, payload string }{
		{"not json", `Block=7`},
		{"truncated", `{"Block":7,"EventTimestamp":1`},
		{"no time", `{` + fields + `}`},
		{"null time", `{` + fields + `,"EventTimestamp":null}`},
		{"text time", `{` + fields + `,"EventTimestamp":"yesterday"}`},
		{"huge time", `{` + fields + `,"EventTimestamp":1e300}`},
		{"huge integer time", `{` + fields + `,"EventTimestamp":99999999999999}`},
		{"amount not a number", `{"Amount":"x","EventTimestamp":1}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Decode([]byte(tc.payload)); !errors.Is(err, ErrDecode) {
				t.Fatalf("Decode(%s) = %v, want ErrDecode", tc.payload, err)
			}
		})
	}
}

func TestAppendJSONRoundTrip(t *testing.T) {
	querytest.RoundTrip(t, Generate(3, 500), AppendJSON, Decode)
}

func TestGenerator(t *testing.T) {
	a, b := Generate(7, 3000), Generate(7, 3000)
	if !slices.Equal(a, b) {
		t.Fatal("same seed, different workloads")
	}
	if slices.Equal(a, Generate(8, 3000)) {
		t.Fatal("different seeds, same workload")
	}
	if !slices.Equal(Generate(7, 100), a[:100]) {
		t.Fatal("a shorter run is not a prefix of a longer one")
	}
	bidders := map[string]bool{}
	owners := map[string]bool{}
	ownBids := 0
	perBlock := map[int64]int{}
	blockTime := map[int64]record.Time{}
	for i, r := range a {
		if i > 0 && r.Time < a[i-1].Time {
			t.Fatalf("record %d goes back in time", i)
		}
		if bt, ok := blockTime[r.Value.Block]; ok && bt != r.Time {
			t.Fatalf("block %d has two times", r.Value.Block)
		}
		blockTime[r.Value.Block] = r.Time
		perBlock[r.Value.Block]++
		owners[r.Value.Contractowner] = true
		if r.Value.Bidder == r.Value.Contractowner {
			ownBids++
		} else {
			bidders[r.Value.Bidder] = true
		}
		if r.Value.Amount <= 0 {
			t.Fatalf("record %d: amount %d", i, r.Value.Amount)
		}
		if r.Time%1e9 != 0 {
			t.Fatalf("record %d: time %d is not whole seconds", i, r.Time)
		}
	}
	if len(bidders) != Bidders {
		t.Errorf("%d bidders, want %d", len(bidders), Bidders)
	}
	if ownBids == 0 {
		t.Error("no contract owner ever bids on their own auction")
	}
	if len(perBlock) != len(a)/BidsPerBlock {
		t.Errorf("%d blocks for %d bids", len(perBlock), len(a))
	}
	for blk, n := range perBlock {
		if n != BidsPerBlock {
			t.Errorf("block %d holds %d bids", blk, n)
		}
	}
	span := time.Duration(a[len(a)-1].Time - a[0].Time)
	mean := span / time.Duration(len(perBlock)-1)
	if mean < 14*time.Second || mean > 16*time.Second {
		t.Errorf("blocks every %v on average, want about 15s", mean)
	}
}

// line is the union of the two output forms, for comparing results.
type line struct {
	Stream      string `json:"stream"`
	WindowStart string `json:"window_start"`
	WindowEnd   string `json:"window_end"`
	Block       int64  `json:"block"`
	Spend       int64  `json:"spend"`
	Distinct    uint64 `json:"NUMBER_OF_DISTINCT_ITEMS"`
	Update      bool   `json:"update"`
}

func (l line) String() string { return fmt.Sprintf("%+v", struct{ line }{l}) }

func rfc(t record.Time) string {
	return time.Unix(0, int64(t)).UTC().Format(time.RFC3339Nano)
}

// naive computes both queries after the fact: group the records by (block,
// 15-second window) and by 10-second window, then order the rows the way the
// operators emit them on Flush with Delay 0 (by window end, spend before
// distinct for windows that close at the same record).
func naive(recs []Record) (spend, bidders []line) {
	type sk struct {
		start record.Time
		block int64
	}
	sum := map[sk]int64{}
	var order []sk
	set := map[record.Time]map[string]bool{}
	var starts []record.Time
	for _, r := range recs {
		k := sk{r.Time.Truncate(SpendWindow), r.Value.Block}
		if _, ok := sum[k]; !ok {
			order = append(order, k)
		}
		sum[k] += r.Value.Amount
		s := r.Time.Truncate(BiddersWindow)
		if set[s] == nil {
			set[s] = map[string]bool{}
			starts = append(starts, s)
		}
		set[s][r.Value.Bidder] = true
	}
	slices.SortStableFunc(order, func(a, b sk) int { return int(a.start/1e9 - b.start/1e9) })
	for _, k := range order {
		spend = append(spend, line{Stream: SpendStream, WindowStart: rfc(k.start),
			WindowEnd: rfc(k.start + record.Time(SpendWindow)), Block: k.block, Spend: sum[k]})
	}
	slices.Sort(starts)
	for _, s := range starts {
		bidders = append(bidders, line{Stream: BiddersStream, WindowStart: rfc(s),
			WindowEnd: rfc(s + record.Time(BiddersWindow)), Distinct: uint64(len(set[s]))})
	}
	return spend, bidders
}

func byStream(ls []line, stream string) []line {
	var out []line
	for _, l := range ls {
		if l.Stream == stream {
			out = append(out, l)
		}
	}
	return out
}

func TestQueryAgainstNaive(t *testing.T) {
	for _, n := range []int{0, 1, 10, 95, 2000} {
		t.Run(fmt.Sprintf("n=%d", n), func(t *testing.T) {
			recs := Generate(uint64(n)+11, n)
			q, err := New(nil)
			if err != nil {
				t.Fatal(err)
			}
			got := querytest.Parse[line](t, querytest.Lines(t, q, recs, true))
			wantSpend, wantBidders := naive(recs)
			if g := byStream(got, SpendStream); !slices.Equal(g, wantSpend) {
				t.Errorf("spend:\n got %v\nwant %v", g, wantSpend)
			}
			if g := byStream(got, BiddersStream); !slices.Equal(g, wantBidders) {
				t.Errorf("bidders:\n got %v\nwant %v", g, wantBidders)
			}
			if len(got) != len(wantSpend)+len(wantBidders) {
				t.Errorf("%d lines, want %d", len(got), len(wantSpend)+len(wantBidders))
			}
			st := q.Stats()
			if st.Spend.Records != uint64(n) || st.Bidders.Records != uint64(n) {
				t.Errorf("stats count %d and %d records, want %d", st.Spend.Records, st.Bidders.Records, n)
			}
			if st.Spend.Emitted != uint64(len(wantSpend)) || st.Bidders.Emitted != uint64(len(wantBidders)) {
				t.Errorf("stats: emitted %d and %d", st.Spend.Emitted, st.Bidders.Emitted)
			}
		})
	}
}

// TestQueryDelay shuffles a workload within a bound and checks that with that
// much Delay nothing is late and the windows are those of the sorted input.
func TestQueryDelay(t *testing.T) {
	recs := Generate(5, 1000)
	const delay = 40 * time.Second
	// Arrival order: by time plus a random wait below delay, so that no
	// record arrives after one that is delay or more newer than itself.
	rng := rand.New(rand.NewPCG(1, 2))
	type arrival struct {
		at record.Time
		r  Record
	}
	arr := make([]arrival, len(recs))
	for i, r := range recs {
		arr[i] = arrival{r.Time + record.Time(rng.Int64N(int64(delay))), r}
	}
	slices.SortStableFunc(arr, func(a, b arrival) int { return cmp.Compare(a.at, b.at) })
	shuffled := make([]Record, len(arr))
	for i, a := range arr {
		shuffled[i] = a.r
	}
	if slices.Equal(shuffled, recs) {
		t.Fatal("the shuffle did not shuffle")
	}
	var late []string
	q, err := New(&Options{Delay: delay, Late: func(r Record, stream string, err error) {
		late = append(late, stream)
	}})
	if err != nil {
		t.Fatal(err)
	}
	got := querytest.Parse[line](t, querytest.Lines(t, q, shuffled, true))
	if len(late) > 0 {
		t.Fatalf("%d late records", len(late))
	}
	wantSpend, wantBidders := naive(recs)
	sortLines := func(ls []line) []line {
		ls = slices.Clone(ls)
		slices.SortStableFunc(ls, func(a, b line) int {
			if c := bytes.Compare([]byte(a.WindowEnd), []byte(b.WindowEnd)); c != 0 {
				return c
			}
			return int(a.Block - b.Block)
		})
		return ls
	}
	if g, w := sortLines(byStream(got, SpendStream)), sortLines(wantSpend); !slices.Equal(g, w) {
		t.Errorf("spend:\n got %v\nwant %v", g, w)
	}
	if g := byStream(got, BiddersStream); !slices.Equal(g, wantBidders) {
		t.Errorf("bidders:\n got %v\nwant %v", g, wantBidders)
	}
}

func TestQueryLate(t *testing.T) {
	recs := Generate(1, 40) // blocks at 0 s, 13 s, 29 s, 41 s
	late := map[string]int{}
	q, err := New(&Options{Late: func(r Record, stream string, err error) { late[stream]++ }})
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	emit := func(b []byte) { out = append(out, bytes.Clone(b)) }
	for _, r := range recs {
		if err := q.Push(r, emit); err != nil {
			t.Fatal(err)
		}
	}
	// The first block's windows, [0,15) and [0,10), have been emitted.
	if err := q.Push(recs[0], emit); err != nil {
		t.Fatal(err)
	}
	if late[SpendStream] != 1 || late[BiddersStream] != 1 {
		t.Fatalf("late = %v, want one per stream", late)
	}
	st := q.Stats()
	if st.Spend.Late != 1 || st.Bidders.Late != 1 {
		t.Fatalf("stats late = %d, %d", st.Spend.Late, st.Bidders.Late)
	}
	if _, err := New(&Options{Delay: -time.Second}); err == nil {
		t.Fatal("negative delay accepted")
	}
}

func TestAppendRecords(t *testing.T) {
	recs := Generate(2, 3)
	var payload []byte
	for i, r := range recs {
		payload = AppendJSON(payload, r)
		payload = append(payload, '\n')
		if i == 1 {
			payload = append(payload, "{\"Block\":1}\n"...) // no time
		}
	}
	got, err := AppendRecords(nil, payload)
	if !slices.Equal(got, recs) {
		t.Errorf("decoded %v, want %v", got, recs)
	}
	var de *decode.Error
	if !errors.Is(err, ErrDecode) || !errors.Is(err, decode.ErrNoTime) || !errors.As(err, &de) || de.Line != 3 {
		t.Errorf("error %v, want ErrDecode and decode.ErrNoTime on line 3", err)
	}
}

func FuzzDecode(f *testing.F) {
	for _, r := range Generate(1, 3) {
		f.Add(AppendJSON(nil, r))
	}
	f.Add([]byte(`{"Block":1,"EventTimestamp":"1.5e3"}`))
	f.Add([]byte(`{"Block":1,"EventTimestamp":-0.000000001}`))
	f.Add([]byte(`{"Block":1,"EventTimestamp":1}{"Block":2,"EventTimestamp":2}`))
	f.Add([]byte(`not json`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		r, err := Decode(payload)
		if err != nil {
			if !errors.Is(err, ErrDecode) {
				t.Fatalf("%v does not wrap ErrDecode", err)
			}
			return
		}
		// What decodes, written back and decoded again, is the same bid at
		// the same whole second.
		again, err := Decode(AppendJSON(nil, r))
		if err != nil {
			t.Fatalf("re-decoding %+v: %v", r, err)
		}
		r.Time = r.Time.Truncate(time.Second)
		if again != r {
			t.Fatalf("round trip gave %+v, want %+v", again, r)
		}
	})
}

// TestRefusalNamesStream checks that a bid whose window bound overflows is
// refused by the first pump, named by its stream, and leaves both queries
// as they were.
func TestRefusalNamesStream(t *testing.T) {
	q, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	ok := record.At(Start, Bid{Block: 1, Bidder: "a", Amount: 5})
	if err := q.Push(ok, nil); err != nil {
		t.Fatal(err)
	}
	before, err := q.AppendSnapshot(nil)
	if err != nil {
		t.Fatal(err)
	}
	err = q.Push(record.At(record.MaxTime, Bid{Block: 2, Bidder: "b", Amount: 7}), nil)
	if !record.IsRefused(err) || !errors.Is(err, window.ErrOverflow) || !strings.Contains(err.Error(), "auction: "+SpendStream+": ") {
		t.Fatalf("Push at MaxTime: %v, want a refusal naming %s", err, SpendStream)
	}
	after, err := q.AppendSnapshot(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Fatal("a refused bid changed the state")
	}
	if s := q.Stats(); s.Spend.Records != 1 || s.Bidders.Records != 1 {
		t.Fatalf("stats after the refusal: %+v", s)
	}
}
