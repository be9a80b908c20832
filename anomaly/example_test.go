package anomaly_test

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/rowtime/rowtime/anomaly"
	"github.com/rowtime/rowtime/record"
)

// Beat is a heart-rate reading.
type Beat struct {
	At   record.Time
	Rate float64
}

func (b Beat) EventTime() record.Time { return b.At }

func rate(dst []float64, b Beat) ([]float64, error) { return append(dst, b.Rate), nil }

// beats are 60–100 beats per minute, with one reading of 190.
func beats() []Beat {
	rng := rand.New(rand.NewPCG(1, 2))
	bs := make([]Beat, 600)
	for i := range bs {
		bs[i] = Beat{At: record.Time(i), Rate: math.Round(60 + 40*rng.Float64())}
	}
	bs[500].Rate = 190
	return bs
}

func ExampleNew() {
	op, err := anomaly.New([]string{"heartRate"}, rate, &anomaly.Options{Seed: 1})
	if err != nil {
		panic(err)
	}
	var high []string
	for _, b := range beats() {
		err := op.Push(b, func(res anomaly.Result[Beat]) {
			if res.Score > 2 {
				high = append(high, fmt.Sprintf("record %d: %.0f bpm", res.Record.At, res.Record.Rate))
			}
		})
		if err != nil {
			panic(err)
		}
	}
	fmt.Println(high)
	fmt.Println(op.Stats().Records, "records")
	// Output:
	// [record 500: 190 bpm]
	// 600 records
}

func ExampleNew_explain() {
	op, err := anomaly.New([]string{"heartRate"}, rate, &anomaly.Options{Seed: 1, Explain: true})
	if err != nil {
		panic(err)
	}
	for _, b := range beats()[:501] {
		err := op.Push(b, func(res anomaly.Result[Beat]) {
			if res.Record.At == 500 {
				e := res.Explanation[0]
				fmt.Printf("%s, strength equal to the score: %v\n", e.Direction(), math.Abs(e.Strength()-res.Score) < 1e-9)
			}
		})
		if err != nil {
			panic(err)
		}
	}
	// Output:
	// HIGH, strength equal to the score: true
}

func ExampleNewKeyed() {
	type reading struct {
		record.Of[float64]
		Sensor string
	}
	op, err := anomaly.NewKeyed([]string{"value"},
		func(r reading) string { return r.Sensor },
		func(dst []float64, r reading) ([]float64, error) { return append(dst, r.Value), nil },
		&anomaly.Options{SampleSize: 10, MaxKeys: 100})
	if err != nil {
		panic(err)
	}
	for i := range 30 {
		for _, s := range []string{"a", "b"} {
			r := reading{Of: record.Of[float64]{Time: record.Time(i), Value: float64(i % 5)}, Sensor: s}
			if err := op.Push(r, func(anomaly.Result[reading]) {}); err != nil {
				panic(err)
			}
		}
	}
	fmt.Println(op.Stats().Forests, "forests")
	// Output:
	// 2 forests
}

func ExampleNewForest() {
	f, err := anomaly.NewForest(1, &anomaly.Options{Trees: 50, SampleSize: 64, Seed: 3})
	if err != nil {
		panic(err)
	}
	for i := range 200 {
		if _, err := f.Update([]float64{math.Sin(float64(i) / 5)}); err != nil {
			panic(err)
		}
	}
	usual, _ := f.Update([]float64{math.Sin(200.0 / 5)})
	odd, _ := f.Update([]float64{4})
	fmt.Println(usual < 1.5, odd > 2)
	// Output:
	// true true
}

func ExampleForest_UpdateExplain() {
	f, err := anomaly.NewForest(2, &anomaly.Options{Trees: 50, SampleSize: 64, Seed: 3})
	if err != nil {
		panic(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for range 300 {
		if _, err := f.Update([]float64{120 + rng.NormFloat64(), 80 + rng.NormFloat64()}); err != nil {
			panic(err)
		}
	}
	score, e, _ := f.UpdateExplain([]float64{120, 60}) // diastolic far too low
	fmt.Println(score > 2, e[1].Direction(), e[1].Score() > e[0].Score())
	// Output:
	// true LOW true
}

func ExampleAppendExplanation() {
	e := []anomaly.Attribution{{High: 0.1435, Low: 0.2357}}
	fmt.Println(string(anomaly.AppendExplanation(nil, []string{"Systolic"}, e)))
	// Output:
	// {"Systolic":{"DIRECTION":"LOW","STRENGTH":"0.0922","ATTRIBUTION_SCORE":"0.3792"}}
}

func ExampleOperator_AppendSnapshot() {
	op, _ := anomaly.New([]string{"heartRate"}, rate, &anomaly.Options{Seed: 1})
	bs := beats()
	for _, b := range bs[:400] {
		_ = op.Push(b, func(anomaly.Result[Beat]) {})
	}
	snap, err := op.AppendSnapshot(nil)
	if err != nil {
		panic(err)
	}
	restored, _ := anomaly.New([]string{"heartRate"}, rate, &anomaly.Options{Seed: 1})
	if err := restored.Restore(snap); err != nil {
		panic(err)
	}
	var a, b float64
	_ = op.Push(bs[400], func(r anomaly.Result[Beat]) { a = r.Score })
	_ = restored.Push(bs[400], func(r anomaly.Result[Beat]) { b = r.Score })
	fmt.Println(a == b)
	// Output:
	// true
}
