// The run's timeline, appended line by line while it runs, so that a run killed with
// SIGKILL still leaves everything up to its last second. Writes are synchronous: one
// small write a second costs nothing, and the data is in the kernel's hands at once.

import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { TimelinePoint } from '../metrics/timeline.js';

export class TimelineFile {
  readonly path: string;
  #fd: number | undefined;

  constructor(path: string, header: Record<string, unknown>) {
    this.path = path;
    mkdirSync(dirname(path), { recursive: true });
    this.#fd = openSync(path, 'a');
    this.#write({ type: 'start', ...header });
  }

  /** One line per second; `histograms` are the interval's encoded HDR histograms. */
  append(point: TimelinePoint, histograms: Record<string, string>): void {
    this.#write({ type: 'tick', ...point, histograms });
  }

  end(summary: Record<string, unknown>): void {
    this.#write({ type: 'end', ...summary });
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }

  #write(record: Record<string, unknown>): void {
    if (this.#fd === undefined) return;
    writeSync(this.#fd, JSON.stringify(record) + '\n');
  }
}
