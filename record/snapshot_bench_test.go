package record

import "testing"

// BenchmarkThenSnapshot measures the snapshot and restore of a composed
// pipeline (a Then of a Map and a Tee of two stateful stages holding 64
// times each): the framing a composition adds around its stages' own
// snapshots.
func BenchmarkThenSnapshot(b *testing.B) {
	var log []string
	a := &buffer{name: "a", log: &log}
	c := &buffer{name: "c", log: &log}
	for i := range 64 {
		a.held = append(a.held, Time(i*1000))
		c.held = append(c.held, Time(i*7))
	}
	op := Then(Map(func(t Time) Time { return t }), Tee[Time, Time](a, c))
	s := op.(Snapshotter)
	snap, err := s.AppendSnapshot(nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("op=snapshot", func(b *testing.B) {
		buf := make([]byte, 0, 2*len(snap))
		b.ReportAllocs()
		for b.Loop() {
			if buf, err = s.AppendSnapshot(buf[:0]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("op=restore", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := s.Restore(snap); err != nil {
				b.Fatal(err)
			}
		}
	})
}
