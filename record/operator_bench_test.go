package record

import (
	"syscall"
	"testing"
	"time"
)

// cpuTime returns the CPU time the process has used. On a shared machine it
// is a steadier measure than the wall clock, which counts time spent waiting
// for a core.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkThen measures what composition costs: one record through a Then
// chain of three Maps, against the same three functions called directly.
// ns/stage is the chain's cost per record divided by its three stages.
func BenchmarkThen(b *testing.B) {
	f := func(x int64) int64 { return x + 1 }
	g := func(x int64) int64 { return x * 3 }
	h := func(x int64) int64 { return x - 2 }
	var sink int64
	emit := func(x int64) { sink += x }
	b.Run("impl=direct", func(b *testing.B) {
		b.ReportAllocs()
		var i int64
		for b.Loop() {
			i++
			emit(h(g(f(i))))
		}
	})
	b.Run("impl=Then/stages=3", func(b *testing.B) {
		op := Then(Then(Map(f), Map(g)), Map(h))
		b.ReportAllocs()
		var i int64
		cpu := cpuTime()
		for b.Loop() {
			i++
			if err := op.Push(i, emit); err != nil {
				b.Fatal(err)
			}
		}
		cpu = cpuTime() - cpu
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/3, "ns/stage")
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/3, "cpu-ns/stage")
	})
	_ = sink
}
