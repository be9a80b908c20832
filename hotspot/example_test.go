package hotspot_test

import (
	"fmt"

	"github.com/rowtime/rowtime/hotspot"
	"github.com/rowtime/rowtime/hotspot/hotspottest"
	"github.com/rowtime/rowtime/record"
)

func ExampleFind() {
	points := [][]float64{
		{1, 1}, {1.1, 1}, {1, 1.1}, {1.1, 1.1}, // a dense square
		{5, 5}, {5.1, 5}, // too few to be a hotspot
		{9, 0}, // noise
	}
	hs, err := hotspot.Find(points, 0.2, 3)
	if err != nil {
		panic(err)
	}
	for _, h := range hs {
		fmt.Printf("%d points in %v–%v, density %.1f\n", h.Count, h.Min, h.Max, h.Density)
	}
	// Output:
	// 4 points in [1 1]–[1.1 1.1], density 100.0
}

// Pickup is a taxi pickup: an event time and a place.
type Pickup struct {
	Time     record.Time
	Lon, Lat float64
}

func (p Pickup) EventTime() record.Time { return p.Time }

func ExampleNew() {
	op, err := hotspot.New(5, 0.5, 3,
		func(dst []float64, p Pickup) []float64 { return append(dst, p.Lon, p.Lat) },
		nil)
	if err != nil {
		panic(err)
	}
	pickups := []Pickup{
		{1, 0, 0}, {2, 0.25, 0}, {3, 0, 0.25}, {4, 7, 7}, {5, 7, 7.25}, {6, 7.25, 7}, {7, 7, 7.5},
	}
	// Widths below ε count as ε: the first hotspot's area is 0.5 × 0.5.
	var buf []byte
	for _, p := range pickups {
		err := op.Push(p, func(r hotspot.Result[Pickup]) {
			buf, _ = r.AppendJSON(buf[:0])
			fmt.Printf("%d %s\n", r.EventTime(), buf)
		})
		if err != nil {
			panic(err)
		}
	}
	// Output:
	// 1 {"hotspots":[]}
	// 2 {"hotspots":[]}
	// 3 {"hotspots":[{"density":12,"minValues":[0,0],"maxValues":[0.25,0.25]}]}
	// 4 {"hotspots":[{"density":12,"minValues":[0,0],"maxValues":[0.25,0.25]}]}
	// 5 {"hotspots":[{"density":12,"minValues":[0,0],"maxValues":[0.25,0.25]}]}
	// 6 {"hotspots":[{"density":12,"minValues":[7,7],"maxValues":[7.25,7.25]}]}
	// 7 {"hotspots":[{"density":16,"minValues":[7,7],"maxValues":[7.25,7.5]}]}
}

// The operator on KDA's own test workload: a hotspot that moves every 1,000
// points, reported only when the hotspots change and only every 500th record.
func ExampleNew_workload() {
	op, err := hotspot.New(1000, 0.2, 17,
		func(dst []float64, r record.Of[hotspottest.Point]) []float64 {
			return append(dst, r.Value.X, r.Value.Y)
		},
		&hotspot.Options{Every: 500, OnlyChanges: true})
	if err != nil {
		panic(err)
	}
	g := hotspottest.NewGenerator(1)
	var prev, cur hotspottest.Square
	for i := range 4000 {
		p := g.Next()
		if p.Square != cur {
			prev, cur = cur, p.Square
		}
		op.Push(record.Of[hotspottest.Point]{Time: record.Time(i), Value: p}, func(r hotspot.Result[record.Of[hotspottest.Point]]) {
			for _, h := range r.Hotspots {
				if h.Density < 40 {
					continue
				}
				where := "elsewhere"
				if cur.Overlaps(h.Min, h.Max) {
					where = "on the planted square"
				} else if prev.Overlaps(h.Min, h.Max) {
					where = "on the previous square"
				}
				fmt.Printf("record %d: density %.0f, %s\n", r.Record.Time, h.Density, where)
			}
		})
	}
	st := op.Stats()
	fmt.Println("records:", st.Records, "emitted:", st.Emitted, "window:", st.Window)
	// Output:
	// record 499: density 158, on the planted square
	// record 499: density 113, on the planted square
	// record 999: density 180, on the planted square
	// record 1499: density 137, on the planted square
	// record 1499: density 134, on the planted square
	// record 1499: density 117, on the previous square
	// record 1999: density 158, on the planted square
	// record 2499: density 133, on the planted square
	// record 2999: density 147, on the planted square
	// record 3499: density 218, on the previous square
	// record 3499: density 169, on the planted square
	// record 3499: density 101, on the planted square
	// record 3999: density 183, on the planted square
	// records: 4000 emitted: 8 window: 1000
}

func ExampleOperator_AppendSnapshot() {
	coords := func(dst []float64, r record.Of[float64]) []float64 { return append(dst, r.Value) }
	op, _ := hotspot.New(4, 0.5, 2, coords, nil)
	for i, x := range []float64{1, 1.25, 9} {
		op.Push(record.Of[float64]{Time: record.Time(i), Value: x}, func(hotspot.Result[record.Of[float64]]) {})
	}
	snap, err := op.AppendSnapshot(nil)
	if err != nil {
		panic(err)
	}

	// Later, perhaps in another process: the same parameters, then Restore.
	again, _ := hotspot.New(4, 0.5, 2, coords, nil)
	if err := again.Restore(snap); err != nil {
		panic(err)
	}
	again.Push(record.Of[float64]{Time: 3, Value: 9.5}, func(r hotspot.Result[record.Of[float64]]) {
		b, _ := r.AppendJSON(nil)
		fmt.Println(string(b))
	})
	// Output:
	// {"hotspots":[{"density":4,"minValues":[1],"maxValues":[1.25]},{"density":4,"minValues":[9],"maxValues":[9.5]}]}
}

func ExampleAppendJSON() {
	hs := []hotspot.Hotspot{{Count: 20, Density: 80, Min: []float64{1, 2}, Max: []float64{1.5, 2.5}}}
	b, _ := hotspot.AppendJSON([]byte("HOTSPOTS_RESULT="), hs)
	fmt.Println(string(b))
	// Output:
	// HOTSPOTS_RESULT={"hotspots":[{"density":80,"minValues":[1,2],"maxValues":[1.5,2.5]}]}
}
