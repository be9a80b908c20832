package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"

	"github.com/rowtime/rowtime/examples/internal/plot"
	"github.com/rowtime/rowtime/record"
)

// picture is what -svg draws: the scored fields over the records, and
// below them the scores.
type picture struct {
	Series       *series
	Fields       []string
	TimeField    string
	Compare      string
	CompareScale float64
	Trees        int
	Sample       int
	Decay        int
	Shingle      int
}

func writeSVG(name string, p picture) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	p.draw(w)
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Layout of the picture, in SVG user units.
const (
	svgW, svgH   = 1000, 640
	plotX, plotW = 80, 720
	valuesY      = 70  // top of the values panel
	valuesH      = 220 // its height
	scoresY      = 350 // top of the scores panel
	scoresH      = 220
	legendX      = 830
	axisColor    = "#333"
	scoreColor   = "#1f77b4"
	otherColor   = "#ff7f0e"
	highColor    = "#d62728"
)

var fieldColors = []string{"#555", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf"}

// highScore is the score above which -svg marks a record: well above the
// ordinary scores, which lie around 1 and below.
const highScore = 2

// draw writes the picture: the values panel (one polyline per field, each
// scaled to its own range when there are several, red dots where the score
// is above highScore), the scores panel (rowtime's scores and, with
// -compare, the other run's), axes and a legend.
func (p picture) draw(w io.Writer) {
	s := p.Series
	n := len(s.score)
	title := fmt.Sprintf("RANDOM_CUT_FOREST(%d trees, sample %d, timeDecay %d, shingle %d): %d records",
		p.Trees, p.Sample, p.Decay, p.Shingle, n)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="Helvetica, Arial, sans-serif" font-size="13">
`, svgW, svgH, svgW, svgH)
	fmt.Fprintf(w, "<title>%s</title>\n", plot.Esc(title))
	fmt.Fprintf(w, `<path d="M0 0H%dV%dH0Z" fill="white"/>`+"\n", svgW, svgH)
	fmt.Fprintf(w, `<text x="%d" y="30" font-size="16" font-weight="bold">%s</text>`+"\n", plotX, plot.Esc(title))
	high := 0
	for _, v := range s.score {
		if v > highScore {
			high++
		}
	}
	fmt.Fprintf(w, `<text x="%d" y="50" fill="#555">%s</text>`+"\n", plotX,
		plot.Esc(fmt.Sprintf("top: %s; bottom: ANOMALY_SCORE; %d records score above %d (red)", strings.Join(p.Fields, ", "), high, highScore)))

	sx := func(i int) float64 {
		if n <= 1 {
			return plotX
		}
		return plotX + float64(i)/float64(n-1)*plotW
	}

	// Values panel.
	single := len(p.Fields) == 1
	lo, hi := make([]float64, len(p.Fields)), make([]float64, len(p.Fields))
	for j := range p.Fields {
		lo[j], hi[j] = math.Inf(1), math.Inf(-1)
		for _, v := range s.vals {
			if j < len(v) {
				lo[j], hi[j] = min(lo[j], v[j]), max(hi[j], v[j])
			}
		}
		if math.IsInf(lo[j], 0) {
			lo[j], hi[j] = 0, 1
		}
		if hi[j] == lo[j] {
			hi[j] = lo[j] + 1
		}
	}
	if single {
		step := plot.NiceStep((hi[0] - lo[0]) / 5)
		lo[0], hi[0] = math.Floor(lo[0]/step)*step, math.Ceil(hi[0]/step)*step
		p.yAxis(w, valuesY, valuesH, lo[0], hi[0], step, p.Fields[0])
	} else {
		p.yAxis(w, valuesY, valuesH, 0, 1, 0.25, "each field from its min to its max")
	}
	vy := func(j int, x float64) float64 {
		return valuesY + valuesH - (x-lo[j])/(hi[j]-lo[j])*valuesH
	}
	for j, name := range p.Fields {
		fmt.Fprintf(w, `<polyline class="values" fill="none" stroke="%s" stroke-width="1" points="`, fieldColors[j%len(fieldColors)])
		for i, v := range s.vals {
			if j < len(v) {
				fmt.Fprintf(w, "%.1f,%.1f ", sx(i), vy(j, v[j]))
			}
		}
		fmt.Fprintf(w, `"><title>%s</title></polyline>`+"\n", plot.Esc(name))
	}
	fmt.Fprintf(w, `<g id="high" fill="%s">`+"\n", highColor)
	for i, v := range s.vals {
		if s.score[i] > highScore && len(v) > 0 {
			fmt.Fprintf(w, `<circle cx="%.1f" cy="%.1f" r="3"><title>record %d: score %s</title></circle>`+"\n", sx(i), vy(0, v[0]), i+1, plot.Num(s.score[i]))
		}
	}
	fmt.Fprintln(w, `</g>`)

	// Scores panel.
	top := 1.0
	for i := range s.score {
		top = max(top, s.score[i])
		if !math.IsNaN(s.other[i]) {
			top = max(top, s.other[i])
		}
	}
	step := plot.NiceStep(top / 5)
	top = math.Ceil(top/step) * step
	p.yAxis(w, scoresY, scoresH, 0, top, step, "ANOMALY_SCORE")
	sy := func(v float64) float64 { return scoresY + scoresH - v/top*scoresH }
	if p.Compare != "" {
		fmt.Fprintf(w, `<polyline id="compared" fill="none" stroke="%s" stroke-width="1" stroke-opacity="0.8" points="`, otherColor)
		for i, v := range s.other {
			if !math.IsNaN(v) {
				fmt.Fprintf(w, "%.1f,%.1f ", sx(i), sy(v))
			}
		}
		fmt.Fprintln(w, `"/>`)
	}
	fmt.Fprintf(w, `<polyline id="scores" fill="none" stroke="%s" stroke-width="1" points="`, scoreColor)
	for i, v := range s.score {
		fmt.Fprintf(w, "%.1f,%.1f ", sx(i), sy(v))
	}
	fmt.Fprintln(w, `"/>`)
	fmt.Fprintf(w, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="%s" stroke-dasharray="4 3"/>`+"\n", plotX, sy(highScore), plotX+plotW, sy(highScore), highColor)

	// The x axis, under the scores.
	base := scoresY + scoresH
	fmt.Fprintf(w, `<path d="M%d %dH%d" stroke="%s" stroke-width="1.5"/>`+"\n", plotX, base, plotX+plotW, axisColor)
	xstep := max(1, int(plot.NiceStep(float64(n)/8)))
	for i := 0; i < n; i += xstep {
		x := sx(i)
		fmt.Fprintf(w, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s"/>`+"\n", x, base, x, base+6, axisColor)
		fmt.Fprintf(w, `<text x="%.1f" y="%d" text-anchor="middle">%d</text>`+"\n", x, base+22, i+1)
	}
	xlabel := "record"
	if p.TimeField != "" && n > 0 {
		xlabel = fmt.Sprintf("record (%s from %s to %s)", p.TimeField, stamp(s.at[0]), stamp(s.at[n-1]))
	}
	fmt.Fprintf(w, `<text x="%d" y="%d" text-anchor="middle" font-weight="bold">%s</text>`+"\n", plotX+plotW/2, base+45, plot.Esc(xlabel))

	// Legend.
	y := valuesY + 10
	fmt.Fprintf(w, `<g id="legend"><text x="%d" y="%d" font-weight="bold">Legend</text>`+"\n", legendX, y)
	y += 25
	for j, name := range p.Fields {
		fmt.Fprintf(w, `<path d="M%d %dh20" stroke="%s" stroke-width="2"/><text x="%d" y="%d" dominant-baseline="middle">%s</text>`+"\n",
			legendX, y, fieldColors[j%len(fieldColors)], legendX+26, y, plot.Esc(name))
		y += 20
	}
	fmt.Fprintf(w, `<circle cx="%d" cy="%d" r="3" fill="%s"/><text x="%d" y="%d" dominant-baseline="middle">score above %d</text>`+"\n", legendX+10, y, highColor, legendX+26, y, highScore)
	y += 20
	fmt.Fprintf(w, `<path d="M%d %dh20" stroke="%s" stroke-width="2"/><text x="%d" y="%d" dominant-baseline="middle">rowtime's score</text>`+"\n", legendX, y, scoreColor, legendX+26, y)
	y += 20
	if p.Compare != "" {
		label := p.Compare
		if p.CompareScale != 1 {
			label = fmt.Sprintf("%s × %s", p.Compare, plot.Num(p.CompareScale))
		}
		fmt.Fprintf(w, `<path d="M%d %dh20" stroke="%s" stroke-width="2"/><text x="%d" y="%d" dominant-baseline="middle">%s</text>`+"\n", legendX, y, otherColor, legendX+26, y, plot.Esc(label))
		y += 20
	}
	fmt.Fprintln(w, `</g>`)
	fmt.Fprintln(w, `</svg>`)
}

