// Command anomaly runs Kinesis Data Analytics' RANDOM_CUT_FOREST (and, with
// -explain, RANDOM_CUT_FOREST_WITH_EXPLANATION) on rowtime: an anomaly
// score for every input record, written into the record as KDA's
// ANOMALY_SCORE column.
//
// Usage:
//
//	go run ./examples/anomaly [-in FILE|-] [-fields a,b] [-time FIELD] [-trees 100] [-sample 256]
//	    [-decay 100000] [-shingle 1] [-explain] [-svg FILE] [-compare FIELD] [-compare-scale X]
//	    [-seed N] [-n N] [-gen]
//
// Input lines are JSON objects of any shape; -fields names the numeric
// fields to score, in order (as JSON numbers or numeric strings); by default
// every field of the first record that holds a JSON number (but the -time
// field). As with KDA's ROWTIME, the input order is the order: records need
// no time field. -time names one anyway (a number of Unix seconds or an
// RFC 3339 or "2006-01-02 15:04:05" UTC string), used as the result's
// event time and as the x axis of -svg. Without -in the program generates
// -n records (default 2,000) with the heart-rate generator of KDA's
// developer guide: {"heartRate":83,"rateType":"NORMAL"}, the rate uniform
// in 60–100, and in 1% of the records, marked "HIGH", in 150–200; -gen
// writes them as JSON lines instead of running.
//
// Output: every input object with its fields and values unchanged plus
// "ANOMALY_SCORE" (0 for the first -sample records, as KDA's) and, with
// -explain, "ANOMALY_EXPLANATION", a string holding KDA's JSON:
// {"heartRate":{"DIRECTION":"HIGH","STRENGTH":"2.4131","ATTRIBUTION_SCORE":"2.4131"}}.
// A record with a missing or non-numeric field, or a value that is not
// finite, is reported on stderr with its line number and counted; it
// changes nothing. -delay has no effect here.
//
// -svg FILE draws the scored fields and the scores over the records;
// -compare FIELD draws the scores another run stored in the input's FIELD
// beside them (times -compare-scale: 8 for the NAB files, which hold KDA's
// scores divided by 8).
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/rowtime/rowtime/anomaly"
	"github.com/rowtime/rowtime/examples/internal/cli"
	"github.com/rowtime/rowtime/record"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// config is the command line.
type config struct {
	*cli.Common
	fields       string
	timeField    string
	trees        int
	sample       int
	decay        int
	shingle      int
	explain      bool
	svg          string
	compare      string
	compareScale float64
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("anomaly", flag.ContinueOnError)
	c := config{Common: cli.Register(fs, 2000)}
	fs.StringVar(&c.fields, "fields", "", "comma-separated numeric `FIELDS` to score (default: every numeric field of the first record)")
	fs.StringVar(&c.timeField, "time", "", "`FIELD` holding the record's time (optional: input order is the order)")
	fs.IntVar(&c.trees, "trees", anomaly.DefaultTrees, "number of trees (KDA's numberOfTrees, 1–1000)")
	fs.IntVar(&c.sample, "sample", anomaly.DefaultSampleSize, "points sampled per tree (KDA's subSampleSize, 10–1000)")
	fs.IntVar(&c.decay, "decay", anomaly.DefaultTimeDecay, "records over which a point's weight fades by e (KDA's timeDecay)")
	fs.IntVar(&c.shingle, "shingle", anomaly.DefaultShingleSize, "consecutive records per point (KDA's shingleSize, 1–30)")
	fs.BoolVar(&c.explain, "explain", false, "add ANOMALY_EXPLANATION (RANDOM_CUT_FOREST_WITH_EXPLANATION)")
	fs.StringVar(&c.svg, "svg", "", "draw the scored fields and their scores into the SVG `FILE`")
	fs.StringVar(&c.compare, "compare", "", "with -svg, also draw the scores stored in the input's `FIELD`")
	fs.Float64Var(&c.compareScale, "compare-scale", 1, "multiply the -compare scores by this")
	return cli.Main(fs, args, stderr, func() error {
		if err := c.Check(); err != nil {
			return err
		}
		if c.trees < 1 || c.sample < 1 || c.decay < 1 || c.shingle < 1 {
			return cli.Usagef("-trees, -sample, -decay and -shingle must be positive")
		}
		if c.compare != "" && c.svg == "" {
			return cli.Usagef("-compare draws into the -svg picture: name one")
		}
		if math.IsNaN(c.compareScale) || math.IsInf(c.compareScale, 0) {
			return cli.Usagef("-compare-scale must be finite, got %v", c.compareScale)
		}
		return pipeline(c, stdin, stdout, stderr)
	})
}

