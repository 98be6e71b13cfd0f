// What the parent of `run --workers N` and its worker threads say to each other.

import type { MessagePort } from 'node:worker_threads';
import type { RunFlags } from '../cli/overrides.js';
import type { DeliveryCounts } from '../metrics/delivery.js';
import type { TimelinePoint } from '../metrics/timeline.js';
import type { SetupResult } from '../protocols/mattermost/setup.js';
import type { ResultDocument } from '../report/result.js';
import type { PartLevel } from './partition.js';

/** Handed to each worker as its `workerData`. */
export interface WorkerSetup {
  workerIndex: number;
  scenarioFile: string;
  flags: RunFlags;
  target: string;
  seed: number;
  /** The worker's part of the run: the shard's level, if any, then its own. */
  partition: PartLevel[];
  startAtEpochMs: number;
  chatSetup?: SetupResult;
  mesh?: { listening: SharedArrayBuffer; worker: number; ports: (MessagePort | undefined)[] };
}

export interface WorkerTotals {
  steps: Record<string, { count: number; completed: number; errors: number; stalled: number }>;
  dropped: number;
  iterationsStarted: number;
  iterationsCompleted: number;
  delivery?: DeliveryCounts;
}

export type WorkerMessage =
  | {
      type: 'tick';
      tick: number;
      point: TimelinePoint;
      /** Per step, the interval's latency histogram, encoded. */
      stepHistograms: Record<string, string>;
      totals: WorkerTotals;
    }
  /** The grace period is over here; the worker's sockets keep listening for the others. */
  | { type: 'drained' }
  | { type: 'done'; document: ResultDocument }
  | { type: 'failed'; error: string };

export type ParentMessage =
  | { type: 'stop'; reason: string; message?: string }
  /** Every worker has drained: close the books. */
  | { type: 'finish' }
  /** Close the books now, without grace. */
  | { type: 'force' };
