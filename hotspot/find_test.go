package hotspot

import (
	"errors"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestFindCases(t *testing.T) {
	for _, c := range []struct {
		name   string
		points [][]float64
		eps    float64
		minPts int
		want   []Hotspot
	}{
		{name: "empty", eps: 1, minPts: 2},
		{
			name:   "all noise",
			points: [][]float64{{0}, {2}, {4}},
			eps:    1, minPts: 2,
		},
		{
			name:   "pair exactly eps apart is one cluster",
			points: [][]float64{{0, 0}, {0.5, 0}},
			eps:    0.5, minPts: 2,
			want: []Hotspot{{Count: 2, Density: 2 / (0.5 * 0.5), Min: []float64{0, 0}, Max: []float64{0.5, 0}}},
		},
		{
			name:   "pair just over eps apart is noise",
			points: [][]float64{{0, 0}, {math.Nextafter(0.5, 1), 0}},
			eps:    0.5, minPts: 2,
		},
		{
			name:   "neighbourhood counts the point itself",
			points: [][]float64{{0}, {0.25}, {0.5}},
			eps:    0.25, minPts: 3,
			// Only the middle point has 3 in its neighbourhood; the ends
			// are border points of its cluster.
			want: []Hotspot{{Count: 3, Density: 3 / 0.5, Min: []float64{0}, Max: []float64{0.5}}},
		},
		{
			name:   "duplicates are neighbours",
			points: [][]float64{{1, 1}, {1, 1}, {1, 1}, {5, 5}},
			eps:    0.25, minPts: 3,
			want: []Hotspot{{Count: 3, Density: 3 / (0.25 * 0.25), Min: []float64{1, 1}, Max: []float64{1, 1}}},
		},
		{
			// Cores at (0,0) and (2,0), each with three satellites; the
			// border point (1,0) is exactly ε from both: the earlier wins.
			name: "border tie goes to the earlier core point",
			points: [][]float64{
				{0, 0}, {2, 0}, {1, 0},
				{0, 1}, {0, -1}, {-1, 0}, {2, 1}, {2, -1}, {3, 0},
			},
			eps: 1, minPts: 4,
			want: []Hotspot{
				{Count: 4, Density: 4 / 2.0, Min: []float64{2, -1}, Max: []float64{3, 1}},
				{Count: 5, Density: 5 / 4.0, Min: []float64{-1, -1}, Max: []float64{1, 1}},
			},
		},
		{
			name: "border tie goes to the earlier core point, swapped",
			points: [][]float64{
				{2, 0}, {0, 0}, {1, 0},
				{0, 1}, {0, -1}, {-1, 0}, {2, 1}, {2, -1}, {3, 0},
			},
			eps: 1, minPts: 4,
			want: []Hotspot{
				{Count: 4, Density: 4 / 2.0, Min: []float64{-1, -1}, Max: []float64{0, 1}},
				{Count: 5, Density: 5 / 4.0, Min: []float64{1, -1}, Max: []float64{3, 1}},
			},
		},
		{
			name: "border point goes to the nearest core point",
			points: [][]float64{
				{0, 0}, {2, 0}, {1.25, 0},
				{0, 1}, {0, -1}, {-1, 0}, {2, 1}, {2, -1}, {3, 0},
			},
			eps: 1, minPts: 4,
			want: []Hotspot{
				{Count: 4, Density: 4 / 2.0, Min: []float64{-1, -1}, Max: []float64{0, 1}},
				{Count: 5, Density: 5 / (1.75 * 2), Min: []float64{1.25, -1}, Max: []float64{3, 1}},
			},
		},
		{
			name: "equal density ordered by minValues",
			points: [][]float64{
				{10, 0}, {10, 0.25}, // second cluster, listed first
				{0, 0}, {0, 0.25},
			},
			eps: 0.25, minPts: 2,
			want: []Hotspot{
				{Count: 2, Density: 2 / (0.25 * 0.25), Min: []float64{0, 0}, Max: []float64{0, 0.25}},
				{Count: 2, Density: 2 / (0.25 * 0.25), Min: []float64{10, 0}, Max: []float64{10, 0.25}},
			},
		},
		{
			name:   "chain of cores is one cluster",
			points: [][]float64{{0}, {0.5}, {1}, {1.5}, {2}, {2.5}},
			eps:    0.5, minPts: 3,
			want: []Hotspot{{Count: 6, Density: 6 / 2.5, Min: []float64{0}, Max: []float64{2.5}}},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := Find(c.points, c.eps, c.minPts)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Find (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(bruteForce(c.points, c.eps, c.minPts), got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Find differs from brute force (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFindInvalid(t *testing.T) {
	for _, c := range []struct {
		name   string
		points [][]float64
		eps    float64
		minPts int
		want   error
	}{
		{"eps zero", nil, 0, 2, ErrInvalid},
		{"eps NaN", nil, math.NaN(), 2, ErrInvalid},
		{"minPts 1", nil, 1, 1, ErrInvalid},
		{"no coordinates", [][]float64{{}}, 1, 2, ErrPoint},
		{"mixed dimensions", [][]float64{{1, 2}, {1}}, 1, 2, ErrPoint},
		{"NaN", [][]float64{{1, math.NaN()}}, 1, 2, ErrPoint},
		{"Inf", [][]float64{{math.Inf(-1)}}, 1, 2, ErrPoint},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := Find(c.points, c.eps, c.minPts); !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}
}