// rec is one record as the operator sees it: its time, its values (or why
// they cannot be read) and the input object, written back with the score.
type rec struct {
	at   record.Time
	vals []float64
	err  error
}

func (r rec) EventTime() record.Time { return r.at }

func values(dst []float64, r rec) ([]float64, error) {
	if r.err != nil {
		return dst, r.err
	}
	return append(dst, r.vals...), nil
}

// object is a decoded input line: its fields in order, raw.
type object struct {
	keys []string
	raw  []json.RawMessage
}

func (o *object) get(name string) (json.RawMessage, bool) {
	found := -1
	for i, k := range o.keys {
		if k == name {
			found = i // as encoding/json, the last of two fields of one name wins
		}
	}
	if found < 0 {
		return nil, false
	}
	return o.raw[found], true
}

// decodeObject reads the top-level fields of one JSON object.
func decodeObject(line []byte, o *object) error {
	o.keys, o.raw = o.keys[:0], o.raw[:0]
	if !json.Valid(line) {
		var v any
		err := json.Unmarshal(line, &v)
		return fmt.Errorf("not JSON: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	tok, _ := dec.Token()
	if tok != json.Delim('{') {
		return errors.New("not a JSON object")
	}
	for dec.More() {
		tok, _ := dec.Token()
		key, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return err
		}
		o.keys = append(o.keys, key)
		o.raw = append(o.raw, raw)
	}
	return nil
}

func isJSONNumber(raw []byte) bool {
	return len(raw) > 0 && (raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9')
}

// number reads a field's value: a JSON number, or a string holding one.
func number(raw json.RawMessage, name string) (float64, error) {
	var text string
	switch {
	case isJSONNumber(raw):
		text = string(raw)
	case len(raw) > 0 && raw[0] == '"':
		_ = json.Unmarshal(raw, &text) // valid: checked by decodeObject
	default:
		return 0, fmt.Errorf("field %q: %s is not a number", name, raw)
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(text), 64)
	switch {
	case errors.Is(err, strconv.ErrRange):
		return 0, fmt.Errorf("field %q: %s is out of the range of float64", name, raw)
	case err != nil:
		return 0, fmt.Errorf("field %q: %s is not a number", name, raw)
	}
	return f, nil
}

// parseTime reads the -time field.
func parseTime(raw json.RawMessage, name string) (record.Time, error) {
	if isJSONNumber(raw) {
		s, err := strconv.ParseFloat(string(raw), 64)
		if err != nil || math.Abs(s) > 9e9 {
			return 0, fmt.Errorf("field %q: %s is not a time in Unix seconds", name, raw)
		}
		return record.Time(math.Round(s * 1e9)), nil
	}
	var text string
	if err := json.Unmarshal(raw, &text); err != nil {
		return 0, fmt.Errorf("field %q: %s is not a time", name, raw)
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05", "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, text); err == nil {
			return record.Time(t.UnixNano()), nil
		}
	}
	return 0, fmt.Errorf("field %q: %q is not an RFC 3339 or \"2006-01-02 15:04:05\" time", name, text)
}

// appendResult appends the input object with the result's columns added as
// its last fields; the object's own bytes are kept as they are.
func appendResult(dst, obj []byte, cols []byte) []byte {
	obj = bytes.TrimSpace(obj)
	end := len(obj) - 1 // the closing brace: decodeObject has checked it is an object
	dst = append(dst, obj[:end]...)
	if len(bytes.TrimSpace(obj[1:end])) > 0 {
		dst = append(dst, ',')
	}
	dst = append(dst, cols[1:]...) // the result's object without its opening brace
	return dst
}

// heartRate writes one record of the KDA developer guide's generator.
func heartRate(dst []byte, rng *rand.Rand) []byte {
	if rng.Float64() < 0.01 {
		dst = append(dst, `{"heartRate":`...)
		dst = strconv.AppendInt(dst, int64(150+rng.IntN(51)), 10)
		return append(dst, `,"rateType":"HIGH"}`...)
	}
	dst = append(dst, `{"heartRate":`...)
	dst = strconv.AppendInt(dst, int64(60+rng.IntN(41)), 10)
	return append(dst, `,"rateType":"NORMAL"}`...)
}

func pipeline(c config, stdin io.Reader, stdout, stderr io.Writer) error {
	var fields []string
	if c.fields != "" {
		fields = strings.Split(c.fields, ",")
	}
	opts := &anomaly.Options{
		Trees: c.trees, SampleSize: c.sample, TimeDecay: c.decay, ShingleSize: c.shingle,
		Seed: c.Seed, Explain: c.explain,
	}
	// Check the parameters before reading anything.
	if _, err := anomaly.NewForest(max(len(fields), 1), opts); err != nil {
		return cli.Usagef("%v", err)
	}
	var op *anomaly.Operator[rec, struct{}]
	if fields != nil {
		var err error
		if op, err = anomaly.New(fields, values, opts); err != nil {
			return cli.Usagef("%v", err)
		}
	}

	out := cli.NewOutput(stdout)
	rep := cli.NewReport("anomaly", stderr)
	var (
		obj    object
		raw    []byte // the input object being pushed
		buf    []byte
		cols   []byte
		seq    int64
		series series
	)
	emit := func(r anomaly.Result[rec]) {
		cols = r.AppendJSON(cols[:0])
		buf = appendResult(buf[:0], raw, cols)
		out.Line(buf)
		if c.svg != "" {
			series.add(r.Record, r.Score)
		}
	}
	process := func(n int, line []byte) error {
		rep.Records++
		if err := decodeObject(line, &obj); err != nil {
			rep.Undecodable(n, err)
			return nil
		}
		seq++
		r := rec{at: record.Time(seq)}
		if c.timeField != "" {
			v, ok := obj.get(c.timeField)
			if !ok {
				rep.Undecodable(n, fmt.Errorf("no field %q", c.timeField))
				return nil
			}
			t, err := parseTime(v, c.timeField)
			if err != nil {
				rep.Undecodable(n, err)
				return nil
			}
			r.at = t
		}
		if op == nil {
			// The numeric fields of the first record.
			for i, k := range obj.keys {
				if k != c.timeField && k != c.compare && isJSONNumber(obj.raw[i]) {
					fields = append(fields, k)
				}
			}
			if len(fields) == 0 {
				return fmt.Errorf("line %d: no numeric field to score (name some with -fields)", n)
			}
			var err error
			if op, err = anomaly.New(fields, values, opts); err != nil {
				return fmt.Errorf("line %d: %w", n, err)
			}
		}
		r.vals = make([]float64, 0, len(fields))
		for _, name := range fields {
			v, ok := obj.get(name)
			if !ok {
				r.err = fmt.Errorf("no field %q", name)
				break
			}
			x, err := number(v, name)
			if err != nil {
				r.err = err
				break
			}
			r.vals = append(r.vals, x)
		}
		if c.svg != "" {
			series.pending = math.NaN()
			if c.compare != "" {
				if v, ok := obj.get(c.compare); ok {
					if x, err := number(v, c.compare); err == nil {
						series.pending = x * c.compareScale
					}
				}
			}
		}
		raw = line
		if err := op.Push(r, emit); err != nil {
			rep.Rejected(n, err)
		}
		return nil
	}
	switch {
	case c.In != "":
		if err := cli.Lines(c.In, stdin, process); err != nil {
			return err
		}
	default:
		rng := rand.New(rand.NewPCG(c.Seed, 0x4b4441)) // "KDA"
		var line []byte
		for i := range c.N {
			line = heartRate(line[:0], rng)
			if c.Gen {
				out.Line(line)
				continue
			}
			if err := process(i+1, line); err != nil {
				return err
			}
		}
		if c.Gen {
			return out.Close()
		}
	}
	if op != nil {
		if err := op.Flush(emit); err != nil {
			return err
		}
	}
	rep.Results = out.Count()
	rep.Summary()
	if err := out.Close(); err != nil {
		return err
	}
	if c.svg != "" {
		pic := picture{
			Series: &series, Fields: fields, TimeField: c.timeField, Compare: c.compare, CompareScale: c.compareScale,
			Trees: c.trees, Sample: c.sample, Decay: c.decay, Shingle: c.shingle,
		}
		if err := writeSVG(c.svg, pic); err != nil {
			return err
		}
	}
	return nil
}

// series keeps what -svg draws: per scored record its time, values, score
// and the compared score (NaN where absent).
type series struct {
	at      []record.Time
	vals    [][]float64
	score   []float64
	other   []float64
	pending float64 // the compared score of the record being pushed
}

func (s *series) add(r rec, score float64) {
	s.at = append(s.at, r.at)
	s.vals = append(s.vals, r.vals)
	s.score = append(s.score, score)
	s.other = append(s.other, s.pending)
}
