// The charts of the HTML report. This code runs in the browser, not in Node: script.ts
// inlines each exported function by its source text, so a function here may use only the
// others in this file, the DOM and the global uPlot (inlined before it). No imports of
// values and no module-level constants, since neither would travel with the source text.

import type uPlotType from 'uplot';
import type { ReportModel, RunSeries, Sample } from './model.js';

declare const uPlot: typeof uPlotType;

type Unit = 'ms' | 'perSec' | 'count' | 'cores';

interface Metric {
  label: string;
  color: string;
  unit: Unit;
  /** The right-hand axis ('y2') or the left one ('y'). */
  scale: 'y' | 'y2';
  pick: (run: RunSeries) => Sample[] | undefined;
  dash?: number[];
}

interface ChartSpec {
  id: string;
  title: string;
  description: string;
  metrics: Metric[];
  axes: { y: string; y2?: string; logY?: boolean };
  shadeFreezes?: boolean;
}

/** Reads the embedded data and draws every chart into #charts. */
export function startReport(): void {
  const holder = document.getElementById('chatload-data');
  const model = JSON.parse(holder?.textContent ?? '{"runs":[]}') as ReportModel;
  const container = document.getElementById('charts');
  if (container === null) return;

  for (const spec of chartSpecs(model)) {
    try {
      renderChart(spec, model.runs, container);
    } catch (error) {
      console.error(`chart ${spec.id} could not be drawn`, error);
    }
  }
}

export function chartSpecs(model: ReportModel): ChartSpec[] {
  const first = model.runs[0];
  const open = first !== undefined && first.model === 'open';
  const specs: ChartSpec[] = [
    {
      id: 'throughput',
      title: 'Throughput and users',
      description:
        'Completed requests per second (left axis) and active users (right axis), ' +
        `with the ${open ? 'planned rate of new iterations' : 'planned number of users'}.`,
      metrics: [
        { label: 'req/s', color: '#2563eb', unit: 'perSec', scale: 'y', pick: (r) => r.rps },
        { label: 'users', color: '#ea580c', unit: 'count', scale: 'y2', pick: (r) => r.users },
        {
          label: open ? 'target rate' : 'target users',
          color: '#9ca3af',
          unit: open ? 'perSec' : 'count',
          scale: 'y2',
          pick: (r) => r.target,
          dash: [3, 3],
        },
      ],
      axes: { y: 'requests per second', y2: 'users' },
      shadeFreezes: true,
    },
    {
      id: 'latency',
      title: 'Latency, all steps',
      description:
        'Percentiles of each second, in ms from the intended start (log scale). ' +
        'A gap is a second in which no request completed.',
      metrics: latencyMetrics(true),
      axes: { y: 'ms', logY: true },
      shadeFreezes: true,
    },
  ];

  for (const name of stepNames(model)) {
    specs.push({
      id: `step-${specs.length}`,
      title: `Latency of step ${name}`,
      description: `p50, p99 and max of step ${name} in each second, in ms (log scale).`,
      metrics: latencyMetrics(false).map((metric) => stepMetric(metric, name)),
      axes: { y: 'ms', logY: true },
      shadeFreezes: true,
    });
  }
  specs.push(...healthSpecs());
  if (model.runs.some((run) => run.delivery !== null)) specs.push(deliverySpec());
  return specs;
}

export function latencyMetrics(withP90: boolean): Metric[] {
  const all: Metric[] = [
    { label: 'p50', color: '#2563eb', unit: 'ms', scale: 'y', pick: (r) => r.p50 },
    { label: 'p90', color: '#16a34a', unit: 'ms', scale: 'y', pick: (r) => r.p90 },
    { label: 'p99', color: '#ea580c', unit: 'ms', scale: 'y', pick: (r) => r.p99 },
    { label: 'max', color: '#dc2626', unit: 'ms', scale: 'y', pick: (r) => r.max },
  ];
  return withP90 ? all : all.filter((metric) => metric.label !== 'p90');
}

export function stepMetric(metric: Metric, name: string): Metric {
  const key = metric.label as 'p50' | 'p99' | 'max';
  return { ...metric, pick: (run) => run.steps.find((step) => step.name === name)?.[key] };
}

export function stepNames(model: ReportModel): string[] {
  const names: string[] = [];
  for (const run of model.runs) {
    for (const step of run.steps) if (!names.includes(step.name)) names.push(step.name);
  }
  return names;
}

