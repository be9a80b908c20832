package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"

	"github.com/rowtime/rowtime/examples/internal/plot"
	"github.com/rowtime/rowtime/hotspot"
)

// picture is what -svg draws.
type picture struct {
	Points     [][2]float64      // the last window's points, oldest first
	Hotspots   []hotspot.Hotspot // the last window's hotspots, densest first
	MinDensity float64           // draw hotspots at least this dense
	XName      string
	YName      string
	Window     int
	Radius     float64
	MinPts     int
}

// drawn returns the hotspots to draw.
func (p picture) drawn() []hotspot.Hotspot {
	var hs []hotspot.Hotspot
	for _, h := range p.Hotspots {
		if h.Density >= p.MinDensity && len(h.Min) == 2 {
			hs = append(hs, h)
		}
	}
	return hs
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
	svgW, svgH   = 900, 720
	plotX, plotY = 80, 70    // top-left corner of the plot area
	plotSide     = 580       // the plot is square: both axes share one scale
	legendX      = 690       // left edge of the legend column
	hotColor     = "#d62728" // hotspot boxes and the points inside them
	pointColor   = "#8c96a0"
	axisColor    = "#333"
)

// draw writes the picture: the plot area with axes, ticks and grid, one
// circle per point (red inside a drawn hotspot box, grey elsewhere), one
// <rect class="hotspot"> per drawn hotspot with its density next to it, a
// scale bar as long as the radius, and a legend. The only <rect> elements
// are the hotspot boxes.
func (p picture) draw(w io.Writer) {
	hs := p.drawn()
	lo, hi := extent(p.Points, hs)
	side := max(hi[0]-lo[0], hi[1]-lo[1])
	step := plot.NiceStep(side / 8)
	lo[0], lo[1] = math.Floor(lo[0]/step)*step, math.Floor(lo[1]/step)*step
	side = max(math.Ceil((hi[0]-lo[0])/step), math.Ceil((hi[1]-lo[1])/step), 1) * step
	sx := func(x float64) float64 { return plotX + (x-lo[0])/side*plotSide }
	sy := func(y float64) float64 { return plotY + plotSide - (y-lo[1])/side*plotSide }

	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="Helvetica, Arial, sans-serif" font-size="13">
`, svgW, svgH, svgW, svgH)
	fmt.Fprintf(w, "<title>%s</title>\n", plot.Esc(p.title(len(hs))))
	fmt.Fprintf(w, `<path d="M0 0H%dV%dH0Z" fill="white"/>`+"\n", svgW, svgH)
	fmt.Fprintf(w, `<text x="%d" y="30" font-size="16" font-weight="bold">%s</text>`+"\n", plotX, plot.Esc(p.title(len(hs))))
	fmt.Fprintf(w, `<text x="%d" y="50" fill="#555">%s</text>`+"\n", plotX,
		plot.Esc(fmt.Sprintf("last %d points; boxes: hotspots with density ≥ %s (of %d in the window)", len(p.Points), plot.Num(p.MinDensity), len(p.Hotspots))))

	// Grid, ticks and axes.
	fmt.Fprintln(w, `<g id="axes" stroke-width="1">`)
	for v := lo[0]; v <= lo[0]+side+step/2; v += step {
		x := sx(v)
		fmt.Fprintf(w, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#eee"/>`+"\n", x, plotY, x, plotY+plotSide)
		fmt.Fprintf(w, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s"/>`+"\n", x, plotY+plotSide, x, plotY+plotSide+6, axisColor)
		fmt.Fprintf(w, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", x, plotY+plotSide+22, plot.Tick(v, step))
	}
	for v := lo[1]; v <= lo[1]+side+step/2; v += step {
		y := sy(v)
		fmt.Fprintf(w, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#eee"/>`+"\n", plotX, y, plotX+plotSide, y)
		fmt.Fprintf(w, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="%s"/>`+"\n", plotX-6, y, plotX, y, axisColor)
		fmt.Fprintf(w, `<text x="%d" y="%.1f" text-anchor="end" dominant-baseline="middle">%s</text>`+"\n", plotX-10, y, plot.Tick(v, step))
	}
	fmt.Fprintf(w, `<path d="M%d %dV%dH%d" fill="none" stroke="%s" stroke-width="1.5"/>`+"\n", plotX, plotY, plotY+plotSide, plotX+plotSide, axisColor)
	fmt.Fprintf(w, `<text x="%d" y="%d" text-anchor="middle" font-weight="bold">%s</text>`+"\n", plotX+plotSide/2, plotY+plotSide+45, plot.Esc(p.XName))
	fmt.Fprintf(w, `<text transform="translate(%d %d) rotate(-90)" text-anchor="middle" font-weight="bold">%s</text>`+"\n", plotX-55, plotY+plotSide/2, plot.Esc(p.YName))
	fmt.Fprintln(w, `</g>`)

	// Points: the ones in a drawn hotspot last, so they are on top.
	inHot := func(pt [2]float64) bool {
		for _, h := range hs {
			if pt[0] >= h.Min[0] && pt[0] <= h.Max[0] && pt[1] >= h.Min[1] && pt[1] <= h.Max[1] {
				return true
			}
		}
		return false
	}
	fmt.Fprintf(w, `<g id="points" fill="%s" fill-opacity="0.55">`+"\n", pointColor)
	for _, pt := range p.Points {
		if !inHot(pt) {
			fmt.Fprintf(w, `<circle cx="%.1f" cy="%.1f" r="2.2"/>`+"\n", sx(pt[0]), sy(pt[1]))
		}
	}
	fmt.Fprintln(w, `</g>`)
	fmt.Fprintf(w, `<g id="hot-points" fill="%s">`+"\n", hotColor)
	for _, pt := range p.Points {
		if inHot(pt) {
			fmt.Fprintf(w, `<circle cx="%.1f" cy="%.1f" r="2.6"/>`+"\n", sx(pt[0]), sy(pt[1]))
		}
	}
	fmt.Fprintln(w, `</g>`)

	// Hotspot boxes, each with its density.
	fmt.Fprintf(w, `<g id="hotspots" stroke="%s" stroke-width="2" fill="%s" fill-opacity="0.08">`+"\n", hotColor, hotColor)
	for _, h := range hs {
		x0, x1 := sx(h.Min[0]), sx(h.Max[0])
		y0, y1 := sy(h.Max[1]), sy(h.Min[1])
		fmt.Fprintf(w, `<rect class="hotspot" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s</title></rect>`+"\n",
			x0, y0, max(x1-x0, 1), max(y1-y0, 1),
			plot.Esc(fmt.Sprintf("density %s, %d points, %s∈[%s, %s], %s∈[%s, %s]", plot.Num(h.Density), h.Count,
				p.XName, plot.Num(h.Min[0]), plot.Num(h.Max[0]), p.YName, plot.Num(h.Min[1]), plot.Num(h.Max[1]))))
	}
	fmt.Fprintln(w, `</g>`)
	fmt.Fprintf(w, `<g id="densities" fill="%s" font-size="11" font-weight="bold" stroke="white" stroke-width="3" paint-order="stroke">`+"\n", hotColor)
	for _, h := range hs {
		fmt.Fprintf(w, `<text x="%.1f" y="%.1f">%s</text>`+"\n", sx(h.Max[0])+4, sy(h.Max[1])+8, strconv.FormatFloat(h.Density, 'f', 1, 64))
	}
	fmt.Fprintln(w, `</g>`)

	// Legend, and a scale bar as long as the radius.
	y := plotY + 10
	fmt.Fprintf(w, `<g id="legend"><text x="%d" y="%d" font-weight="bold">Legend</text>`+"\n", legendX, y)
	y += 25
	fmt.Fprintf(w, `<circle cx="%d" cy="%d" r="3" fill="%s" fill-opacity="0.55"/><text x="%d" y="%d" dominant-baseline="middle">point</text>`+"\n", legendX+8, y, pointColor, legendX+22, y)
	y += 22
	fmt.Fprintf(w, `<circle cx="%d" cy="%d" r="3" fill="%s"/><text x="%d" y="%d" dominant-baseline="middle">point in a hotspot box</text>`+"\n", legendX+8, y, hotColor, legendX+22, y)
	y += 24
	fmt.Fprintf(w, `<path d="M%d %dh16v12h-16Z" stroke="%s" stroke-width="2" fill="%s" fill-opacity="0.08"/><text x="%d" y="%d" dominant-baseline="middle">hotspot, density ≥ %s</text><text x="%d" y="%d" font-size="11" fill="#555">(its density beside it)</text>`+"\n",
		legendX, y-6, hotColor, hotColor, legendX+22, y, plot.Esc(plot.Num(p.MinDensity)), legendX+22, y+16)
	y += 40
	bar := p.Radius / side * plotSide
	fmt.Fprintf(w, `<path d="M%d %dv-6M%d %dh%.1fM%.1f %dv-6" stroke="%s" stroke-width="2" fill="none"/>`+"\n",
		legendX, y, legendX, y, bar, float64(legendX)+bar, y, axisColor)
	fmt.Fprintf(w, `<text x="%d" y="%d">scan radius %s</text>`+"\n", legendX, y+18, plot.Esc(plot.Num(p.Radius)))
	y += 50
	for _, l := range []string{
		fmt.Sprintf("window: %d records", p.Window),
		fmt.Sprintf("radius: %s", plot.Num(p.Radius)),
		fmt.Sprintf("minimum points: %d", p.MinPts),
		fmt.Sprintf("scale: 1 grid step = %s", plot.Num(step)),
	} {
		fmt.Fprintf(w, `<text x="%d" y="%d" fill="#555">%s</text>`+"\n", legendX, y, plot.Esc(l))
		y += 20
	}
	fmt.Fprintln(w, `</g>`)
	fmt.Fprintln(w, `</svg>`)
}

func (p picture) title(n int) string {
	noun := "hotspots"
	if n == 1 {
		noun = "hotspot"
	}
	return fmt.Sprintf("HOTSPOTS(window %d, radius %s, minPts %d): %d %s", p.Window, plot.Num(p.Radius), p.MinPts, n, noun)
}

// extent returns the bounding box of the points and hotspot boxes, or the
// unit square when there is nothing to draw.
func extent(pts [][2]float64, hs []hotspot.Hotspot) (lo, hi [2]float64) {
	lo = [2]float64{math.Inf(1), math.Inf(1)}
	hi = [2]float64{math.Inf(-1), math.Inf(-1)}
	grow := func(x, y float64) {
		lo[0], lo[1] = min(lo[0], x), min(lo[1], y)
		hi[0], hi[1] = max(hi[0], x), max(hi[1], y)
	}
	for _, p := range pts {
		grow(p[0], p[1])
	}
	for _, h := range hs {
		grow(h.Min[0], h.Min[1])
		grow(h.Max[0], h.Max[1])
	}
	if math.IsInf(lo[0], 0) {
		return [2]float64{0, 0}, [2]float64{1, 1}
	}
	if hi[0]-lo[0] == 0 && hi[1]-lo[1] == 0 {
		hi[0], hi[1] = lo[0]+1, lo[1]+1
	}
	return lo, hi
}
