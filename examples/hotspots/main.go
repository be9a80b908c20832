// Command hotspots runs Kinesis Data Analytics' HOTSPOTS function on rowtime:
// for every input record, the dense regions among the last -window records'
// points, written into the record as KDA's HOTSPOTS_RESULT column.
//
// Usage:
//
//	go run ./examples/hotspots [-in FILE|-] [-x FIELD] [-y FIELD] [-window N] [-radius R] [-min M]
//	    [-svg FILE] [-min-density D] [-seed N] [-n N] [-gen]
//
// Input lines are JSON objects of any shape; -x and -y name the fields that
// hold the coordinates (default x and y; the New York taxi columns
// pickup_longitude and pickup_latitude work too), as JSON numbers or numeric
// strings. Without -in the program generates -n points (default 20,000) with
// KDA's own hotspot generator: a 10 × 10 field, a 1 × 1 square moved every
// 1,000 points, 20% of the points inside it (marked "is_hot":"Y"); -gen
// writes them as JSON lines instead of running.
//
// Output: every input object with its fields and values unchanged plus
// "HOTSPOTS_RESULT", a string holding KDA's JSON,
// {"hotspots":[{"density":D,"minValues":[x,y],"maxValues":[x,y]}, …]}, densest
// first. HOTSPOTS counts records, not time, so -delay has no effect here.
//
// -svg FILE draws the points of the last window and the boxes of its
// hotspots whose density is at least -min-density (default 40, as in KDA's
// example), with axes, a scale and a legend.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/rowtime/rowtime/examples/internal/cli"
	"github.com/rowtime/rowtime/hotspot"
	"github.com/rowtime/rowtime/hotspot/hotspottest"
	"github.com/rowtime/rowtime/record"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// config is the command line.
type config struct {
	*cli.Common
	x, y       string
	window     int
	radius     float64
	minPts     int
	svg        string
	minDensity float64
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("hotspots", flag.ContinueOnError)
	c := config{Common: cli.Register(fs, 20_000)}
	fs.StringVar(&c.x, "x", "x", "`FIELD` holding the first coordinate")
	fs.StringVar(&c.y, "y", "y", "`FIELD` holding the second coordinate")
	fs.IntVar(&c.window, "window", 1000, "number of most recent records clustered (KDA's windowSize)")
	fs.Float64Var(&c.radius, "radius", 0.2, "scan radius (KDA's scanRadius)")
	fs.IntVar(&c.minPts, "min", 17, "minimum number of points in a core point's neighbourhood (KDA's minimumNumberOfPointsInAHotspot)")
	fs.StringVar(&c.svg, "svg", "", "draw the last window's points and hotspots into the SVG `FILE`")
	fs.Float64Var(&c.minDensity, "min-density", 40, "draw only hotspots at least this dense")
	return cli.Main(fs, args, stderr, func() error {
		if err := c.Check(); err != nil {
			return err
		}
		if c.x == "" || c.y == "" || c.x == c.y {
			return cli.Usagef("-x and -y must name two different fields, got %q and %q", c.x, c.y)
		}
		return pipeline(c, stdin, stdout, stderr)
	})
}

// point is one record as the operator sees it: its coordinates, and its
// sequence number as a time (HOTSPOTS counts records; time is unused).
type point struct {
	seq  record.Time
	x, y float64
}

func (p point) EventTime() record.Time { return p.seq }

func coords(dst []float64, p point) []float64 { return append(dst, p.x, p.y) }

// errField is wrapped by the decoding errors of a record.
var errField = errors.New("cannot read coordinates")

// decode reads the two coordinate fields of one JSON object. The object is
// validated whole (json.Valid, which does not allocate), then its top-level
// fields are scanned for the two names; as with encoding/json, the last of
// two fields of one name wins.
func decode(line []byte, xName, yName string) (x, y float64, err error) {
	if !json.Valid(line) {
		var v any
		err := json.Unmarshal(line, &v) // for the message
		return 0, 0, fmt.Errorf("not a JSON object: %v", err)
	}
	i := skipSpace(line, 0)
	if line[i] != '{' {
		end := bytes.IndexAny(line[i:], " \t\r\n")
		if end < 0 {
			end = len(line) - i
		}
		return 0, 0, fmt.Errorf("not a JSON object: %s", line[i:i+min(end, 20)])
	}
	var xRaw, yRaw []byte
	i = skipSpace(line, i+1)
	for line[i] != '}' {
		keyEnd := skipString(line, i)
		key := line[i+1 : keyEnd-1]
		if bytes.IndexByte(key, '\\') >= 0 {
			var k string
			_ = json.Unmarshal(line[i:keyEnd], &k) // valid: checked above
			key = []byte(k)
		}
		i = skipSpace(line, keyEnd)
		i = skipSpace(line, i+1) // the colon
		valEnd := skipValue(line, i)
		switch string(key) {
		case xName:
			xRaw = line[i:valEnd]
		case yName:
			yRaw = line[i:valEnd]
		}
		i = skipSpace(line, valEnd)
		if line[i] == ',' {
			i = skipSpace(line, i+1)
		}
	}
	if x, err = number(xRaw, xName); err != nil {
		return 0, 0, err
	}
	if y, err = number(yRaw, yName); err != nil {
		return 0, 0, err
	}
	return x, y, nil
}

// The scanners below walk JSON that json.Valid has accepted.

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string starting at b[i] == '"'.
func skipString(b []byte, i int) int {
	for j := i + 1; ; j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
}

