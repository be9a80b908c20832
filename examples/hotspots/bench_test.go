package main

import (
	"io"
	"testing"

	"github.com/rowtime/rowtime/examples/internal/cli"
	"github.com/rowtime/rowtime/hotspot"
	"github.com/rowtime/rowtime/hotspot/hotspottest"
)

// BenchmarkHotspots measures the program's work per record, end to end:
// reading the coordinates from the JSON object, HOTSPOTS(1000, 0.2, 17) over
// KDA's generator, and writing the object back with HOTSPOTS_RESULT. One op
// is one record.
func BenchmarkHotspots(b *testing.B) {
	const n = 20_000
	g := hotspottest.NewGenerator(1)
	lines := make([][]byte, n)
	for i := range lines {
		lines[i] = generated(nil, g.Next(), "x", "y")
	}
	op, err := hotspot.New(1000, 0.2, 17, coords, &hotspot.Options{Dims: 2})
	if err != nil {
		b.Fatal(err)
	}
	out := cli.NewOutput(io.Discard)
	var raw, buf, scratch []byte
	emit := func(r hotspot.Result[point]) {
		buf, scratch, err = appendResult(buf[:0], raw, r.Hotspots, scratch)
		out.Line(buf)
	}
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		raw = lines[i%n]
		x, y, derr := decode(raw, "x", "y")
		if derr != nil {
			b.Fatal(derr)
		}
		if perr := op.Push(point{x: x, y: y}, emit); perr != nil || err != nil {
			b.Fatal(perr, err)
		}
		i++
	}
	b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "records/s")
}