// yAxis draws a panel's frame, grid and y ticks.
func (p picture) yAxis(w io.Writer, top, height int, lo, hi, step float64, label string) {
	sy := func(v float64) float64 { return float64(top+height) - (v-lo)/(hi-lo)*float64(height) }
	fmt.Fprintln(w, `<g class="axis" stroke-width="1">`)
	for v := lo; v <= hi+step/2; v += step {
		y := sy(v)
		fmt.Fprintf(w, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#eee"/>`+"\n", plotX, y, plotX+plotW, y)
		fmt.Fprintf(w, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="%s"/>`+"\n", plotX-6, y, plotX, y, axisColor)
		fmt.Fprintf(w, `<text x="%d" y="%.1f" text-anchor="end" dominant-baseline="middle">%s</text>`+"\n", plotX-10, y, plot.Tick(v, step))
	}
	fmt.Fprintf(w, `<path d="M%d %dV%d" stroke="%s" stroke-width="1.5"/>`+"\n", plotX, top, top+height, axisColor)
	fmt.Fprintf(w, `<text transform="translate(%d %d) rotate(-90)" text-anchor="middle" font-weight="bold">%s</text>`+"\n", plotX-60, top+height/2, plot.Esc(label))
	fmt.Fprintln(w, `</g>`)
}

func stamp(t record.Time) string {
	return time.Unix(0, int64(t)).UTC().Format("2006-01-02 15:04")
}