// skipValue returns the index after the value starting at b[i].
func skipValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for j := i; ; j++ {
			switch b[j] {
			case '"':
				j = skipString(b, j) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1
				}
			}
		}
	}
	j := i
	for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\t' && b[j] != '\n' && b[j] != '\r' {
		j++
	}
	return j
}

// number reads a coordinate: a JSON number, or a string holding one.
func number(raw []byte, name string) (float64, error) {
	if raw == nil {
		return 0, fmt.Errorf("%w: no field %q", errField, name)
	}
	text := raw
	if raw[0] == '"' {
		text = raw[1 : len(raw)-1]
		if bytes.IndexByte(text, '\\') >= 0 {
			var s string
			_ = json.Unmarshal(raw, &s) // valid: checked by decode
			text = []byte(s)
		}
	}
	f, err := strconv.ParseFloat(string(text), 64)
	switch {
	case errors.Is(err, strconv.ErrRange):
		return 0, fmt.Errorf("%w: field %q: %s is out of the range of float64", errField, name, raw)
	case err != nil:
		return 0, fmt.Errorf("%w: field %q: %s is not a number", errField, name, raw)
	}
	return f, nil
}

// appendResult appends the input object with HOTSPOTS_RESULT added as its
// last field; the object's own bytes are kept as they are.
func appendResult(dst, obj []byte, hs []hotspot.Hotspot, scratch []byte) ([]byte, []byte, error) {
	obj = bytes.TrimSpace(obj)
	end := len(obj) - 1 // the closing brace: decode has checked it is an object
	dst = append(dst, obj[:end]...)
	if len(bytes.TrimSpace(obj[1:end])) > 0 {
		dst = append(dst, ',')
	}
	dst = append(dst, `"HOTSPOTS_RESULT":`...)
	scratch, err := hotspot.AppendJSON(scratch[:0], hs)
	if err != nil {
		return dst, scratch, err
	}
	dst = cli.AppendString(dst, string(scratch))
	return append(dst, '}'), scratch, nil
}

// generated writes one point of KDA's generator as a JSON object.
func generated(dst []byte, p hotspottest.Point, xName, yName string) []byte {
	dst = append(dst, '{')
	dst = cli.AppendString(dst, xName)
	dst = append(dst, ':')
	dst = strconv.AppendFloat(dst, p.X, 'g', -1, 64)
	dst = append(dst, ',')
	dst = cli.AppendString(dst, yName)
	dst = append(dst, ':')
	dst = strconv.AppendFloat(dst, p.Y, 'g', -1, 64)
	if p.Hot {
		dst = append(dst, `,"is_hot":"Y"}`...)
	} else {
		dst = append(dst, `,"is_hot":"N"}`...)
	}
	return dst
}

func pipeline(c config, stdin io.Reader, stdout, stderr io.Writer) error {
	op, err := hotspot.New(c.window, c.radius, c.minPts, coords, &hotspot.Options{Dims: 2})
	if err != nil {
		return cli.Usagef("%v", err)
	}
	out := cli.NewOutput(stdout)
	rep := cli.NewReport("hotspots", stderr)
	last := newRing(c.window) // the last window's points, for -svg
	var (
		raw      []byte // the input object being pushed
		buf      []byte
		scratch  []byte
		emitErr  error
		seq      record.Time
		lastHots []hotspot.Hotspot
	)
	emit := func(r hotspot.Result[point]) {
		buf, scratch, emitErr = appendResult(buf[:0], raw, r.Hotspots, scratch)
		if emitErr == nil {
			out.Line(buf)
		}
	}
	process := func(n int, line []byte) error {
		rep.Records++
		x, y, err := decode(line, c.x, c.y)
		if err != nil {
			rep.Undecodable(n, err)
			return nil
		}
		raw = line
		seq++
		p := point{seq: seq, x: x, y: y}
		if err := op.Push(p, emit); err != nil {
			rep.Rejected(n, err)
			return nil
		}
		if emitErr != nil {
			rep.Rejected(n, emitErr)
			emitErr = nil
		}
		last.add(x, y)
		return nil
	}
	switch {
	case c.In != "":
		if err := cli.Lines(c.In, stdin, process); err != nil {
			return err
		}
	default:
		g := hotspottest.NewGenerator(c.Seed)
		var line []byte
		for i := range c.N {
			line = generated(line[:0], g.Next(), c.x, c.y)
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
	for _, h := range op.Hotspots() {
		lastHots = append(lastHots, h.Clone())
	}
	rep.Results = out.Count()
	rep.Summary()
	if err := out.Close(); err != nil {
		return err
	}
	if c.svg != "" {
		pic := picture{
			Points: last.points(), Hotspots: lastHots, MinDensity: c.minDensity,
			XName: c.x, YName: c.y, Window: c.window, Radius: c.radius, MinPts: c.minPts,
		}
		if err := writeSVG(c.svg, pic); err != nil {
			return err
		}
	}
	return nil
}

// ring keeps the last n points.
type ring struct {
	xy   [][2]float64
	next int
	full bool
}

func newRing(n int) *ring { return &ring{xy: make([][2]float64, n)} }

func (r *ring) add(x, y float64) {
	r.xy[r.next] = [2]float64{x, y}
	r.next++
	if r.next == len(r.xy) {
		r.next, r.full = 0, true
	}
}

// points returns the points oldest first.
func (r *ring) points() [][2]float64 {
	if !r.full {
		return r.xy[:r.next]
	}
	return append(append([][2]float64{}, r.xy[r.next:]...), r.xy[:r.next]...)
}
