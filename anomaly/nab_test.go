package anomaly

import (
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"testing"
)

// The tests in this file compare rowtime's scores with the ones Kinesis
// Data Analytics itself computed for three series of the Numenta Anomaly
// Benchmark. The data is not part of the repository: ROWTIME_NAB names its
// folder, by default ../shared/testdata/nab beside the module root.

type nabRow struct {
	time  string
	value float64
	kda   float64 // KDA's ANOMALY_SCORE (the file holds it divided by 8)
	label bool
}

func nabDir(t testing.TB) string {
	if d := os.Getenv("ROWTIME_NAB"); d != "" {
		return d
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(d, "..", "shared", "testdata", "nab")
		}
		if filepath.Dir(d) == d {
			t.Fatalf("no go.mod above %s", wd)
		}
	}
}

func readNAB(t testing.TB, name string) []nabRow {
	t.Helper()
	path := filepath.Join(nabDir(t), name)
	f, err := os.Open(path)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("KDA's output is missing under CI: %v (set ROWTIME_NAB)", err)
		}
		t.Skipf("KDA's output is not here: %v (set ROWTIME_NAB)", err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) < 2 || !slices.Equal(recs[0], []string{"timestamp", "value", "anomaly_score", "label"}) {
		t.Fatalf("%s: unexpected header %v", name, recs[0])
	}
	rows := make([]nabRow, 0, len(recs)-1)
	for i, r := range recs[1:] {
		v, err1 := strconv.ParseFloat(r[1], 64)
		s, err2 := strconv.ParseFloat(r[2], 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: line %d: %v", name, i+2, r)
		}
		rows = append(rows, nabRow{time: r[0], value: v, kda: s * 8, label: r[3] == "1"})
	}
	return rows
}

// runKDA scores the series with KDA's parameters of the NAB run.
func runKDA(t testing.TB, rows []nabRow, seed uint64) []float64 {
	f, err := NewForest(1, &Options{Trees: 100, SampleSize: 256, TimeDecay: 100000, ShingleSize: 1, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	scores := make([]float64, len(rows))
	v := make([]float64, 1)
	for i, r := range rows {
		v[0] = r.value
		if scores[i], err = f.Update(v); err != nil {
			t.Fatal(err)
		}
	}
	return scores
}

// percentile is numpy's default (linear interpolation between the closest
// ranks).
func percentile(xs []float64, q float64) float64 {
	s := slices.Clone(xs)
	sort.Float64s(s)
	pos := q / 100 * float64(len(s)-1)
	lo := int(math.Floor(pos))
	if lo+1 >= len(s) {
		return s[len(s)-1]
	}
	return s[lo] + (pos-float64(lo))*(s[lo+1]-s[lo])
}

// ranks gives average ranks (ties share the mean of their ranks).
func ranks(xs []float64) []float64 {
	idx := make([]int, len(xs))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return xs[idx[a]] < xs[idx[b]] })
	r := make([]float64, len(xs))
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && xs[idx[j+1]] == xs[idx[i]] {
			j++
		}
		avg := float64(i+j)/2 + 1
		for k := i; k <= j; k++ {
			r[idx[k]] = avg
		}
		i = j + 1
	}
	return r
}

func pearson(a, b []float64) float64 {
	var ma, mb float64
	for i := range a {
		ma += a[i]
		mb += b[i]
	}
	ma /= float64(len(a))
	mb /= float64(len(b))
	var sab, saa, sbb float64
	for i := range a {
		sab += (a[i] - ma) * (b[i] - mb)
		saa += (a[i] - ma) * (a[i] - ma)
		sbb += (b[i] - mb) * (b[i] - mb)
	}
	return sab / math.Sqrt(saa*sbb)
}

func spearman(a, b []float64) float64 { return pearson(ranks(a), ranks(b)) }

func leadingZeros(xs []float64) int {
	n := 0
	for n < len(xs) && xs[n] == 0 {
		n++
	}
	return n
}

