// Zoom and crosshair shared by the charts of one page: the crosshair through uPlot's cursor sync
// (by x value, so charts with other x ranges follow too), the zoom by this object. A drag on any
// chart zooms every chart to that x range; a double click or reset() zooms them all back out.
import uPlot from 'uplot';

let nextId = 0;

export class ChartSync {
  /** The uPlot cursor-sync key of this page's charts. */
  readonly key = `ailab-charts-${++nextId}`;
  /** The shared x range, or null when the charts show all of their data. */
  zoom = $state<[number, number] | null>(null);
  private readonly charts = new Set<uPlot>();

  /** Registers a chart (its cursor sync must use `key`); returns its removal. */
  add(chart: uPlot): () => void {
    this.charts.add(chart);
    uPlot.sync(this.key).sub(chart);
    if (this.zoom) chart.setScale('x', { min: this.zoom[0], max: this.zoom[1] });
    return () => {
      this.charts.delete(chart);
      uPlot.sync(this.key).unsub(chart);
    };
  }

  /** Zooms every chart to x in [min, max]. */
  zoomTo(min: number, max: number): void {
    if (!(max > min)) return;
    this.zoom = [min, max];
    for (const c of this.charts) c.setScale('x', { min, max });
  }

  /** Back to every chart's full x range. */
  reset(): void {
    this.zoom = null;
    for (const c of this.charts) c.setData(c.data, true);
  }

  /** After new data: keeps a chart at the shared zoom (setData rescales to the data otherwise). */
  keep(chart: uPlot): void {
    if (this.zoom) chart.setScale('x', { min: this.zoom[0], max: this.zoom[1] });
  }
}
