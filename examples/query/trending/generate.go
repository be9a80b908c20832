package trending

import (
	"math/rand/v2"

	"github.com/rowtime/rowtime/record"
)

// Start is the event time of the first generated action: 2026-01-27
// 00:00:00 UTC, the day Kinesis Data Analytics for SQL stopped running.
const Start = record.Time(1769472000 * 1e9)

// Generator produces the news workload deterministically from its seed:
// PerMinute actions per minute of event time, in time order, each by a user
// drawn uniformly from 1..UsersTotal on an article drawn from 1..Articles
// with Zipf popularity (article 1 the most popular), a click with
// probability ClickPct percent and an impression otherwise. Times are whole
// milliseconds, as the payload carries them.
type Generator struct {
	rng  *rand.Rand
	zipf *rand.Zipf
	i    int64
}

// NewGenerator returns a generator for seed.
func NewGenerator(seed uint64) *Generator {
	rng := rand.New(rand.NewPCG(seed, 0x6e657773))
	return &Generator{rng: rng, zipf: rand.NewZipf(rng, ZipfS, 1, Articles-1)}
}

// Next returns the next action.
func (g *Generator) Next() Record {
	// The i-th record is at i·(60 s / PerMinute), truncated to the ms.
	ms := g.i * 60_000 / PerMinute
	g.i++
	a := Action{
		ArticleID: 1 + int64(g.zipf.Uint64()),
		UserID:    1 + g.rng.Int64N(UsersTotal),
		Action:    Impression,
	}
	if g.rng.IntN(100) < ClickPct {
		a.Action = Click
	}
	return Record{Time: Start + record.Time(ms)*1e6, Value: a}
}

// Generate returns the first n actions of the workload for seed.
func Generate(seed uint64, n int) []Record {
	g := NewGenerator(seed)
	out := make([]Record, n)
	for i := range out {
		out[i] = g.Next()
	}
	return out
}
