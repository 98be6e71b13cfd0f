// A run: starts and retires users along the load model, sends their requests, and keeps
// the books (per-step metrics, in-flight requests, the per-second timeline).
//
// Phases: start the timers → follow the stages (closed: adjust the user count every
// 100 ms; open: start iterations when they fall due) → stop starting work → give the
// requests still in flight the grace period → close the books (what is left is
// "stalled, never completed") → destroy the connection pool.

import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { HttpClient } from '../protocols/http.js';
import { InFlightTracker } from '../metrics/inflight.js';
import { StepMetrics, type ErrorClass } from '../metrics/step-metrics.js';
import { Timeline, type TimelinePoint } from '../metrics/timeline.js';
import type { ChatStep, Flow, HttpStep, Scenario, Step } from '../scenario/types.js';
import { limitHeapGrowth } from './heap.js';
import { createRandom, pickWeighted } from './random.js';
import {
  closedTargetUsers,
  openDueTimes,
  openRateAt,
  peakUsers,
  plannedDurationMs,
} from './schedule.js';
import { Partition } from './partition.js';
import { runSteps, User } from './user.js';
import { ChatRuntime, type ChatHost } from '../protocols/mattermost/runtime.js';
import type { SetupResult } from '../protocols/mattermost/setup.js';
import type { DeliveryMesh } from '../protocols/mattermost/mesh.js';

export interface RunOptions {
  target: string;
  seed: number;
  /** Chat scenarios: what setup created, before the run (see protocols/mattermost/setup). */
  chatSetup?: SetupResult;
  /** Called once a second with the interval that just ended. */
  onTick?: (point: TimelinePoint, run: Run) => void;
  /** Called after each tick; returning a reason stops the run early (`--abort-on-fail`). */
  shouldAbort?: (run: Run) => string | undefined;
  /** The share of the load this process runs (a shard, a worker); the whole by default. */
  partition?: Partition;
  /**
   * Awaited once the grace period is over, before the books are closed. A worker uses it
   * to keep its sockets listening until every worker is done with its deliveries.
   */
  beforeClose?: () => Promise<void>;
  /** Chat scenarios run by workers: what the workers' chat users share. */
  chatMesh?: DeliveryMesh;
}

export type StopReason = 'completed' | 'interrupted' | 'aborted';

const CONTROL_INTERVAL_MS = 100;
const TICK_INTERVAL_MS = 1000;
// Starting thousands of users in one tick blocks the event loop for hundreds of ms, and
// that lag would be counted as latency; 500 per 100 ms still reaches 5,000 users in 1 s.
const MAX_USER_STARTS_PER_TICK = 500;

export class Run implements ChatHost {
  readonly scenario: Scenario;
  readonly options: RunOptions;
  readonly steps = new Map<string, StepMetrics>();
  readonly startedAt: number;
  readonly startedAtWall: Date;
  readonly tracker: InFlightTracker;
  readonly timeline: Timeline;
  readonly plannedMs: number | undefined;
  readonly eventLoopDelay = monitorEventLoopDelay({ resolution: 10 });
  readonly connections: number | 'per-user';
  readonly chatRuntime: ChatRuntime | undefined;
  readonly partition: Partition;

  stopping = false;
  stopReason: StopReason = 'completed';
  abortMessage: string | undefined;
  endedAt = 0;
  iterationsStarted = 0;
  iterationsCompleted = 0;
  dropped = 0;
  readonly internalErrors: string[] = [];

  readonly #client: HttpClient;
  readonly #users = new Set<User>();
  readonly #freeIndexes: number[] = [];
  #nextIndex = 0;
  readonly #firstUserIndex: number;
  #usersDone = 0;
  #timers: NodeJS.Timeout[] = [];
  #openTimer: NodeJS.Timeout | undefined;
  #finished: Promise<void>;
  #resolveFinished!: () => void;
  /** Users whose `#runUser` has not returned yet; the run waits for them at its end. */
  #runningUsers = 0;
  #onUsersEnded: (() => void) | undefined;
  /** Open model: the next iteration's number in the whole run's schedule. */
  #sequence = 0;
  #allLaunched = false;

