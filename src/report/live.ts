// The live view on stderr. On a terminal, a block of a few lines redrawn in place every
// second: progress and stage, users, throughput with a sparkline, the last interval's
// latency, errors, requests in flight and stalled, a warning while a freeze is under way.
// In CI logs and pipes, one plain line every few seconds instead.
//
// The block is redrawn by moving the cursor up over the lines drawn last time and erasing
// from there down, so nothing scrolls and nothing is left behind when it is erased.
// Limitation: narrowing the terminal while the view is up can leave one stale line above
// it, because the terminal re-wraps lines already drawn and the count of lines to move up
// over is then wrong; every line is cut to the width known at the last redraw.

import type { Run } from '../engine/run.js';

/** What the view reads from a run: a `Run`, or the parent of worker threads. */
export type LiveRun = Pick<
  Run,
  'scenario' | 'elapsedMs' | 'plannedMs' | 'stopping' | 'iterationsCompleted'
>;
import type { TimelinePoint } from '../metrics/timeline.js';
import type { LoadModel } from '../scenario/types.js';

const PLAIN_EVERY_SECONDS = 5;
const SPARK_SECONDS = 30;
const BAR_WIDTH = 24;
const SPARK_LEVELS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

const ERASE_LINE_START = '\r';
const ERASE_TO_END = '\x1b[J';
const HIDE_CURSOR = '\x1b[?25l';
const SHOW_CURSOR = '\x1b[?25h';

/** Delivery numbers of chat scenarios, read when the timeline carries them. */
export interface DeliveryInterval {
  p99: number;
  lost: number;
}

export type LivePoint = Omit<TimelinePoint, 'delivery'> & { delivery?: DeliveryInterval };

/** What the view reads from the run besides the point. */
export interface RunProgress {
  load: LoadModel;
  elapsedMs: number;
  plannedMs: number | undefined;
  stopping: boolean;
  iterationsCompleted: number;
}

export interface ViewInput {
  point: LivePoint;
  progress: RunProgress;
  /** Requests per second of the last seconds, oldest first. */
  rpsHistory: readonly number[];
  errorsTotal: number;
}

export class LiveLine {
  readonly #stream: NodeJS.WriteStream;
  readonly #isTTY: boolean;
  readonly #write: (text: string) => void;
  readonly #rpsHistory: number[] = [];
  #errorsTotal = 0;
  #lastPlainAt = 0;
  #shown: string[] = [];
  #lastView: string[] = [];
  #cursorHidden = false;
  #restoreStream: (() => void) | undefined;
  readonly #onExit = () => this.finish();

  constructor(stream: NodeJS.WriteStream = process.stderr) {
    this.#stream = stream;
    this.#isTTY = stream.isTTY === true;
    const originalWrite = stream.write;
    this.#write = (text) => void originalWrite.call(stream, text);
  }

