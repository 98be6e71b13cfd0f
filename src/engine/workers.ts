// `run --workers N`: one run driven by N worker threads, so that every core makes load.
//
// Each worker runs the same scenario on its share of the users or of the rate (see
// partition.ts), with its own connection pools, on a clock that starts at the same
// wall-clock moment as the others'. Each second a worker sends the interval that just ended;
// the parent adds the intervals of all workers into one point (histograms added, counts
// summed) for the live view, the timeline file and the thresholds. At the end each worker
// sends its own result document, and the parent merges them exactly as `chatload merge`
// merges shards.
//
// The end has two phases, so that chat delivery stays exact across workers: every worker
// first gives its requests and posts the grace period and says it has drained, while its
// sockets keep listening for posts of the others; when all have drained, they close their
// books together.
//
// A worker that dies is reported (its share, when, why). With `--on-worker-failure stop`
// (the default) the others stop as after Ctrl-C; with `continue` they go on. Either way
// their data is kept. Limitation: the dead worker's own measurements are lost, because a
// worker's result document is only sent at its end; its seconds before the crash are still
// in the timeline.

import { performance } from 'node:perf_hooks';
import { MessageChannel, Worker, type MessagePort, type WorkerOptions } from 'node:worker_threads';
import type { RunFlags } from '../cli/overrides.js';
import { addTimelinePoints } from '../report/merge.js';
import { createHistogram, decodeHistogram, type Histogram } from '../metrics/histogram.js';
import type { TimelinePoint } from '../metrics/timeline.js';
import { listeningBuffer } from '../protocols/mattermost/mesh.js';
import type { SetupResult } from '../protocols/mattermost/setup.js';
import type { MetricsView, StepView } from '../report/gates.js';
import type { ResultDocument, WorkerFailure } from '../report/result.js';
import type { Scenario } from '../scenario/types.js';
import { Partition, type PartLevel } from './partition.js';
import type { StopReason } from './run.js';
import { peakUsers, plannedDurationMs } from './schedule.js';
import type { ParentMessage, WorkerMessage, WorkerSetup, WorkerTotals } from './worker-messages.js';

export type OnWorkerFailure = 'stop' | 'continue';

export interface WorkerPoolOptions {
  scenario: Scenario;
  flags: RunFlags;
  target: string;
  seed: number;
  workers: number;
  /** When this process is itself one shard of a larger run. */
  shard?: PartLevel;
  /** Wall-clock start shared with other shards (`--start-at`); soon after now by default. */
  startAtEpochMs?: number;
  chatSetup?: SetupResult;
  onWorkerFailure: OnWorkerFailure;
  /** Called once a second with the workers' intervals added together. */
  onTick?: (point: TimelinePoint, stepHistograms: Record<string, string>) => void;
  shouldAbort?: (pool: WorkerPool) => string | undefined;
}

/** How long after the first worker reports a second the parent waits for the others. */
const TICK_WAIT_MS = 1500;
/** Time the workers get to load the scenario and start before their common start. */
const START_DELAY_MS = 300;

interface WorkerSlot {
  index: number;
  worker: Worker;
  partition: Partition;
  ended: boolean;
  drained: boolean;
  document?: ResultDocument;
  totals?: WorkerTotals;
}

interface TickMessage {
  point: TimelinePoint;
  stepHistograms: Record<string, string>;
}

export class WorkerPool {
  readonly scenario: Scenario;
  readonly options: WorkerPoolOptions;
  readonly plannedMs: number | undefined;
  readonly failures: WorkerFailure[] = [];
  readonly points: TimelinePoint[] = [];
  startedAt = 0;
  startedAtWall = new Date();
  endedAt = 0;
  stopping = false;
  stopReason: StopReason = 'completed';
  abortMessage: string | undefined;