export function healthSpecs(): ChartSpec[] {
  const stalls: ChartSpec = {
    id: 'inflight',
    title: 'In flight and stalled',
    description:
      'Requests in flight and requests stalled (in flight past the stall limit) at the end ' +
      'of each second. Shaded: freezes, when requests were in flight and none completed.',
    metrics: [
      { label: 'in flight', color: '#2563eb', unit: 'count', scale: 'y', pick: (r) => r.inFlight },
      { label: 'stalled', color: '#dc2626', unit: 'count', scale: 'y', pick: (r) => r.stalledNow },
    ],
    axes: { y: 'requests' },
    shadeFreezes: true,
  };
  const errors: ChartSpec = {
    id: 'errors',
    title: 'Errors and dropped iterations',
    description: 'Failed requests and dropped iterations in each second.',
    metrics: [
      { label: 'errors', color: '#dc2626', unit: 'count', scale: 'y', pick: (r) => r.errors },
      { label: 'dropped', color: '#7c3aed', unit: 'count', scale: 'y', pick: (r) => r.dropped },
    ],
    axes: { y: 'per second' },
    shadeFreezes: true,
  };
  const generator: ChartSpec = {
    id: 'generator',
    title: 'The generator’s own health',
    description:
      'CPU used by chatload (1 = one core) and the p99 of its event-loop delay. A busy ' +
      'generator adds its own lateness to the latency above.',
    metrics: [
      { label: 'cpu', color: '#0891b2', unit: 'cores', scale: 'y', pick: (r) => r.cpu },
      {
        label: 'loop delay p99',
        color: '#ca8a04',
        unit: 'ms',
        scale: 'y2',
        pick: (r) => r.loopDelayP99,
      },
    ],
    axes: { y: 'cores', y2: 'ms' },
  };
  return [stalls, errors, generator];
}

export function deliverySpec(): ChartSpec {
  return {
    id: 'delivery',
    title: 'Message delivery',
    description:
      'p99 of the time from a post to its arrival at the other members, and lost messages.',
    metrics: [
      { label: 'delivery p99', color: '#2563eb', unit: 'ms', scale: 'y', pick: deliveryP99 },
      { label: 'lost', color: '#dc2626', unit: 'count', scale: 'y2', pick: deliveryLost },
    ],
    axes: { y: 'ms', y2: 'lost messages' },
    shadeFreezes: true,
  };
}

export function deliveryP99(run: RunSeries): Sample[] | undefined {
  return run.delivery?.p99;
}

export function deliveryLost(run: RunSeries): Sample[] | undefined {
  return run.delivery?.lost;
}

export function renderChart(spec: ChartSpec, runs: RunSeries[], container: HTMLElement): void {
  const figure = document.createElement('figure');
  figure.className = 'chart';
  figure.id = `chart-${spec.id}`;
  const caption = document.createElement('figcaption');
  caption.innerHTML = '<strong></strong> <span class="muted"></span>';
  caption.querySelector('strong')!.textContent = spec.title;
  caption.querySelector('span')!.textContent = spec.description;
  figure.append(caption);
  container.append(figure);

  const { data, series } = chartData(spec, runs);
  const logY = spec.axes.logY === true && hasPositive(data.slice(1) as Sample[][]);
  const width = Math.max(320, figure.clientWidth - 24);
  const options: uPlotType.Options = {
    width,
    height: 260,
    series: [{ label: 'time', value: (_u, value, _s, idx) => timeLabel(value, idx) }, ...series],
    scales: { x: { time: false }, y: logY ? { distr: 3 } : { range: zeroBased } },
    axes: chartAxes(spec),
    hooks: spec.shadeFreezes ? { drawClear: [(u: uPlotType) => shadeFreezes(u, runs)] } : {},
  };
  if (spec.axes.y2 !== undefined) options.scales!.y2 = { range: zeroBased };

  const chart = new uPlot(options, data, figure);
  const canvas = chart.root.querySelector('canvas');
  canvas?.setAttribute('role', 'img');
  canvas?.setAttribute('aria-label', `${spec.title}. ${spec.description}`);
  window.addEventListener('resize', () =>
    chart.setSize({ width: Math.max(320, figure.clientWidth - 24), height: 260 }),
  );
}