  update(point: LivePoint, run: LiveRun): void {
    this.#rpsHistory.push(point.rps);
    if (this.#rpsHistory.length > SPARK_SECONDS) this.#rpsHistory.shift();
    this.#errorsTotal += point.errors;

    if (!this.#isTTY) {
      if (point.t - this.#lastPlainAt >= PLAIN_EVERY_SECONDS || point.freezeMs > 0) {
        this.#lastPlainAt = point.t;
        this.#write(`${describe(point, run)}\n`);
      }
      return;
    }

    const input = {
      point,
      progress: progressOf(run),
      rpsHistory: this.#rpsHistory,
      errorsTotal: this.#errorsTotal,
    };
    const width = Math.max(20, (this.#stream.columns ?? 80) - 1);
    this.#lastView = renderView(input).map((line) => fitLine(line, width));
    this.#guardStream();
    this.#draw(this.#lastView);
  }

  /** Erases the view and gives the cursor back, so that later output starts clean. */
  finish(): void {
    const erase = this.#shown.length > 0 ? eraseSequence(this.#shown.length) : '';
    const cursor = this.#cursorHidden ? SHOW_CURSOR : '';
    if (erase + cursor !== '') this.#write(erase + cursor);
    this.#shown = [];
    this.#cursorHidden = false;
    this.#lastView = [];
    this.#restoreStream?.();
    this.#restoreStream = undefined;
  }

  #draw(lines: string[]): void {
    if (lines.length === 0) return;
    const erase = this.#shown.length > 0 ? eraseSequence(this.#shown.length) : '';
    const cursor = this.#cursorHidden ? '' : HIDE_CURSOR;
    this.#write(cursor + erase + lines.map(colourLine).join('\n'));
    this.#shown = lines;
    this.#cursorHidden = true;
  }

  // Anything else written to the stream while the view is up (the interrupt messages,
  // a warning) would land at the end of the view's last line and break the next redraw.
  // So the view steps aside: erase it, let the text through, draw it again below.
  #guardStream(): void {
    if (this.#restoreStream !== undefined) return;
    const stream = this.#stream;
    const originalWrite = stream.write;
    const guarded = (chunk: unknown, ...rest: unknown[]): boolean => {
      if (this.#shown.length > 0) {
        this.#write(eraseSequence(this.#shown.length));
        this.#shown = [];
      }
      const result = (originalWrite as (...args: unknown[]) => boolean).call(
        stream,
        chunk,
        ...rest,
      );
      if (String(chunk).endsWith('\n')) this.#draw(this.#lastView);
      return result;
    };
    stream.write = guarded as typeof stream.write;
    process.once('exit', this.#onExit);
    this.#restoreStream = () => {
      stream.write = originalWrite;
      process.off('exit', this.#onExit);
    };
  }
}

function eraseSequence(linesShown: number): string {
  const up = linesShown > 1 ? `\x1b[${linesShown - 1}A` : '';
  return ERASE_LINE_START + up + ERASE_TO_END;
}

function progressOf(run: LiveRun): RunProgress {
  return {
    load: run.scenario.load,
    elapsedMs: run.elapsedMs,
    plannedMs: run.plannedMs,
    stopping: run.stopping,
    iterationsCompleted: run.iterationsCompleted,
  };
}

/** The view's lines, uncoloured and not yet cut to the terminal's width. */
export function renderView(input: ViewInput): string[] {
  const { point, progress } = input;
  const lines = [progressLine(progress, point), loadLine(input), latencyLine(input)];

  const stalled = `stalled now ${point.stalledNow} (${point.stalledTotal} total)`;
  const dropped = point.dropped > 0 ? ` · dropped ${point.dropped}` : '';
  lines.push(`in flight ${point.inFlight} · ${stalled}${dropped}`);

  if (point.freezeMs > 0) {
    lines.push(
      `!! FROZEN for ${(point.freezeMs / 1000).toFixed(1)}s: ` +
        `${point.inFlight} requests in flight, none completing`,
    );
  }
  if (point.delivery !== undefined) {
    lines.push(`delivery p99 ${ms(point.delivery.p99)} · lost messages ${point.delivery.lost}`);
  }
  return lines;
}

function progressLine(progress: RunProgress, point: LivePoint): string {
  const elapsedSec = Math.floor(progress.elapsedMs / 1000);
  if (progress.plannedMs === undefined) {
    const total = plannedIterations(progress.load);
    const counted =
      total === undefined ? '' : ` · iterations ${progress.iterationsCompleted}/${total}`;
    const fraction = total ? progress.iterationsCompleted / total : 0;
    return `${bar(fraction)} ${elapsedSec}s elapsed${counted}`;
  }

  const fraction = progress.elapsedMs / progress.plannedMs;
  const percent = `${Math.min(100, Math.floor(fraction * 100))}%`.padStart(4);
  const clock = `${elapsedSec}s / ${Math.round(progress.plannedMs / 1000)}s`;
  const phase = progress.stopping
    ? `stopping: waiting for ${point.inFlight} requests in flight`
    : stageLabel(progress.load, progress.elapsedMs);
  return `${bar(fraction)} ${percent} ${clock} · ${phase}`;
}

function plannedIterations(load: LoadModel): number | undefined {
  if (load.iterations === undefined) return undefined;
  return load.model === 'closed' ? load.startUsers * load.iterations : load.iterations;
}

function bar(fraction: number): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * BAR_WIDTH);
  return `[${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}]`;
}

/** "stage 2/3: ramp 10 → 50 users", or "steady 20 users" for a single flat stage. */
export function stageLabel(load: LoadModel, elapsedMs: number): string {
  const unit = load.model === 'closed' ? ' users' : '/s';
  const levels =
    load.model === 'closed'
      ? load.stages.map((stage) => stage.users)
      : load.stages.map((stage) => stage.ratePerSec);
  let from = load.model === 'closed' ? load.startUsers : load.startRatePerSec;
  let endMs = 0;

  for (let i = 0; i < load.stages.length; i++) {
    endMs += load.stages[i].durationMs;
    const to = levels[i];
    if (elapsedMs < endMs || i === load.stages.length - 1) {
      const shape = from === to ? `steady ${to}${unit}` : `ramp ${from} → ${to}${unit}`;
      return load.stages.length === 1 ? shape : `stage ${i + 1}/${load.stages.length}: ${shape}`;
    }
    from = to;
  }
  return 'no stages';
}

function loadLine(input: ViewInput): string {
  const { point, progress } = input;
  const users =
    progress.load.model === 'closed'
      ? `users ${point.users} / ${Math.round(point.target)}`
      : `users ${point.users} · target rate ${point.target.toFixed(1)}/s`;
  return `${users} · ${point.rps.toFixed(0)} req/s ${sparkline(input.rpsHistory)}`;
}

function latencyLine(input: ViewInput): string {
  const { point } = input;
  const latency =
    point.requests > 0
      ? `p50 ${ms(point.p50)} · p99 ${ms(point.p99)}`
      : 'p50 – · p99 – (nothing completed)';
  const errors = `errors ${point.errors} (${input.errorsTotal} total)`;
  return `last ${point.seconds.toFixed(1)}s: ${latency} · ${errors}`;
}

/** One block per value, scaled to the largest; a second with nothing done is a blank. */
export function sparkline(values: readonly number[]): string {
  const top = Math.max(...values, 0);
  return values
    .map((value) => {
      if (value <= 0 || top === 0) return ' ';
      const level = Math.ceil((value / top) * SPARK_LEVELS.length) - 1;
      return SPARK_LEVELS[Math.min(SPARK_LEVELS.length - 1, Math.max(0, level))];
    })
    .join('');
}

/** Cut to the terminal's width: a wrapped line would throw off the cursor arithmetic. */
export function fitLine(line: string, width: number): string {
  const chars = [...line];
  return chars.length <= width ? line : chars.slice(0, width - 1).join('') + '…';
}

function colourLine(line: string): string {
  if (!line.startsWith('!!') || process.env.NO_COLOR) return line;
  return `\x1b[1;31m${line}\x1b[0m`;
}

function ms(value: number): string {
  if (value >= 10_000) return `${(value / 1000).toFixed(1)}s`;
  if (value >= 100) return `${value.toFixed(0)}ms`;
  return `${value.toFixed(value >= 10 ? 1 : 2)}ms`;
}

/** The plain line for logs and pipes. */
export function describe(point: LivePoint, run: LiveRun): string {
  const planned = run.plannedMs !== undefined ? `/${Math.round(run.plannedMs / 1000)}s` : 's';
  const load =
    run.scenario.load.model === 'closed'
      ? `users ${point.users}/${Math.round(point.target)}`
      : `users ${point.users} rate ${point.target.toFixed(1)}/s`;
  const parts = [
    `${Math.floor(point.t)}${planned}`,
    load,
    `${point.rps.toFixed(0)} req/s`,
    `p99 ${point.p99.toFixed(1)}ms`,
    `errors ${point.errors}`,
    `in flight ${point.inFlight}`,
    `stalled now ${point.stalledNow}`,
  ];
  if (point.dropped > 0) parts.push(`dropped ${point.dropped}`);
  if (point.freezeMs > 0) parts.push(`FROZEN for ${(point.freezeMs / 1000).toFixed(1)}s`);
  return parts.join(' · ');
}
