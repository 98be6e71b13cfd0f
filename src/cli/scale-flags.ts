// The flags that spread one run over cores and machines: `--workers`, `--shard`,
// `--start-at` and `--on-worker-failure`, checked before anything is sent.

import os from 'node:os';
import type { OnWorkerFailure } from '../engine/workers.js';
import type { ShardInfo } from '../report/result.js';
import { UsageError } from './exit-codes.js';

export interface ScaleFlags {
  workers?: string;
  shard?: string;
  startAt?: string;
  onWorkerFailure?: string;
}

export interface Scale {
  /** Undefined: run in this thread. */
  workers: number | undefined;
  /** 1-based, as written on the command line. */
  shard: ShardInfo | undefined;
  /** Wall-clock ms to start at, if given. */
  startAtEpochMs: number | undefined;
  onWorkerFailure: OnWorkerFailure;
}

export function parseScaleFlags(flags: ScaleFlags, env: NodeJS.ProcessEnv = process.env): Scale {
  return {
    workers: workersFlag(flags.workers),
    shard: shardFlag(flags.shard, env),
    startAtEpochMs: startAtFlag(flags.startAt),
    onWorkerFailure: onWorkerFailureFlag(flags.onWorkerFailure),
  };
}

function workersFlag(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (text === 'auto') return os.availableParallelism();
  const count = Number(text);
  if (!/^\d+$/.test(text) || count < 1) {
    throw new UsageError(
      `--workers: expected "auto" or a whole number of at least 1, found "${text}"`,
    );
  }
  return count;
}

/**
 * `I/N` (1-based), or `auto`: shard JOB_COMPLETION_INDEX + 1 (Kubernetes numbers the pods
 * of an Indexed Job from 0) of CHATLOAD_SHARDS (Kubernetes does not tell a pod the
 * completions count, so the manifest sets it).
 */
function shardFlag(text: string | undefined, env: NodeJS.ProcessEnv): ShardInfo | undefined {
  if (text === undefined) return undefined;
  if (text === 'auto') {
    const index = env.JOB_COMPLETION_INDEX;
    const count = env.CHATLOAD_SHARDS;
    if (index === undefined || count === undefined) {
      const missing = [
        index === undefined ? 'JOB_COMPLETION_INDEX' : '',
        count === undefined ? 'CHATLOAD_SHARDS' : '',
      ]
        .filter(Boolean)
        .join(' and ');
      throw new UsageError(
        `--shard auto: expected JOB_COMPLETION_INDEX and CHATLOAD_SHARDS in the environment ` +
          `(as in a Kubernetes Indexed Job made by \`chatload k8s\`), ${missing} not set`,
      );
    }
    if (!/^\d+$/.test(index)) {
      throw new UsageError(
        `--shard auto: JOB_COMPLETION_INDEX: expected a whole number, found "${index}"`,
      );
    }
    return checkedShard(
      Number(index) + 1,
      count,
      `JOB_COMPLETION_INDEX=${index}, CHATLOAD_SHARDS=${count}`,
    );
  }
  const match = /^(\d+)\/(\d+)$/.exec(text);
  if (match === null) {
    throw new UsageError(
      `--shard: expected I/N such as 1/4 (shard I of N, from 1), or auto, found "${text}"`,
    );
  }
  return checkedShard(Number(match[1]), match[2], text);
}

function checkedShard(index: number, countText: string, found: string): ShardInfo {
  const count = Number(countText);
  if (!/^\d+$/.test(countText) || count < 1 || index < 1 || index > count) {
    throw new UsageError(`--shard: expected shard I of N with 1 ≤ I ≤ N, found "${found}"`);
  }
  return { index, count };
}

function startAtFlag(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  // Only a full date and time with its zone: a bare time would mean different moments
  // on machines in different zones, which is what the flag is there to avoid.
  const withZone = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/;
  const epochMs = Date.parse(text);
  if (!withZone.test(text) || Number.isNaN(epochMs)) {
    throw new UsageError(
      `--start-at: expected an ISO 8601 time with its zone, such as 2026-12-03T18:30:00Z, found "${text}"`,
    );
  }
  return epochMs;
}

function onWorkerFailureFlag(text: string | undefined): OnWorkerFailure {
  if (text === undefined || text === 'stop' || text === 'continue') return text ?? 'stop';
  throw new UsageError(`--on-worker-failure: expected "stop" or "continue", found "${text}"`);
}
