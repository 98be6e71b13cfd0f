// The progress line on stderr. On a terminal it is redrawn in place every second; in CI
// logs and pipes a plain line is printed every few seconds instead.

import type { Run } from '../engine/run.js';
import type { TimelinePoint } from '../metrics/timeline.js';

const PLAIN_EVERY_SECONDS = 5;

export class LiveLine {
  readonly #stream: NodeJS.WriteStream;
  readonly #isTTY: boolean;
  #lastPlainAt = 0;
  #drawn = false;

  constructor(stream: NodeJS.WriteStream = process.stderr) {
    this.#stream = stream;
    this.#isTTY = stream.isTTY === true;
  }

  update(point: TimelinePoint, run: Run): void {
    const text = describe(point, run);
    if (this.#isTTY) {
      this.#stream.write(`\r\x1b[2K${text}`);
      this.#drawn = true;
    } else if (point.t - this.#lastPlainAt >= PLAIN_EVERY_SECONDS || point.freezeMs > 0) {
      this.#lastPlainAt = point.t;
      this.#stream.write(`${text}\n`);
    }
  }

  /** Leaves the cursor on a fresh line so that later output is not drawn over. */
  finish(): void {
    if (this.#drawn) this.#stream.write('\r\x1b[2K');
    this.#drawn = false;
  }
}

export function describe(point: TimelinePoint, run: Run): string {
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
