package window

import (
	"fmt"
	"strings"
	"time"

	"github.com/rowtime/rowtime/record"
)

// rec is the record of the tests and benchmarks: a time, a key and a value.
type rec[K comparable, V any] struct {
	T   record.Time
	Key K
	V   V
}

func (r rec[K, V]) EventTime() record.Time { return r.T }

func recKey[K comparable, V any](r rec[K, V]) K { return r.Key }
func recV[K comparable, V any](r rec[K, V]) V   { return r.V }

// tev is the record of most tests: a string key and an integer value. Its
// shape is in the snapshots the golden scripts measure.
type tev = rec[string, int64]

func tevKey(e tev) string { return e.Key }

// weatherRows is the WEATHER stream of KDA's reference: the key is the city,
// the value the temperature.
func weatherRows() []tev {
	rows := []struct {
		t    string
		city string
		temp int64
	}{
		{"2018-11-01 01:00", "Denver", 29}, {"2018-11-01 01:00", "Anchorage", 2}, {"2018-11-01 06:00", "Miami", 65},
		{"2018-11-01 07:00", "Denver", 32}, {"2018-11-01 09:00", "Anchorage", 9}, {"2018-11-01 13:00", "Denver", 50},
		{"2018-11-01 17:00", "Anchorage", 10}, {"2018-11-01 18:00", "Miami", 71}, {"2018-11-01 19:00", "Denver", 43},
		{"2018-11-02 01:00", "Anchorage", 4}, {"2018-11-02 01:00", "Denver", 39}, {"2018-11-02 07:00", "Denver", 46},
		{"2018-11-02 09:00", "Anchorage", 3}, {"2018-11-02 13:00", "Denver", 56}, {"2018-11-02 17:00", "Anchorage", 2},
		{"2018-11-02 19:00", "Denver", 50}, {"2018-11-03 01:00", "Denver", 36}, {"2018-11-03 01:00", "Anchorage", 1},
	}
	out := make([]tev, len(rows))
	for i, r := range rows {
		out[i] = tev{utc(r.t + ":00"), r.city, r.temp}
	}
	return out
}

// snapshotter is what the operators have for snapshots.
type snapshotter interface {
	AppendSnapshot([]byte) ([]byte, error)
	Restore([]byte) error
}

// operator is what the operators of the package have in common.
type operator[In, Out any] interface {
	record.Operator[In, Out]
	snapshotter
	Stats() Stats
}

// tevSum sums V exactly.
type tevSum struct{}

func (tevSum) Add(a *int64, r tev)    { *a += r.V }
func (tevSum) Merge(dst, src *int64)  { *dst += *src }
func (tevSum) Result(a *int64) int64  { return *a }
func (tevSum) Remove(a *int64, r tev) { *a -= r.V }

// tevMax keeps the largest V; the zero state is empty.
type tevMaxState struct {
	V   int64
	Set bool
}

type tevMax struct{}

func (tevMax) Add(a *tevMaxState, r tev) {
	if !a.Set || r.V > a.V {
		*a = tevMaxState{r.V, true}
	}
}

func (tevMax) Merge(dst, src *tevMaxState) {
	if src.Set && (!dst.Set || src.V > dst.V) {
		*dst = *src
	}
}

func (tevMax) Result(a *tevMaxState) int64 { return a.V }

// tevList lists the values in merge order. Its state holds a slice, so it
// also catches an operator that merges into a shallow copy it does not own.
type tevList struct{}

func (tevList) Add(a *[]int64, r tev)   { *a = append(*a, r.V) }
func (tevList) Merge(dst, src *[]int64) { *dst = append(*dst, *src...) }
func (tevList) Result(a *[]int64) string {
	var b strings.Builder
	for i, v := range *a {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprint(&b, v)
	}
	return b.String()
}

// tevCounting is tevSum that counts its own calls.
type tevCounting struct{ calls *int }

func (c tevCounting) Add(a *int64, r tev)   { *c.calls++; *a += r.V }
func (c tevCounting) Merge(dst, src *int64) { *c.calls++; *dst += *src }
func (c tevCounting) Result(a *int64) int64 { return *a }

// collectTev runs op over recs, then flushes, and returns the results.
func collectTev[K comparable, V any](op *Agg[tev, K, V], recs []tev) ([]Result[K, V], error) {
	return record.Collect[tev, Result[K, V]](op, recs)
}

// fmtResults formats results compactly, times as durations since the epoch:
// "[0s,10s) a 1; [0s,10s) a 5 update".
func fmtResults[K, V any](rs []Result[K, V]) string {
	var b strings.Builder
	for i, r := range rs {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "[%v,%v) %v %v", time.Duration(r.Start), time.Duration(r.End), r.Key, r.Value)
		if r.Update {
			b.WriteString(" update")
		}
	}
	return b.String()
}
