// One simulated user: its own variables, data row and random stream, walking the steps
// of its flow. Users are plain async functions on one event loop; none of them blocks.

import type { Dispatcher } from 'undici';
import type { ErrorClass } from '../metrics/step-metrics.js';
import type { ConnectionHolder } from '../protocols/http.js';
import type { ChatStep, HttpStep, Step, TemplateContext } from '../scenario/types.js';

/** What a user needs from the run it belongs to. */
export interface UserHost {
  now(): number;
  /** True once the whole run is stopping: users finish their current request only. */
  readonly stopping: boolean;
  /**
   * Sends one request and records it, measured from `user.intendedAt` (when it was due);
   * then moves `user.intendedAt` to the moment it ended.
   */
  request(step: HttpStep, user: User): Promise<ErrorClass | undefined>;
  /** Runs a chat step (`protocol: mattermost` scenarios only). */
  chat?(step: ChatStep, user: User): Promise<boolean>;
}

export class User implements TemplateContext, ConnectionHolder {
  readonly userIndex: number;
  vars: Record<string, unknown>;
  data: Record<string, string>;
  iteration = 0;
  readonly random: () => number;

  /**
   * When the next request is due, by the schedule rather than by the clock. A think time
   * moves it forward from the previous completion, so a late timer in the generator is
   * counted in the latency instead of hidden (the coordinated-omission rule).
   */
  intendedAt: number;
  /** Set when a ramp-down retires this user; it stops at the next step boundary. */
  retiring = false;
  /** The user's own keep-alive connection, when users do not share a pool. */
  connection?: Dispatcher;

  #wake: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(init: {
    userIndex: number;
    vars: Record<string, unknown>;
    data: Record<string, string>;
    random: () => number;
    startAt: number;
  }) {
    this.userIndex = init.userIndex;
    this.vars = init.vars;
    this.data = init.data;
    this.random = init.random;
    this.intendedAt = init.startAt;
  }

  /** Interrupts a think time so that a stop or a ramp-down takes effect at once. */
  wake(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#wake?.();
  }

  sleepUntil(at: number, now: number): Promise<void> {
    const delayMs = at - now;
    if (delayMs <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.#wake = () => {
        this.#wake = undefined;
        resolve();
      };
      this.#timer = setTimeout(this.#wake, delayMs);
    });
  }
}

/** Runs a list of steps; returns false when the user was told to stop part way. */
export async function runSteps(steps: readonly Step[], user: User, host: UserHost) {
  for (const step of steps) {
    if (host.stopping || user.retiring) return false;

    // The hot path, inline: one async frame less per request.
    if (step.kind === 'http') {
      await host.request(step, user);
      continue;
    }
    const carryOn = await runStep(step, user, host);
    if (!carryOn) return false;
  }
  return true;
}

async function runStep(step: Step, user: User, host: UserHost): Promise<boolean> {
  switch (step.kind) {
    case 'http':
      await host.request(step, user);
      return true;

    case 'think': {
      const span = step.maxMs - step.minMs;
      const thinkMs = step.minMs + (span > 0 ? user.random() * span : 0);
      user.intendedAt += thinkMs;
      await user.sleepUntil(user.intendedAt, host.now());
      return true;
    }

    case 'group':
      return runSteps(step.steps, user, host);

    case 'loop':
      return runLoop(step.steps, step.count, step.durationMs, user, host);

    case 'chat':
      if (host.chat === undefined) throw new Error('a chat step in a scenario without chat');
      return host.chat(step, user);
  }
}

async function runLoop(
  steps: readonly Step[],
  count: number | undefined,
  durationMs: number | undefined,
  user: User,
  host: UserHost,
): Promise<boolean> {
  const endsAt = durationMs === undefined ? Infinity : host.now() + durationMs;
  const rounds = count ?? Infinity;
  for (let round = 0; round < rounds && host.now() < endsAt; round++) {
    const carryOn = await runSteps(steps, user, host);
    if (!carryOn) return false;
  }
  return true;
}