  readonly #slots: WorkerSlot[] = [];
  readonly #ticks = new Map<number, Map<number, TickMessage>>();
  #nextTick = 0;
  #tickTimer: NodeJS.Timeout | undefined;
  readonly #stepLatency = new Map<string, Histogram>();
  readonly #deliveryLatency = createHistogram();
  #cpuAtLastPoint = process.cpuUsage();
  #lastPointAt = 0;
  #resolveEnded!: () => void;
  readonly #ended = new Promise<void>((resolve) => (this.#resolveEnded = resolve));

  constructor(options: WorkerPoolOptions) {
    this.options = options;
    this.scenario = options.scenario;
    this.plannedMs = plannedDurationMs(options.scenario.load);
  }

  get elapsedMs(): number {
    if (this.startedAt === 0) return 0;
    return (this.endedAt || performance.now()) - this.startedAt;
  }

  get iterationsCompleted(): number {
    return this.#slots.reduce((sum, slot) => sum + (slot.totals?.iterationsCompleted ?? 0), 0);
  }

  /** The documents of the workers that finished, in worker order. */
  get documents(): ResultDocument[] {
    return this.#slots.flatMap((slot) => (slot.document ? [slot.document] : []));
  }

  async execute(): Promise<void> {
    const count = this.options.workers;
    const startAtEpochMs = Math.max(this.options.startAtEpochMs ?? 0, Date.now() + START_DELAY_MS);
    const meshes = this.scenario.chat !== undefined ? chatMeshes(this.#chatUsers(), count) : [];

    for (let index = 0; index < count; index++) {
      const levels = this.options.shard ? [this.options.shard] : [];
      const partition = new Partition(levels).split(index, count);
      const setup: WorkerSetup = {
        workerIndex: index,
        scenarioFile: this.scenario.file,
        flags: this.options.flags,
        target: this.options.target,
        seed: this.options.seed,
        partition: [...partition.levels],
        startAtEpochMs,
        chatSetup: this.options.chatSetup,
        mesh: meshes[index],
      };
      const transfer = (meshes[index]?.ports ?? []).filter((p): p is MessagePort => !!p);
      const worker = startWorker({ workerData: setup, transferList: transfer });
      const slot: WorkerSlot = { index, worker, partition, ended: false, drained: false };
      this.#slots.push(slot);
      worker.on('message', (message: WorkerMessage) => this.#onMessage(slot, message));
      worker.on('error', (error) => this.#onFailure(slot, error.stack ?? error.message));
      worker.on('exit', (code) => {
        if (slot.document === undefined && !slot.ended) {
          this.#onFailure(slot, `exited with code ${code} before it reported`);
        }
        this.#onEnded(slot);
      });
    }

    // The parent's clock starts with the workers', so that its elapsed time matches theirs.
    const untilStart = startAtEpochMs - Date.now();
    if (untilStart > 0) await new Promise((resolve) => setTimeout(resolve, untilStart));
    this.startedAt = performance.now();
    this.startedAtWall = new Date(startAtEpochMs);
    this.#lastPointAt = this.startedAt;
    this.#cpuAtLastPoint = process.cpuUsage();

    await this.#ended;
    this.endedAt = performance.now();
    if (this.#tickTimer !== undefined) clearTimeout(this.#tickTimer);
    this.#emitTicks(true);
  }

  /** Stops starting work in every worker; they give in-flight requests the grace period. */
  stop(reason: StopReason, message?: string): void {
    if (this.stopping) return;
    this.stopping = true;
    this.stopReason = reason;
    this.abortMessage = message;
    this.#broadcast({ type: 'stop', reason, message });
  }

  /** Closes every worker's books at once; their documents follow within moments. */
  forceClose(): void {
    this.stop(this.stopping ? this.stopReason : 'interrupted');
    this.#broadcast({ type: 'force' });
  }

  /** The merged numbers so far, for thresholds judged while the run goes on. */
  view(): MetricsView {
    const steps = new Map<string, StepView>();
    for (const [name, latency] of this.#stepLatency) {
      steps.set(name, { latency, count: 0, completed: 0, errors: 0, stalled: 0 });
    }
    let dropped = 0;
    const deliveryCounts: Record<string, number> = {};
    for (const slot of this.#slots) {
      const totals = slot.totals;
      if (totals === undefined) continue;
      dropped += totals.dropped;
      for (const [name, counts] of Object.entries(totals.steps)) {
        let step = steps.get(name);
        if (step === undefined) {
          step = { latency: createHistogram(), count: 0, completed: 0, errors: 0, stalled: 0 };
          steps.set(name, step);
        }
        step.count += counts.count;
        step.completed += counts.completed;
        step.errors += counts.errors;
        step.stalled += counts.stalled;
      }
      for (const [key, value] of Object.entries(totals.delivery ?? {})) {
        deliveryCounts[key] = (deliveryCounts[key] ?? 0) + value;
      }
    }
    const chat = this.scenario.chat !== undefined;
    return {
      steps,
      dropped,
      durationSec: this.elapsedMs / 1000,
      ...(chat
        ? {
            delivery: {
              latency: this.#deliveryLatency,
              counts: deliveryCounts as unknown as NonNullable<MetricsView['delivery']>['counts'],
            },
          }
        : {}),
    };
  }

  /** What worker `index` carries, in words, for failure reports. */
  shareOf(index: number): string {
    const partition = this.#slots[index].partition;
    const load = this.scenario.load;
    if (load.model === 'open') {
      return `${round3(partition.fraction * 100)}% of the arrival rate`;
    }
    const peak = peakUsers(load);
    const users = partition.shareOf(peak);
    const first = partition.firstIndex(peak);
    return `${users} users (indexes ${first}–${first + users - 1})`;
  }

  #chatUsers(): number {
    return this.options.chatSetup?.userIds.length ?? peakUsers(this.scenario.load);
  }

  #onMessage(slot: WorkerSlot, message: WorkerMessage): void {
    switch (message.type) {
      case 'tick':
        slot.totals = message.totals;
        this.#addTick(slot, message.tick, message);
        break;
      case 'drained':
        slot.drained = true;
        this.#finishWhenAllDrained();
        break;
      case 'done':
        slot.document = message.document;
        break;
      case 'failed':
        this.#onFailure(slot, message.error);
        void slot.worker.terminate();
        break;
    }
  }

  #onFailure(slot: WorkerSlot, error: string): void {
    if (slot.ended) return;
    slot.ended = true;
    this.failures.push({
      worker: slot.index + 1,
      atMs: Math.round(this.elapsedMs),
      share: this.shareOf(slot.index),
      error: error.split('\n').slice(0, 6).join('\n'),
    });
    process.stderr.write(
      `chatload: worker ${slot.index + 1} of ${this.#slots.length} failed ` +
        `(carrying ${this.shareOf(slot.index)}): ${error.split('\n')[0]}\n`,
    );
    if (this.options.onWorkerFailure === 'stop') {
      this.stop('aborted', `worker ${slot.index + 1} failed`);
    }
    this.#finishWhenAllDrained();
    this.#emitTicks(false);
  }

  #onEnded(slot: WorkerSlot): void {
    slot.ended = true;
    this.#finishWhenAllDrained();
    this.#emitTicks(false);
    if (this.#slots.every((s) => s.ended)) this.#resolveEnded();
  }

  #finishWhenAllDrained(): void {
    const live = this.#slots.filter((slot) => !slot.ended);
    if (live.length > 0 && live.every((slot) => slot.drained)) {
      this.#broadcast({ type: 'finish' });
    }
  }

