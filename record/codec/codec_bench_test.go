package codec

import (
	"strconv"
	"testing"
)

type benchKey struct {
	Region string
	ID     int64
	Score  float64
}

func BenchmarkAppendBinary(b *testing.B) {
	b.Run("type=int64", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 64)
		var x int64 = 123456
		for b.Loop() {
			buf, _ = Append(buf[:0], x)
		}
	})
	b.Run("type=string", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 64)
		s := "eu-west-1/customer-42"
		for b.Loop() {
			buf, _ = Append(buf[:0], s)
		}
	})
	b.Run("type=struct", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 64)
		k := benchKey{"eu-west-1", 42, 1.5}
		for b.Loop() {
			buf, _ = Append(buf[:0], k)
		}
	})
	b.Run("type=map/keys=100000", func(b *testing.B) {
		m := make(map[string]int64, 100000)
		for i := range 100000 {
			m["key-"+strconv.Itoa(i)] = int64(i)
		}
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			buf, _ = Append(buf[:0], m)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/100000, "ns/key")
	})
}

func BenchmarkReadBinary(b *testing.B) {
	b.Run("type=int64", func(b *testing.B) {
		b.ReportAllocs()
		src, _ := Append(nil, int64(123456))
		var x int64
		for b.Loop() {
			Read(src, &x)
		}
	})
	b.Run("type=struct", func(b *testing.B) {
		b.ReportAllocs()
		src, _ := Append(nil, benchKey{"eu-west-1", 42, 1.5})
		var k benchKey
		for b.Loop() {
			Read(src, &k)
		}
	})
}