export function chartData(spec: ChartSpec, runs: RunSeries[]) {
  const tables: Sample[][][] = [];
  const series: uPlotType.Series[] = [];
  runs.forEach((run, index) => {
    const table: Sample[][] = [run.t];
    for (const metric of spec.metrics) {
      const values = metric.pick(run);
      if (values === undefined) continue;
      table.push(values);
      series.push(seriesOf(metric, run, runs.length > 1, index));
    }
    if (table.length > 1) tables.push(table);
  });

  // Runs tick at slightly different moments; aligning them leaves holes that are not
  // gaps in the data, so those are bridged and only the data's own nulls break a line.
  const nullModes = tables.map((table) => table.map(() => 2 as uPlotType.JoinNullMode));
  const data =
    tables.length === 1
      ? (tables[0] as uPlotType.AlignedData)
      : uPlot.join(tables as uPlotType.AlignedData[], nullModes);
  return { data, series };
}

export function seriesOf(
  metric: Metric,
  run: RunSeries,
  compared: boolean,
  index: number,
): uPlotType.Series {
  // B is dashed; a line that is already dashed in A (the target) is dotted in B.
  const dash = index === 0 ? metric.dash : metric.dash ? [1, 4] : [8, 4];
  return {
    label: compared ? `${metric.label} (${run.tag})` : metric.label,
    stroke: metric.color,
    width: index > 0 ? 1.5 : 2,
    dash,
    scale: metric.scale,
    spanGaps: false,
    points: { show: false },
    value: (u, value, seriesIdx, idx) => legendValue(u, value, seriesIdx, idx, metric.unit),
  };
}

/** At the cursor, the value there; elsewhere the run's peak, so the legend is never empty. */
export function legendValue(
  u: uPlotType,
  value: Sample | undefined,
  seriesIdx: number,
  idx: number | null,
  unit: Unit,
): string {
  if (idx !== null) return value === null || value === undefined ? '–' : formatValue(value, unit);
  let peak: number | null = null;
  for (const sample of u.data[seriesIdx] as Sample[]) {
    if (typeof sample === 'number' && (peak === null || sample > peak)) peak = sample;
  }
  return peak === null ? 'no data' : `peak ${formatValue(peak, unit)}`;
}

export function formatValue(value: number, unit: Unit): string {
  if (unit === 'ms') {
    if (value >= 10_000) return `${(value / 1000).toFixed(1)} s`;
    return `${value.toFixed(value >= 100 ? 0 : value >= 10 ? 1 : 2)} ms`;
  }
  if (unit === 'perSec') return `${value.toFixed(value >= 100 ? 0 : 1)}/s`;
  if (unit === 'cores') return value.toFixed(2);
  return String(Math.round(value * 100) / 100);
}

export function timeLabel(value: number | null, idx: number | null): string {
  if (idx === null || value === null) return 'whole run';
  return `${value.toFixed(1)} s`;
}

export function chartAxes(spec: ChartSpec): uPlotType.Axis[] {
  const seconds = (_u: uPlotType, splits: number[]) => splits.map((split) => `${split}s`);
  const axes: uPlotType.Axis[] = [
    { label: 'seconds since the start', values: seconds },
    { label: spec.axes.y, scale: 'y' },
  ];
  if (spec.axes.y2 !== undefined) {
    axes.push({ label: spec.axes.y2, scale: 'y2', side: 1, grid: { show: false } });
  }
  return axes;
}

export function zeroBased(_u: uPlotType, _min: number, max: number): uPlotType.Range.MinMax {
  const top = max > 0 ? max * 1.1 : 1;
  return [0, top];
}

export function hasPositive(columns: Sample[][]): boolean {
  return columns.some((column) => column.some((value) => typeof value === 'number' && value > 0));
}

/** Shades each freeze behind the lines: red for the base run, violet for the other. */
export function shadeFreezes(u: uPlotType, runs: RunSeries[]): void {
  const { left, top, width, height } = u.bbox;
  const ctx = u.ctx;
  ctx.save();
  runs.forEach((run, index) => {
    ctx.fillStyle = index === 0 ? 'rgba(220, 38, 38, 0.13)' : 'rgba(124, 58, 237, 0.13)';
    for (const freeze of run.freezes) {
      const x0 = Math.max(left, u.valToPos(freeze.startSec, 'x', true));
      const x1 = Math.min(left + width, u.valToPos(freeze.endSec, 'x', true));
      if (x1 > x0) ctx.fillRect(x0, top, Math.max(1, x1 - x0), height);
    }
  });
  ctx.restore();
}
