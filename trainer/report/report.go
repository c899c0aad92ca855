// Package report holds the trainer's progress bars and plots.
package report

import (
	"fmt"
	"image/color"
	"io"
	"os"

	"github.com/schollz/progressbar/v3"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// Bar is a progress bar (items, rate, ETA) on w; a nil w gives a bar that
// draws nothing.
func Bar(w io.Writer, total int, what string) *progressbar.ProgressBar {
	if w == nil {
		w = io.Discard
	}
	return progressbar.NewOptions(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("it"),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(200_000_000),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
	)
}

// Stderr is the writer progress bars use by default.
func Stderr() io.Writer { return os.Stderr }

// Series is one named line of a line plot.
type Series struct {
	Name string
	X, Y []float64
}

// Lines writes a line plot as PNG.
func Lines(path, title, xLabel, yLabel string, series []Series) error {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	p.Add(plotter.NewGrid())
	for i, s := range series {
		pts := make(plotter.XYs, len(s.X))
		for k := range s.X {
			pts[k].X, pts[k].Y = s.X[k], s.Y[k]
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return fmt.Errorf("plot %s: %w", s.Name, err)
		}
		l.Color = plotutil.Color(i)
		l.Dashes = plotutil.Dashes(i / 7)
		p.Add(l)
		p.Legend.Add(s.Name, l)
	}
	p.Legend.Top = true
	if err := p.Save(8*vg.Inch, 5*vg.Inch, path); err != nil {
		return fmt.Errorf("write plot %s: %w", path, err)
	}
	return nil
}

// Histograms writes one histogram per named value set into a grid PNG
// (values in [0,1], bins of width 0.05).
func Histograms(path, title string, names []string, values [][]float64) error {
	const cols = 4
	rows := (len(names) + cols - 1) / cols
	if rows == 0 {
		return fmt.Errorf("histograms %s: nothing to plot", path)
	}
	plots := make([][]*plot.Plot, rows)
	for r := range plots {
		plots[r] = make([]*plot.Plot, cols)
		for c := range plots[r] {
			plots[r][c] = plot.New()
			plots[r][c].HideAxes()
		}
	}
	for i, n := range names {
		p := plot.New()
		p.Title.Text = fmt.Sprintf("%s (n=%d)", n, len(values[i]))
		p.X.Label.Text = title
		p.X.Min, p.X.Max = 0, 1
		if len(values[i]) > 0 {
			vs := make(plotter.Values, len(values[i]))
			copy(vs, values[i])
			h, err := plotter.NewHist(vs, 20)
			if err != nil {
				return fmt.Errorf("histogram %s: %w", n, err)
			}
			h.FillColor = color.RGBA{R: 70, G: 110, B: 200, A: 255}
			p.Add(h)
		}
		plots[i/cols][i%cols] = p
	}
	img := vgimgCanvas(float64(cols)*3, float64(rows)*2.5)
	if err := drawGrid(img, plots, path); err != nil {
		return err
	}
	return nil
}

// Bars writes a grouped bar chart as PNG: one group per label, one bar per
// series (values[series][label]).
func Bars(path, title, yLabel string, labels, series []string, values [][]float64) error {
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = yLabel
	w := vg.Points(60 / float64(max(1, len(series))))
	for i, s := range series {
		bars, err := plotter.NewBarChart(plotter.Values(values[i]), w)
		if err != nil {
			return fmt.Errorf("bars %s: %w", s, err)
		}
		bars.Color = plotutil.Color(i)
		bars.LineStyle.Width = 0
		bars.Offset = w * vg.Length(float64(i)-float64(len(series)-1)/2)
		p.Add(bars)
		p.Legend.Add(s, bars)
	}
	p.Legend.Top = true
	p.NominalX(labels...)
	if err := p.Save(9*vg.Inch, 4*vg.Inch, path); err != nil {
		return fmt.Errorf("write plot %s: %w", path, err)
	}
	return nil
}