  #broadcast(message: ParentMessage): void {
    for (const slot of this.#slots) if (!slot.ended) slot.worker.postMessage(message);
  }

  #addTick(slot: WorkerSlot, tick: number, message: TickMessage): void {
    if (tick < this.#nextTick) return; // that second was shown without it (see below)
    let received = this.#ticks.get(tick);
    if (received === undefined) {
      received = new Map();
      this.#ticks.set(tick, received);
    }
    received.set(slot.index, message);
    this.#emitTicks(false);
    // A worker too busy to report in time must not hold the view back for ever.
    if (this.#tickTimer === undefined && this.#ticks.size > 0) {
      this.#tickTimer = setTimeout(() => {
        this.#tickTimer = undefined;
        this.#emitTicks(true, this.#nextTick);
      }, TICK_WAIT_MS);
    }
  }

  /**
   * Emits, in order, each second that every live worker has reported (or, with `force`,
   * every second up to `upTo` that any worker has). A report that comes after its second
   * was emitted is dropped from the live view; the final document has it all the same.
   */
  #emitTicks(force: boolean, upTo = Number.POSITIVE_INFINITY): void {
    for (;;) {
      const received = this.#ticks.get(this.#nextTick);
      if (received === undefined) {
        // Skip a second nobody reported only when later ones exist (a stalled worker).
        if (!force || ![...this.#ticks.keys()].some((tick) => tick > this.#nextTick)) return;
        this.#nextTick++;
        continue;
      }
      const complete = this.#slots.every((slot) => slot.ended || received.has(slot.index));
      if (!complete && !(force && this.#nextTick <= upTo)) return;
      this.#ticks.delete(this.#nextTick);
      this.#nextTick++;
      this.#emit([...received.values()]);
    }
  }

  #emit(messages: TickMessage[]): void {
    const point = addTimelinePoints(messages.map((message) => message.point));

    // The workers measure their own CPU as the whole process's: the parent measures once.
    const now = performance.now();
    const cpu = process.cpuUsage(this.#cpuAtLastPoint);
    const seconds = Math.max((now - this.#lastPointAt) / 1000, 1e-3);
    point.cpu = round3((cpu.user + cpu.system) / 1e6 / seconds);
    this.#cpuAtLastPoint = process.cpuUsage();
    this.#lastPointAt = now;

    const stepHistograms: Record<string, string> = {};
    for (const message of messages) {
      for (const [name, encoded] of Object.entries(message.stepHistograms)) {
        const histogram = decodeHistogram(encoded);
        let total = this.#stepLatency.get(name);
        if (total === undefined) {
          total = createHistogram();
          this.#stepLatency.set(name, total);
        }
        total.add(histogram);
        stepHistograms[name] = stepHistograms[name] ?? encoded;
      }
      const delivery = message.point.delivery?.hist;
      if (delivery !== undefined) this.#deliveryLatency.add(decodeHistogram(delivery));
    }
    this.points.push(point);
    this.options.onTick?.(point, stepHistograms);

    if (!this.stopping && this.options.shouldAbort) {
      const reason = this.options.shouldAbort(this);
      if (reason !== undefined) this.stop('aborted', reason);
    }
  }
}

/** One port between every pair of workers, and the shared bitmap of listening users. */
function chatMeshes(users: number, count: number): WorkerSetup['mesh'][] {
  const listening = listeningBuffer(users, true) as SharedArrayBuffer;
  const ports: (MessagePort | undefined)[][] = Array.from({ length: count }, () =>
    new Array<MessagePort | undefined>(count).fill(undefined),
  );
  for (let a = 0; a < count; a++) {
    for (let b = a + 1; b < count; b++) {
      const channel = new MessageChannel();
      ports[a][b] = channel.port1;
      ports[b][a] = channel.port2;
    }
  }
  return ports.map((own, worker) => ({ listening, worker, ports: own }));
}

/**
 * Starts a worker thread on worker-thread.js, or on worker-thread.ts when chatload runs from
 * its sources under tsx (tests, benchmarks): a worker does not inherit the main thread's
 * loader hooks, so it registers tsx's before it imports the entry.
 */
function startWorker(options: WorkerOptions): Worker {
  if (!import.meta.url.endsWith('.ts')) {
    return new Worker(new URL('./worker-thread.js', import.meta.url), options);
  }
  const entry = new URL('./worker-thread.ts', import.meta.url).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  const bootstrap =
    `import(${JSON.stringify(tsx)})` +
    `.then(({ register }) => { register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(bootstrap, { ...options, eval: true });
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
