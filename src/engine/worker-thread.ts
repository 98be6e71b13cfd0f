// The body of one worker thread of `run --workers N`: it loads the same scenario as the
// parent, runs its share of the load (see partition.ts) with its own connection pools, and
// reports to the parent: each second the interval that just ended, and at the end its own
// result document, which the parent merges with the others' (see workers.ts).

import { parentPort, workerData } from 'node:worker_threads';
import { buildResult } from '../report/result.js';
import { loadScenario } from '../scenario/load.js';
import { applyOverrides } from '../cli/overrides.js';
import { DeliveryMesh } from '../protocols/mattermost/mesh.js';
import { Partition } from './partition.js';
import { Run, type StopReason } from './run.js';
import type { ParentMessage, WorkerMessage, WorkerSetup, WorkerTotals } from './worker-messages.js';
import { totalErrors } from '../metrics/step-metrics.js';

const setup = workerData as WorkerSetup;
const port = parentPort!;

function send(message: WorkerMessage): void {
  port.postMessage(message);
}

async function main(): Promise<void> {
  const scenario = applyOverrides(loadScenario(setup.scenarioFile), setup.flags);
  const mesh =
    setup.mesh === undefined
      ? undefined
      : new DeliveryMesh(setup.mesh.listening, setup.mesh.worker, setup.mesh.ports);

  // Every worker starts its clock at the same wall-clock moment, so that their seconds
  // line up when the parent adds them together.
  await waitUntil(setup.startAtEpochMs);

  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  let tick = 0;
  const run = new Run(scenario, {
    target: setup.target,
    seed: setup.seed,
    chatSetup: setup.chatSetup,
    chatMesh: mesh,
    partition: new Partition(setup.partition),
    onTick: (point, current) => {
      send({
        type: 'tick',
        tick: tick++,
        point,
        stepHistograms: current.timeline.lastEncoded,
        totals: totalsOf(current),
      });
      maybeFail(current.elapsedMs);
    },
    beforeClose: () => {
      send({ type: 'drained' });
      return finished;
    },
  });

  port.on('message', (message: ParentMessage) => {
    if (message.type === 'stop') run.stop(message.reason as StopReason, message.message);
    else if (message.type === 'finish') finish();
    else if (message.type === 'force') {
      finish();
      run.forceClose();
    }
  });

  await run.execute();
  const document = buildResult(run, [], { cpuSeconds: 0 });
  send({ type: 'done', document });
  port.unref();
}

/** Cumulative counters, for the parent's thresholds and live view between ticks. */
function totalsOf(run: Run): WorkerTotals {
  const steps: WorkerTotals['steps'] = {};
  for (const [name, step] of run.steps) {
    const errors = totalErrors(step.errors);
    steps[name] = {
      count: step.count,
      completed: step.completed,
      errors,
      stalled: step.stalls.total,
    };
  }
  return {
    steps,
    dropped: run.dropped,
    iterationsStarted: run.iterationsStarted,
    iterationsCompleted: run.iterationsCompleted,
    delivery: run.chatRuntime ? { ...run.chatRuntime.delivery.counts } : undefined,
  };
}

/**
 * Test hook: `CHATLOAD_TEST_WORKER_CRASH=<worker>:<ms>` makes that worker (0-based) die
 * with an uncaught error once its run is that old, the way a bug or an exhausted heap
 * would end it. It exists so that the parent's handling of a lost worker can be tested.
 */
function maybeFail(elapsedMs: number): void {
  const spec = process.env.CHATLOAD_TEST_WORKER_CRASH;
  if (spec === undefined) return;
  const [worker, atMs] = spec.split(':').map(Number);
  if (worker === setup.workerIndex && elapsedMs >= atMs) {
    setImmediate(() => {
      throw new Error(`worker ${worker + 1} crashed on purpose (CHATLOAD_TEST_WORKER_CRASH)`);
    });
  }
}

function waitUntil(epochMs: number): Promise<void> {
  const delay = epochMs - Date.now();
  return delay > 0 ? new Promise((resolve) => setTimeout(resolve, delay)) : Promise.resolve();
}

main().catch((error: unknown) => {
  send({
    type: 'failed',
    error: error instanceof Error ? (error.stack ?? error.message) : String(error),
  });
  port.unref();
});