  constructor(scenario: Scenario, options: RunOptions) {
    this.scenario = scenario;
    this.options = options;
    this.plannedMs = plannedDurationMs(scenario.load);
    this.partition = options.partition ?? new Partition();
    this.#firstUserIndex = this.partition.firstIndex(peakUsers(scenario.load));
    for (const step of httpSteps(scenario.flows)) {
      if (!this.steps.has(step.name)) this.steps.set(step.name, new StepMetrics(step.name));
    }
    this.connections = connectionsFor(scenario);
    this.#client = new HttpClient(options.target, {
      connections: this.connections,
      requestTimeoutMs: scenario.timeouts.requestMs,
    });
    this.startedAt = performance.now();
    this.startedAtWall = new Date();
    this.tracker = new InFlightTracker(scenario.timeouts.stallMs, this.startedAt);
    if (scenario.chat !== undefined) {
      if (options.chatSetup === undefined) throw new Error('a chat scenario needs its setup first');
      limitHeapGrowth(); // thousands of long-lived sockets: see heap.ts
      this.chatRuntime = new ChatRuntime(scenario.chat, options.chatSetup, this, {
        mesh: options.chatMesh,
        waitsForEvents: allSteps(scenario.flows).some(
          (step) => step.kind === 'chat' && step.action === 'wait-for',
        ),
      });
    }
    this.timeline = new Timeline(this);
    this.#finished = new Promise((resolve) => (this.#resolveFinished = resolve));
  }

  now(): number {
    return performance.now();
  }

  get target(): string {
    return this.options.target;
  }

  /** Idles a user; the next request is due when the idle time ends, not before. */
  sleep(user: User, ms: number): Promise<void> {
    const now = this.now();
    user.intendedAt = now + ms;
    return user.sleepUntil(user.intendedAt, now);
  }

  chat(step: ChatStep, user: User): Promise<boolean> {
    return this.chatRuntime!.run(step, user);
  }

  /** Records a step that is not one HTTP request (a socket connect, a wait for an event). */
  recordStep(name: string, durationMs: number, error?: ErrorClass): void {
    const metrics = this.#metricsFor(name);
    metrics.count++;
    metrics.recordCompletion(durationMs, durationMs, error);
  }

  #metricsFor(name: string): StepMetrics {
    let metrics = this.steps.get(name);
    if (metrics === undefined) {
      metrics = new StepMetrics(name);
      this.steps.set(name, metrics);
    }
    return metrics;
  }

  get elapsedMs(): number {
    return (this.endedAt || this.now()) - this.startedAt;
  }

  get activeUsers(): number {
    return this.#users.size;
  }

  /** Users (closed model) or iterations per second (open model) the stages ask for now. */
  get targetLoad(): number {
    const load = this.scenario.load;
    const elapsedMs = this.now() - this.startedAt;
    return load.model === 'closed'
      ? this.partition.shareOf(closedTargetUsers(load, elapsedMs))
      : openRateAt(load, elapsedMs) * this.partition.fraction;
  }

  /** Runs to the end and resolves once the books are closed. */
  async execute(): Promise<void> {
    this.eventLoopDelay.enable();
    this.#timers.push(
      setInterval(() => {
        const now = this.now();
        this.tracker.scan(now);
        this.chatRuntime?.delivery.sweep(now);
      }, CONTROL_INTERVAL_MS),
    );
    this.#timers.push(setInterval(() => this.#tick(), TICK_INTERVAL_MS));

    if (this.scenario.load.model === 'closed') {
      this.#adjustClosedUsers();
      // A part whose share of a fixed set of users is empty has nothing to wait for.
      if (this.#users.size === 0 && this.plannedMs === undefined) this.stop('completed');
      this.#timers.push(setInterval(() => this.#adjustClosedUsers(), CONTROL_INTERVAL_MS));
    } else {
      this.#startOpenScheduler();
    }
    if (this.plannedMs !== undefined) {
      this.#timers.push(setTimeout(() => this.stop('completed'), this.plannedMs));
    }

    await this.#finished;
    await this.#drain();
  }

  /** Stops starting work; in-flight requests get the grace period. Safe to call twice. */
  stop(reason: StopReason, message?: string): void {
    if (this.stopping) return;
    this.stopping = true;
    this.stopReason = reason;
    this.abortMessage = message;
    if (this.#openTimer !== undefined) clearTimeout(this.#openTimer);
    for (const user of this.#users) user.wake();
    this.#resolveFinished();
  }

  /** Ends at once, without grace: what is still in flight is never completed. */
  forceClose(): void {
    this.stop(this.stopping ? this.stopReason : 'interrupted');
    this.#closeBooks();
  }

  async request(step: HttpStep, user: User) {
    const metrics = this.#metricsFor(step.name);
    const sentAt = this.now();
    const intendedAt = Math.min(user.intendedAt, sentAt);
    const id = this.tracker.begin(metrics, user.userIndex, sentAt);

    const errorClass = await this.#client.send(step, user);

    const endedAt = this.now();
    const counted = this.tracker.end(id, endedAt, errorClass === 'timeout');
    if (counted) metrics.recordCompletion(endedAt - intendedAt, endedAt - sentAt, errorClass);
    user.intendedAt = endedAt;
    return errorClass;
  }

  async #drain(): Promise<void> {
    const graceEndsAt = this.now() + this.scenario.timeouts.graceMs;
    const delivery = this.chatRuntime?.delivery;
    const busy = () => this.tracker.inFlight > 0 || (delivery?.pendingPosts ?? 0) > 0;
    while (busy() && this.now() < graceEndsAt && this.endedAt === 0) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    if (this.options.beforeClose !== undefined && this.endedAt === 0) {
      await this.options.beforeClose();
    }
    this.#closeBooks();
    this.chatRuntime?.closeAll();
    await this.#client.destroy();
    if (this.#runningUsers > 0) {
      await new Promise<void>((resolve) => (this.#onUsersEnded = resolve));
    }
  }

  #closeBooks(): void {
    if (this.endedAt !== 0) return;
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
    this.endedAt = this.now();
    this.tracker.finish(this.endedAt);
    // The grace period also waited for deliveries; what has not arrived by now is lost.
    // Limitation: a post sent within its window of the end is judged early, when the grace
    // period is shorter than the delivery window.
    this.chatRuntime?.delivery.sweep(this.endedAt, true);
    this.#tick();
    this.eventLoopDelay.disable();
  }

  #tick(): void {
    const point = this.timeline.close(this.now());
    this.options.onTick?.(point, this);
    if (!this.stopping && this.options.shouldAbort) {
      const reason = this.options.shouldAbort(this);
      if (reason !== undefined) this.stop('aborted', reason);
    }
  }

  #adjustClosedUsers(): void {
    if (this.stopping) return;
    const load = this.scenario.load;
    if (load.model !== 'closed') return;
    const target = this.partition.shareOf(closedTargetUsers(load, this.now() - this.startedAt));

    // Users that finished their iterations keep their place: they are not replaced.
    let active = this.#usersDone;
    for (const user of this.#users) if (!user.retiring) active++;
    const toStart = Math.min(target - active, MAX_USER_STARTS_PER_TICK);
    for (let i = 0; i < toStart; i++) this.#startUser(load.iterations);

    // Retire the newest users first, so that the long-lived ones keep their sessions.
    if (active > target) {
      const newestFirst = [...this.#users].filter((u) => !u.retiring).reverse();
      for (const user of newestFirst.slice(0, active - target)) {
        user.retiring = true;
        user.wake();
      }
    }
  }

  #startOpenScheduler(): void {
    const load = this.scenario.load;
    if (load.model !== 'open') return;
    const dueTimes = openDueTimes(load);
    const cap = load.iterations ?? Infinity;
    const maxUsers = this.partition.shareOf(load.maxUsers);

    // Start every iteration that is due, then sleep until the next one. A late timer
    // does not lose iterations: they start late, with their latency counted from when
    // they were due. `sequence` counts over the whole run; other parts take the rest.
    const launchDue = () => {
      const now = this.now();
      for (;;) {
        if (this.stopping) return;
        if (this.#sequence >= cap) {
          this.#allLaunched = true;
          return this.#stopWhenIdle();
        }
        const next = dueTimes.next();
        if (next.done) return;
        const sequence = this.#sequence++;
        if (!this.partition.owns(sequence)) continue;
        const dueAt = this.startedAt + next.value;
        if (dueAt > now) {
          this.#openTimer = setTimeout(() => {
            this.#launchIteration(dueAt, maxUsers, sequence);
            launchDue();
          }, dueAt - now);
          return;
        }
        this.#launchIteration(dueAt, maxUsers, sequence);
      }
    };
    launchDue();
  }

  #launchIteration(dueAt: number, maxUsers: number, sequence: number): void {
    if (this.stopping) return;
    if (this.#users.size >= maxUsers) {
      this.dropped++;
      this.timeline.noteDropped();
      return;
    }
    // In the open model every iteration is a new user: its index is its sequence number.
    const userIndex = sequence;
    this.#spawn(this.#createUser(userIndex, dueAt), 1, () => this.#stopWhenIdle());
  }

  #startUser(iterations: number | undefined): void {
    const userIndex =
      this.#freeIndexes.length > 0
        ? this.#freeIndexes.pop()!
        : this.#firstUserIndex + this.#nextIndex++;
    const user = this.#createUser(userIndex, this.now());
    this.#spawn(user, iterations ?? Infinity, () => {
      if (iterations !== undefined && user.iteration + 1 >= iterations && !user.retiring) {
        this.#usersDone++;
      }
      this.#freeIndexes.push(userIndex);
      this.#freeIndexes.sort((a, b) => b - a);
      if (iterations !== undefined) this.#stopWhenIdle();
    });
  }

  #createUser(userIndex: number, startAt: number): User {
    const random = createRandom(this.options.seed, userIndex);
    return new User({
      userIndex,
      vars: { ...this.scenario.variables },
      data: pickDataRow(this.scenario, userIndex, random),
      random,
      startAt,
    });
  }

  #spawn(user: User, iterations: number, onExit: () => void): void {
    this.#users.add(user);
    const flows = this.scenario.flows;
    const flow =
      flows[
        pickWeighted(
          flows.map((f) => f.weight),
          user.random,
        )
      ];

    this.#runningUsers++;
    void this.#runUser(user, flow, iterations, onExit);
  }

  /** Never rejects: an error thrown here is a bug in chatload, kept for the report. */
  async #runUser(user: User, flow: Flow, iterations: number, onExit: () => void): Promise<void> {
    try {
      for (let i = 0; i < iterations && !this.stopping && !user.retiring; i++) {
        user.iteration = i;
        this.iterationsStarted++;
        const completed = await runSteps(flow.steps, user, this);
        if (completed) this.iterationsCompleted++;
      }
    } catch (error) {
      this.internalErrors.push(
        error instanceof Error ? (error.stack ?? error.message) : String(error),
      );
    } finally {
      this.#users.delete(user);
      this.#client.release(user);
      // A chat user who finished its flow stays online (a tab left open) until the run
      // ends, so posts sent to it are still judged; one retired by a ramp-down leaves.
      if (user.retiring) this.chatRuntime?.release(user);
      onExit();
      if (--this.#runningUsers === 0) this.#onUsersEnded?.();
    }
  }

  /** With an iteration cap and no stages, the run ends when the last user is done. */
  #stopWhenIdle(): void {
    if (this.plannedMs !== undefined || this.stopping) return;
    const load = this.scenario.load;
    const allStarted = load.model === 'open' ? this.#allLaunched : true;
    if (allStarted && this.#users.size === 0) this.stop('completed');
  }
}

