package trending

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rowtime/rowtime/examples/internal/querytest"
	"github.com/rowtime/rowtime/record"
	"github.com/rowtime/rowtime/record/table"
	"github.com/rowtime/rowtime/window"
)

func TestDecode(t *testing.T) {
	for _, tc := range []struct {
		name, payload string
		want          Record
	}{
		{"click", `{"article_id":17,"user_id":101,"action":"click","timestamp":1769472000123}`,
			Record{Time: 1769472000123e6, Value: Action{17, 101, Click}}},
		{"impression, reordered, spaced", ` { "timestamp" : 5 , "action" : "impression", "user_id":2,"article_id":3 } `,
			Record{Time: 5e6, Value: Action{3, 2, Impression}}},
		{"negative time", `{"article_id":1,"user_id":1,"action":"click","timestamp":-1}`,
			Record{Time: -1e6, Value: Action{1, 1, Click}}},
		{"extra field", `{"article_id":1,"user_id":1,"action":"click","timestamp":0,"device":"phone"}`,
			Record{Time: 0, Value: Action{1, 1, Click}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Decode([]byte(tc.payload))
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
	for _, tc := range []struct{ name, payload string }{
		{"not json", `article_id=1`},
		{"truncated", `{"article_id":1,"user_id":1,"action":"click","timestamp":1`},
		{"no time", `{"article_id":1,"user_id":1,"action":"click"}`},
		{"time as text", `{"article_id":1,"user_id":1,"action":"click","timestamp":"soon"}`},
		{"time too large", `{"article_id":1,"user_id":1,"action":"click","timestamp":9223372036854775}`},
		{"unknown action", `{"article_id":1,"user_id":1,"action":"share","timestamp":1}`},
		{"no action", `{"article_id":1,"user_id":1,"timestamp":1}`},
		{"article not a number", `{"article_id":"x","user_id":1,"action":"click","timestamp":1}`},
		{"array", `[1,2]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Decode([]byte(tc.payload)); !errors.Is(err, ErrDecode) {
				t.Fatalf("Decode(%s) = %v, want ErrDecode", tc.payload, err)
			}
		})
	}
}

func TestAppendJSONRoundTrip(t *testing.T) {
	querytest.RoundTrip(t, Generate(3, 2000), AppendJSON, Decode)
}

func TestLoadUsers(t *testing.T) {
	u, err := LoadUsers(strings.NewReader("101,female,1\n 102 , male , 2 \n\n103,female,10\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		id   int64
		want Group
	}{
		{101, Group{"female", 1, true}},
		{102, Group{"male", 2, true}},
		{103, Group{"female", 10, true}},
		{104, Group{}},
	} {
		if got := u.Lookup(tc.id); got != tc.want {
			t.Errorf("Lookup(%d) = %+v, want %+v", tc.id, got, tc.want)
		}
	}
	if u.Len() != 3 {
		t.Errorf("Len = %d", u.Len())
	}
	for _, tc := range []struct{ name, csv, inErr string }{
		{"columns", "101,female\n", "line 1"},
		{"user id", "101,female,1\nx,male,2\n", `row 2: user_id "x"`},
		{"segment", "101,female,one\n", "segment_id"},
		{"duplicate", "101,female,1\n101,male,2\n", "line 2"},
		{"same number", "7,female,1\n07,male,2\n", "appears twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadUsers(strings.NewReader(tc.csv))
			if !errors.Is(err, ErrUsers) || !strings.Contains(err.Error(), tc.inErr) {
				t.Fatalf("got %v, want ErrUsers mentioning %q", err, tc.inErr)
			}
		})
	}
	if _, err := LoadUsers(strings.NewReader("1,male,1\n1,male,1\n")); !errors.Is(err, table.ErrDuplicateKey) {
		t.Errorf("duplicate: %v, want table.ErrDuplicateKey", err)
	}
	if _, err := LoadUsers(strings.NewReader("1,male\n")); !errors.Is(err, table.ErrColumns) {
		t.Errorf("columns: %v, want table.ErrColumns", err)
	}
	if u.Table() == nil || u.Table().Len() != 3 {
		t.Error("Table() is not the loaded table")
	}
	var nilUsers *Users
	if nilUsers.Lookup(1) != (Group{}) || nilUsers.Len() != 0 {
		t.Error("a nil table is not empty")
	}
	var zero Users
	if zero.Lookup(1) != (Group{}) || zero.Lookup(-1) != (Group{}) || zero.Len() != 0 {
		t.Error("the zero table is not empty")
	}
	// Sparse and negative ids take the map.
	sparse, err := LoadUsers(strings.NewReader("-7,male,2\n1000000000000,female,3\n5,female,3\n"))
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[int64]Group{-7: {"male", 2, true}, 1e12: {"female", 3, true}, 5: {"female", 3, true}, 6: {}, 0: {}} {
		if got := sparse.Lookup(id); got != want {
			t.Errorf("sparse Lookup(%d) = %+v, want %+v", id, got, want)
		}
	}
}

func TestGenerator(t *testing.T) {
	n := 60_000
	if testing.Short() {
		n = 20_000
	}
	a := Generate(7, n)
	if !slices.Equal(a, Generate(7, n)) {
		t.Fatal("same seed, different workloads")
	}
	if slices.Equal(a[:100], Generate(8, 100)) {
		t.Fatal("different seeds, same workload")
	}
	clicks := 0
	perArticle := map[int64]int{}
	for i, r := range a {
		if i > 0 && r.Time < a[i-1].Time {
			t.Fatalf("record %d goes back in time", i)
		}
		if r.Value.UserID < 1 || r.Value.UserID > UsersTotal || r.Value.ArticleID < 1 || r.Value.ArticleID > Articles {
			t.Fatalf("record %d out of range: %+v", i, r)
		}
		if r.Value.Action == Click {
			clicks++
		}
		perArticle[r.Value.ArticleID]++
	}
	if pct := 100 * float64(clicks) / float64(n); pct < ClickPct-1 || pct > ClickPct+1 {
		t.Errorf("%.1f%% clicks", pct)
	}
	// 500,000 records a minute: the n-th record is n·120 µs in.
	if got, want := time.Duration(a[n-1].Time-Start), time.Duration(n-1)*120*time.Microsecond; got < want-time.Millisecond || got > want {
		t.Errorf("record %d at %v, want %v", n-1, got, want)
	}
	// Zipf: article 1 is the most popular, far more than article 100.
	if perArticle[1] < 10*perArticle[100] {
		t.Errorf("article 1: %d, article 100: %d", perArticle[1], perArticle[100])
	}
	users, err := LoadUsers(bytes.NewReader(GenerateUsers(7)))
	if err != nil {
		t.Fatal(err)
	}
	if pct := 100 * float64(users.Len()) / UsersTotal; pct < UsersKnownPct-1 || pct > UsersKnownPct+1 {
		t.Errorf("%.1f%% of users in the table", pct)
	}
	genders, segments := map[string]bool{}, map[int64]bool{}
	for id := int64(1); id <= UsersTotal; id++ {
		if g := users.Lookup(id); g.Known {
			genders[g.Gender] = true
			segments[g.Segment] = true
		}
	}
	if len(genders) != 2 || len(segments) != Segments {
		t.Errorf("%d genders, %d segments", len(genders), len(segments))
	}
}

// row is one output line, either form.
type row struct {
	Stream      string  `json:"stream"`
	WindowStart string  `json:"window_start"`
	WindowEnd   string  `json:"window_end"`
	Gender      *string `json:"gender"`
	Segment     *int64  `json:"segment_id"`
	Article     int64   `json:"article_id"`
	Impression  int64   `json:"impression"`
	Click       int64   `json:"click"`
	Item        int64   `json:"ITEM"`
	ItemCount   int64   `json:"ITEM_COUNT"`
}

func (r row) String() string {
	g, s := "null", "null"
	if r.Gender != nil {
		g = *r.Gender
	}
	if r.Segment != nil {
		s = strconv.FormatInt(*r.Segment, 10)
	}
	return fmt.Sprintf("{%s %s..%s %s/%s/%d %d/%d item %d×%d}", r.Stream, r.WindowStart, r.WindowEnd, g, s, r.Article, r.Impression, r.Click, r.Item, r.ItemCount)
}

func rowKey(r row) string { return r.String() }

func rfc(t record.Time) string { return time.Unix(0, int64(t)).UTC().Format(time.RFC3339Nano) }

// naiveUsers parses the CSV text independently of LoadUsers.
func naiveUsers(csv string) map[int64][2]string {
	m := map[int64][2]string{}
	for _, l := range strings.Split(strings.TrimSpace(csv), "\n") {
		f := strings.Split(l, ",")
		id, _ := strconv.ParseInt(f[0], 10, 64)
		m[id] = [2]string{f[1], f[2]}
	}
	return m
}

// naive computes the query after the fact: group by (minute, gender,
// segment, article), rows of a minute in order of first appearance; then the
// top k articles by clicks of each minute, ties by first click.
func naive(users map[int64][2]string, recs []Record, k int) (counts, top []row) {
	type key struct {
		minute          int64
		gender, segment string
		known           bool
		article         int64
	}
	type ic struct{ imp, click int64 }
	agg := map[key]*ic{}
	var order []key
	clicks := map[[2]int64]int64{}
	var clickOrder [][2]int64
	for _, r := range recs {
		m := r.Time.Truncate(time.Minute)
		u, known := users[r.Value.UserID]
		k := key{int64(m), u[0], u[1], known, r.Value.ArticleID}
		if agg[k] == nil {
			agg[k] = &ic{}
			order = append(order, k)
		}
		if r.Value.Action == Click {
			agg[k].click++
			ck := [2]int64{int64(m), r.Value.ArticleID}
			if clicks[ck] == 0 {
				clickOrder = append(clickOrder, ck)
			}
			clicks[ck]++
		} else {
			agg[k].imp++
		}
	}
	slices.SortStableFunc(order, func(a, b key) int { return cmp.Compare(a.minute, b.minute) })
	for _, k := range order {
		r := row{WindowStart: rfc(record.Time(k.minute)), WindowEnd: rfc(record.Time(k.minute) + record.Time(time.Minute)),
			Article: k.article, Impression: agg[k].imp, Click: agg[k].click}
		if k.known {
			g := k.gender
			s, _ := strconv.ParseInt(k.segment, 10, 64)
			r.Gender, r.Segment = &g, &s
		}
		counts = append(counts, r)
	}
	slices.SortStableFunc(clickOrder, func(a, b [2]int64) int { return cmp.Compare(a[0], b[0]) })
	for i := 0; i < len(clickOrder); {
		j := i
		for j < len(clickOrder) && clickOrder[j][0] == clickOrder[i][0] {
			j++
		}
		w := clickOrder[i:j]
		slices.SortStableFunc(w, func(a, b [2]int64) int { return cmp.Compare(clicks[b], clicks[a]) })
		for _, ck := range w[:min(k, len(w))] {
			top = append(top, row{Stream: TopStream, WindowStart: rfc(record.Time(ck[0])),
				WindowEnd: rfc(record.Time(ck[0]) + record.Time(time.Minute)), Item: ck[1], ItemCount: clicks[ck]})
		}
		i = j
	}
	return counts, top
}

func split(rows []row) (counts, top []row) {
	for _, r := range rows {
		if r.Stream == TopStream {
			top = append(top, r)
		} else {
			counts = append(counts, r)
		}
	}
	return counts, top
}

// smallWorkload is a few minutes of a thinner stream than the default
// (every 200th record of it), over a small user table with unknown users.
func smallWorkload(seed uint64, n int) (string, []Record) {
	g := NewGenerator(seed)
	recs := make([]Record, n)
	for i := range recs {
		for range 199 {
			g.Next()
		}
		recs[i] = g.Next()
		recs[i].Value.UserID %= 40 // users 0..39; the table below holds 1..30
		recs[i].Value.ArticleID %= 25
	}
	var csv strings.Builder
	rng := rand.New(rand.NewPCG(seed, 9))
	for id := 1; id <= 30; id++ {
		fmt.Fprintf(&csv, "%d,%s,%d\n", id, Genders[rng.IntN(2)], 1+rng.IntN(3))
	}
	return csv.String(), recs
}

func TestQueryAgainstNaive(t *testing.T) {
	for _, tc := range []struct {
		n, k int
	}{{0, 0}, {1, 3}, {500, 0}, {5000, 5}, {5000, 100}} {
		t.Run(fmt.Sprintf("n=%d/k=%d", tc.n, tc.k), func(t *testing.T) {
			csv, recs := smallWorkload(uint64(tc.n+1), tc.n)
			users, err := LoadUsers(strings.NewReader(csv))
			if err != nil {
				t.Fatal(err)
			}
			q, err := New(users, &Options{TopK: tc.k})
			if err != nil {
				t.Fatal(err)
			}
			gotCounts, gotTop := split(querytest.Parse[row](t, querytest.Lines(t, q, recs, true)))
			wantCounts, wantTop := naive(naiveUsers(csv), recs, tc.k)
			if !slices.EqualFunc(gotCounts, wantCounts, func(a, b row) bool { return rowKey(a) == rowKey(b) }) {
				t.Errorf("counts: got %d rows, want %d\n got %v\nwant %v", len(gotCounts), len(wantCounts), head(gotCounts), head(wantCounts))
			}
			if !slices.EqualFunc(gotTop, wantTop, func(a, b row) bool { return rowKey(a) == rowKey(b) }) {
				t.Errorf("top: got %d rows, want %d\n got %v\nwant %v", len(gotTop), len(wantTop), head(gotTop), head(wantTop))
			}
			if tc.n >= 100 && !slices.ContainsFunc(gotCounts, func(r row) bool { return r.Gender == nil }) {
				t.Error("no row for unknown users")
			}
		})
	}
}

// TestTopApproximate gives the top-K summary fewer counters than there are
// clicked articles: each reported count is then an upper bound within
// clicks/capacity of the truth, and the heaviest article still comes first.
func TestTopApproximate(t *testing.T) {
	csv, recs := smallWorkload(5, 8000)
	users, err := LoadUsers(strings.NewReader(csv))
	if err != nil {
		t.Fatal(err)
	}
	const k, capacity = 2, 4
	q, err := New(users, &Options{TopK: k, TopCapacity: capacity})
	if err != nil {
		t.Fatal(err)
	}
	_, gotTop := split(querytest.Parse[row](t, querytest.Lines(t, q, recs, true)))
	_, exact := naive(naiveUsers(csv), recs, 1000)
	truth := map[string]int64{}
	clicks := map[string]int64{}
	first := map[string]int64{}
	for _, r := range exact {
		truth[fmt.Sprint(r.WindowStart, r.Item)] = r.ItemCount
		clicks[r.WindowStart] += r.ItemCount
		if _, ok := first[r.WindowStart]; !ok {
			first[r.WindowStart] = r.Item
		}
	}
	if len(gotTop) == 0 {
		t.Fatal("no top-K rows")
	}
	for i, r := range gotTop {
		tr := truth[fmt.Sprint(r.WindowStart, r.Item)]
		if r.ItemCount < tr || r.ItemCount-tr > clicks[r.WindowStart]/capacity {
			t.Errorf("%v: true count %d, bound %d", r, tr, clicks[r.WindowStart]/capacity)
		}
		if (i == 0 || gotTop[i-1].WindowStart != r.WindowStart) && r.Item != first[r.WindowStart] {
			t.Errorf("%v: the most clicked article is %d", r, first[r.WindowStart])
		}
	}
	if _, err := New(users, &Options{TopK: 3, TopCapacity: 2}); err == nil {
		t.Error("a capacity below K accepted")
	}
}

func head(rows []row) []row { return rows[:min(len(rows), 8)] }

// TestPartialMerge splits a stream over shards, runs a Partial operator per
// shard, merges the partial states per (window, key) and checks the merge
// against one Query over the whole stream.
func TestPartialMerge(t *testing.T) {
	csv, recs := smallWorkload(42, 6000)
	users, err := LoadUsers(strings.NewReader(csv))
	if err != nil {
		t.Fatal(err)
	}
	q, err := New(users, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Counts{}
	for _, r := range querytest.Parse[row](t, querytest.Lines(t, q, recs, true)) {
		r2 := r
		r2.Impression, r2.Click = 0, 0
		want[rowKey(r2)] = Counts{First: r.Impression, Second: r.Click}
	}
	const shards = 4
	f := CountsFunc()
	type wk struct {
		start record.Time
		key   Key
	}
	merged := map[wk]*State{}
	for s := range shards {
		op, err := Partial(nil)
		if err != nil {
			t.Fatal(err)
		}
		emit := func(r window.Result[Key, State]) {
			k := wk{r.Start, r.Key}
			if merged[k] == nil {
				merged[k] = new(State)
			}
			f.Merge(merged[k], &r.Value)
		}
		for i, r := range recs {
			if i%shards == s {
				if err := op.Push(Join(users, r), emit); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := op.Flush(emit); err != nil {
			t.Fatal(err)
		}
	}
	if len(merged) != len(want) {
		t.Fatalf("%d merged (window, key) pairs, want %d", len(merged), len(want))
	}
	for k, st := range merged {
		out := []string{string(AppendLine(nil, window.Result[Key, Counts]{Start: k.start, End: k.start + record.Time(time.Minute), Key: k.key, Value: f.Result(st)}))}
		r := querytest.Parse[row](t, out)[0]
		c := Counts{First: r.Impression, Second: r.Click}
		r.Impression, r.Click = 0, 0
		if w, ok := want[rowKey(r)]; !ok || w != c {
			t.Errorf("%v: merged %+v, want %+v (present %v)", r, c, w, ok)
		}
	}
}

func TestQueryLate(t *testing.T) {
	recs := Generate(1, 3)
	recs[2].Time = recs[0].Time + record.Time(2*time.Minute)
	late := map[string]int{}
	q, err := New(nil, &Options{TopK: 1, Late: func(e Event, stream string, err error) {
		if !errors.Is(err, window.ErrLate) {
			t.Errorf("late error %v", err)
		}
		late[stream]++
	}})
	if err != nil {
		t.Fatal(err)
	}
	click := recs[0]
	click.Value.Action = Click
	emit := func([]byte) {}
	for _, r := range []Record{recs[0], recs[2], click} {
		if err := q.Push(r, emit); err != nil {
			t.Fatal(err)
		}
	}
	if late[CountsStream] != 1 || late[TopStream] != 1 {
		t.Fatalf("late = %v", late)
	}
	if _, err := New(nil, &Options{TopK: -1}); err == nil {
		t.Error("negative TopK accepted")
	}
	if _, err := New(nil, &Options{Delay: -1}); err == nil {
		t.Error("negative Delay accepted")
	}
}

// slowDecode is Decode without the scanner.
func slowDecode(payload []byte) (Record, error) {
	recs, err := decoder.Append(nil, payload, 0)
	if err != nil || len(recs) != 1 {
		return Record{}, fmt.Errorf("%v, %d records", err, len(recs))
	}
	return recs[0], nil
}

var scanSeeds = []string{
	`{"article_id":17,"user_id":101,"action":"click","timestamp":1769472000123}`,
	` {"timestamp":-5 ,"action" : "impression","user_id":0,"article_id":-3}` + "\n",
	`{"article_id":17,"user_id":101,"action":"click","timestamp":1769472000123,"x":1}`,
	`{"article_id":17,"user_id":101,"action":"click","timestamp":1.5}`,
	`{"article_id":17,"user_id":101,"action":"click","timestamp":1e3}`,
	`{"article_id":017,"user_id":101,"action":"click","timestamp":1}`,
	`{"article_id":17,"user_id":101,"action":"cl\u0069ck","timestamp":1}`,
	`{"Article_ID":17,"user_id":101,"action":"click","timestamp":1}`,
	`{"article_id":17,"user_id":101,"article_id":18,"action":"click","timestamp":1}`,
	`{"article_id":17,"user_id":101,"action":"click","timestamp":9223372036854}`,
	`{"article_id":17,"user_id":101,"action":"click","timestamp":9223372036855}`,
	`{"article_id":17,"user_id":101,"action":"click","timestamp":1}x`,
	`{"article_id":17,"user_id":101,"action":"click","timestamp":1},`,
	`{"article_id":17,"user_id":101,"action":"click","timestamp":null}`,
	`{"article_id":null,"user_id":101,"action":"click","timestamp":1}`,
	`{"article_id":17,"user_id":101,"action":"click",}`,
	`{"article_id":17 "user_id":101,"action":"click","timestamp":1}`,
	`{}`,
	`[]`,
	``,
}

func TestScan(t *testing.T) {
	for _, s := range scanSeeds {
		checkScan(t, []byte(s))
	}
	// Every generated payload takes the fast path.
	for _, r := range Generate(1, 1000) {
		got, ok := scan(AppendJSON(nil, r))
		if !ok || got != r {
			t.Fatalf("scan(%s) = %v, %v", AppendJSON(nil, r), got, ok)
		}
	}
}

// checkScan checks that what scan accepts, the full decoder decodes to the
// same record.
func checkScan(t *testing.T, b []byte) {
	got, ok := scan(b)
	if !ok {
		return
	}
	want, err := slowDecode(b)
	if err != nil {
		t.Fatalf("scan accepted %q, which the decoder rejects: %v", b, err)
	}
	if got != want {
		t.Fatalf("scan(%q) = %+v, the decoder gives %+v", b, got, want)
	}
}

func FuzzScan(f *testing.F) {
	for _, s := range scanSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkScan(t, b)
		// Decode never panics, and errors wrap ErrDecode.
		if _, err := Decode(b); err != nil && !errors.Is(err, ErrDecode) {
			t.Fatalf("Decode(%q): %v does not wrap ErrDecode", b, err)
		}
	})
}