// topTimes returns the times of the k highest scores.
func topTimes(rows []nabRow, scores []float64, k int) []string {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return scores[idx[a]] > scores[idx[b]] })
	out := make([]string, k)
	for i := range k {
		out[i] = rows[idx[i]].time
	}
	sort.Strings(out)
	return out
}

func TestNYCTaxiMatchesKDA(t *testing.T) {
	rows := readNAB(t, "nyc_taxi.csv")
	kda := make([]float64, len(rows))
	for i, r := range rows {
		kda[i] = r.kda
	}
	for _, seed := range []uint64{1, 2, 3} {
		scores := runKDA(t, rows, seed)
		if z := leadingZeros(scores); z != 256 {
			t.Errorf("seed %d: %d leading zeros, want 256", seed, z)
		}
		if z := leadingZeros(kda); z != 256 {
			t.Fatalf("KDA's file has %d leading zeros", z)
		}
		ours, theirs := scores[256:], kda[256:]
		med, p99 := percentile(ours, 50), percentile(ours, 99)
		kmed, kp99 := percentile(theirs, 50), percentile(theirs, 99)
		rho := spearman(ours, theirs)
		top, ktop := topTimes(rows, scores, 5), topTimes(rows, kda, 5)
		t.Logf("seed %d: median %.4f (KDA %.4f), p99 %.4f (KDA %.4f), Spearman %.4f, top five %v",
			seed, med, kmed, p99, kp99, rho, top)
		if math.Abs(med-0.826) > 0.02*0.826 {
			t.Errorf("seed %d: median %.4f, want within 2%% of KDA's 0.826", seed, med)
		}
		if math.Abs(p99-1.622) > 0.05*1.622 {
			t.Errorf("seed %d: 99th percentile %.4f, want within 5%% of KDA's 1.622", seed, p99)
		}
		if rho < 0.95 {
			t.Errorf("seed %d: Spearman %.4f with KDA's scores, want ≥ 0.95", seed, rho)
		}
		if !slices.Equal(top, ktop) {
			t.Errorf("seed %d: five highest at %v, KDA's at %v", seed, top, ktop)
		}
	}
}

func TestArtDailyJumpsUpMatchesKDA(t *testing.T) {
	rows := readNAB(t, "art_daily_jumpsup.csv")
	scores := runKDA(t, rows, 1)
	best, bestInside := 0.0, 0.0
	for i, r := range rows {
		if r.label {
			bestInside = max(bestInside, scores[i])
		} else {
			best = max(best, scores[i])
		}
	}
	t.Logf("highest score inside the labelled window %.4f, outside %.4f", bestInside, best)
	if bestInside <= best {
		t.Errorf("highest score outside the labelled window: %.4f ≥ %.4f inside", best, bestInside)
	}
	if z := leadingZeros(scores); z != 256 {
		t.Errorf("%d leading zeros, want 256", z)
	}
}

// A constant series: every point equals every sampled one, so each tree is
// one leaf of mass 256, and the score is that of a seen point:
// damp(256, 256)·scoreSeen(0, 256) normalized by log2(257), that is
// (1 − 256/512) = 0.5 exactly as AWS's reference gives. KDA's 0.0311 (8/257)
// came from the seen-point function of its own, older release.
func TestArtFlatlineScore(t *testing.T) {
	rows := readNAB(t, "art_flatline.csv")
	scores := runKDA(t, rows, 1)
	if z := leadingZeros(scores); z != 256 {
		t.Errorf("%d leading zeros, want 256", z)
	}
	for i := 256; i < len(scores); i++ {
		if math.Abs(scores[i]-0.5) > 1e-12 {
			t.Fatalf("row %d: score %v, want 0.5", i, scores[i])
		}
		if math.Abs(rows[i].kda-8.0/257) > 1e-3 {
			t.Fatalf("row %d: KDA's score %v, want 8/257", i, rows[i].kda)
		}
	}
}