/** The scenario's connection setting, or the default that suits its load model. */
function connectionsFor(scenario: Scenario): number | 'per-user' {
  const configured = scenario.http.connections;
  if (configured !== undefined) return configured;
  if (scenario.load.model === 'open') return scenario.load.maxUsers;
  // A chat user's own long-lived connection is its WebSocket; its REST calls share a pool,
  // which halves the sockets (and the generator memory) of a large population.
  return scenario.chat !== undefined ? CHAT_HTTP_POOL : 'per-user';
}

const CHAT_HTTP_POOL = 256;

/** The data row of every user when the scenario has no data: one object, read only. */
const NO_DATA: Record<string, string> = Object.freeze({});

function pickDataRow(scenario: Scenario, userIndex: number, random: () => number) {
  const data = scenario.data;
  if (data === undefined || data.rows.length === 0) return NO_DATA;
  if (data.pick === 'random') return data.rows[Math.floor(random() * data.rows.length)];
  return data.rows[userIndex % data.rows.length];
}

/** Every step of the flows, nested ones included, in order. */
export function allSteps(flows: readonly Flow[]): Step[] {
  const steps: Step[] = [];
  const walk = (list: readonly Step[]) => {
    for (const step of list) {
      steps.push(step);
      if (step.kind === 'loop' || step.kind === 'group') walk(step.steps);
    }
  };
  for (const flow of flows) walk(flow.steps);
  return steps;
}

export function httpSteps(flows: readonly Flow[]): HttpStep[] {
  return allSteps(flows).filter((step): step is HttpStep => step.kind === 'http');
}

export type { ErrorClass };
