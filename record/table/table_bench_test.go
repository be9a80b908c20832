package table

import (
	"bytes"
	"fmt"
	"runtime"
	"testing"
)

// tableCSV returns a CSV file of n rows of about 50 bytes each.
func tableCSV(n int) []byte {
	var b bytes.Buffer
	b.WriteString("id,company,exchange,sector,price\n")
	for i := range n {
		fmt.Fprintf(&b, "T%06d,Company number %06d,NASDAQ,TECH,%d.%02d\n", i, i, 100+i%900, i%100)
	}
	return b.Bytes()
}

// tableMemory loads data and returns the heap bytes the table keeps.
func tableMemory(tb testing.TB, data []byte) (*Table[string], uint64) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	tab, err := ReadCSV(bytes.NewReader(data), StringKey("id"), nil)
	if err != nil {
		tb.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(tab)
	return tab, after.HeapAlloc - before.HeapAlloc
}

func TestTableMemory(t *testing.T) {
	n := 50_000
	if testing.Short() {
		n = 10_000
	}
	data := tableCSV(n)
	tab, mem := tableMemory(t, data)
	if tab.Len() != n {
		t.Fatalf("%d rows", tab.Len())
	}
	if ratio := float64(mem) / float64(len(data)); ratio > 3 {
		t.Fatalf("table of %d bytes holds %d bytes: %.2fx the file, want <= 3x", len(data), mem, ratio)
	}
}

// BenchmarkTable reports the memory a table keeps per row (about 50 bytes of
// CSV each) and its size over the file's, and the cost of one look-up.
func BenchmarkTable(b *testing.B) {
	const n = 100_000
	data := tableCSV(n)
	b.Run("op=load/rows=100000", func(b *testing.B) {
		b.ReportAllocs()
		var mem uint64
		var tab *Table[string]
		for b.Loop() {
			tab, mem = tableMemory(b, data)
		}
		b.ReportMetric(float64(len(data))/n, "file-bytes/row")
		b.ReportMetric(float64(mem)/n, "bytes/row")
		b.ReportMetric(float64(mem)/float64(len(data)), "x-file")
		runtime.KeepAlive(tab)
	})
	b.Run("op=lookup/rows=100000", func(b *testing.B) {
		tab, err := ReadCSV(bytes.NewReader(data), StringKey("id"), nil)
		if err != nil {
			b.Fatal(err)
		}
		keys := make([]string, 1024)
		for i := range keys {
			keys[i] = fmt.Sprintf("T%06d", i*97%n)
		}
		c, _ := tab.Column("company")
		b.ReportAllocs()
		i := 0
		var sink int
		for b.Loop() {
			r, ok := tab.Lookup(keys[i&1023])
			if !ok {
				b.Fatal("missing")
			}
			sink += len(r.Field(c))
			i++
		}
		_ = sink
	})
}
