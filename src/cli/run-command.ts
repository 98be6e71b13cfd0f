// `chatload run <scenario>`: load and check the scenario, start the target if none is
// given, run, judge the thresholds, write the result document, print the summary.
//
// Ctrl-C once: stop starting work, give in-flight requests the grace period, then report
// as usual and exit 130. Ctrl-C twice: close the books at once, write, exit 130. (With
// workers the second Ctrl-C asks them to close at once and waits the moment that takes
// for their numbers; a third one exits without writing.)
//
// The load runs in this thread, in worker threads (`--workers`, see engine/workers.ts),
// and either way may be one shard of a run spread over machines (`--shard`).

import { join } from 'node:path';
import { writeResultFile } from '../report/result-file.js';
import { Run, type StopReason } from '../engine/run.js';
import { Partition } from '../engine/partition.js';
import { WorkerPool } from '../engine/workers.js';
import { mergeResults } from '../report/merge.js';
import type { MetricsView } from '../report/gates.js';
import type { TimelinePoint } from '../metrics/timeline.js';
import type { Scenario } from '../scenario/types.js';
import { viewOfResult } from '../report/result.js';
import { parseScaleFlags, type Scale, type ScaleFlags } from './scale-flags.js';
import { freshSeed } from '../engine/random.js';
import { loadScenario } from '../scenario/load.js';
import { judge } from '../report/gates.js';
import { LiveLine } from '../report/live.js';
import { TimelineFile } from '../report/ndjson.js';
import { buildResult, viewOfRun, RESULT_SCHEMA, type ResultDocument } from '../report/result.js';
import { formatSummary } from '../report/tables.js';
import { writeHtmlReport } from '../report/html/page.js';
import { launchBundledServer, type LaunchedServer } from '../server/launch.js';
import { EXIT, UsageError } from './exit-codes.js';
import { writeRunOutputs, type RunOutputFlags } from '../compare/run-outputs.js';
import { parseMaxRegression } from '../compare/tolerance.js';
import { readResultDocument } from '../compare/read.js';
import { applyProbeBaseline, readProbeDocument } from '../capacity/inflation.js';
import { peakUsers } from '../engine/schedule.js';
import type { SetupReport } from '../protocols/mattermost/setup.js';
import { prepareChat, type AdminFlags } from './chat-setup.js';
import { applyOverrides, seedFlag, type RunFlags } from './overrides.js';

export interface RunCommandFlags extends RunFlags, RunOutputFlags, AdminFlags, ScaleFlags {
  probeBaseline?: string;
  json?: boolean;
  html?: string | boolean;
  out?: string;
  quiet?: boolean;
  abortOnFail?: boolean;
}

export async function runCommand(file: string, flags: RunCommandFlags): Promise<number> {
  const scenario = applyOverrides(loadScenario(file), flags);
  const scale = parseScaleFlags(flags);
  checkShardFlags(scale, scenario, flags);
  const seed = seedFlag(flags.seed) ?? freshSeed();
  const outPath = flags.out ?? defaultResultPath(scenario.name, scale);
  const timelinePath = outPath.replace(/\.json$/, '') + '.timeline.ndjson';
  checkOutputFlags(flags);

  let server: LaunchedServer | undefined;
  if (scenario.target === undefined) {
    server = await launchBundledServer({
      users: Math.max(peakUsers(scenario.load), 1),
      faults: scenario.serveFaults ?? [],
    });
    log(`started the bundled server at ${server.url} (pid ${server.pid})`);
  }
  const target = scenario.target ?? server!.url;

  try {
    const chatSetup = await prepareChat(scenario, target, flags, server);

    const timelineFile = new TimelineFile(timelinePath, {
      schema: RESULT_SCHEMA,
      scenario: scenario.name,
      target,
      seed,
      startedAt: new Date().toISOString(),
    });
    const live = flags.quiet ? undefined : new LiveLine();
    const onPoint = (point: TimelinePoint, histograms: Record<string, string>) => {
      timelineFile.append(point, histograms);
      live?.update(point, run);
    };
    const abortCheck = (view: MetricsView) =>
      flags.abortOnFail ? firstFailure(scenario, view) : undefined;

    if (scale.workers === undefined && scale.startAtEpochMs !== undefined) {
      await waitForStart(scale.startAtEpochMs, scale);
    }
    const run: Run | WorkerPool =
      scale.workers === undefined
        ? new Run(scenario, {
            target,
            seed,
            chatSetup,
            partition: new Partition(shardLevels(scale)),
            onTick: (point, current) => onPoint(point, current.timeline.lastEncoded),
            shouldAbort: (current) => abortCheck(viewOfRun(current)),
          })
        : new WorkerPool({
            scenario,
            flags,
            target,
            seed,
            workers: scale.workers,
            shard: shardLevels(scale)[0],
            startAtEpochMs: scale.startAtEpochMs,
            chatSetup,
            onWorkerFailure: scale.onWorkerFailure,
            onTick: onPoint,
            shouldAbort: (pool) => abortCheck(pool.view()),
          });

    log(`running ${scenario.name} against ${target} (seed ${seed}${describeScale(scale)})`);
    const interrupted = handleInterrupts(run, () => finish(true));
    let finished = false;

    // Both the normal end and a second Ctrl-C come here; only the first one writes.
    function finish(forced: boolean): ResultDocument | undefined {
      if (finished) return undefined;
      finished = true;
      if (forced && run instanceof Run) run.forceClose();
      live?.finish();
      const result =
        run instanceof Run
          ? resultOf(run, chatSetup?.report, flags, scale)
          : pooledResultOf(run, chatSetup?.report, flags, scale);
      writeResultFile(outPath, result.document);
      if (flags.html !== undefined && flags.html !== false) {
        const htmlPath =
          typeof flags.html === 'string' ? flags.html : outPath.replace(/\.json$/, '') + '.html';
        writeHtmlReport([result.document], htmlPath);
        log(`report written to ${htmlPath}`);
      }
      timelineFile.end({
        totals: result.document.totals,
        stopReason: result.document.run.stopReason,
      });
      process.stdout.write(
        flags.json
          ? JSON.stringify(result.document, null, 2) + '\n'
          : formatSummary(result.document) + result.extraText,
      );
      log(`results written to ${outPath} (timeline: ${timelinePath})`);
      return result.document;
    }

    await run.execute();
    interrupted.dispose();
    const result = finish(false);
    if (result === undefined) return EXIT.interrupted;
    const outputs = await writeRunOutputs(result, flags);
    if (!flags.json && outputs.text) process.stdout.write(`\n${outputs.text}\n`);

    if (run.stopReason === 'interrupted') return EXIT.interrupted;
    // A shard's thresholds see only its share (an error count, a rate); `chatload merge`
    // judges them on the whole run, so they are reported here but decide nothing.
    const gatesPassed =
      scale.shard !== undefined || result.thresholds.every((verdict) => verdict.passed);
    if (scale.shard !== undefined && !result.thresholds.every((verdict) => verdict.passed)) {
      log('a threshold failed on this shard alone; `chatload merge` judges the whole run');
    }
    // A run that lost a worker did not send the load it was asked to: never a pass.
    const workersHeld = (result.workers?.failures.length ?? 0) === 0;
    return gatesPassed && workersHeld && outputs.exitCode === EXIT.ok ? EXIT.ok : EXIT.gateFailed;
  } finally {
    if (server !== undefined) {
      await server.stop();
      log('stopped the bundled server');
    }
  }
}

/** Bad output flags are usage errors before anything is sent, not after a long run. */
function checkOutputFlags(flags: RunCommandFlags): void {
  if (flags.maxRegression !== undefined) parseMaxRegression(flags.maxRegression);
  if (flags.baseline !== undefined) readResultDocument(flags.baseline, '--baseline');
  if (flags.probeBaseline !== undefined) readProbeDocument(flags.probeBaseline);
}

/** The result document, with the latency inflation against a probe when one is given. */
function resultOf(run: Run, setup: SetupReport | undefined, flags: RunCommandFlags, scale: Scale) {
  const cpu = process.cpuUsage();
  const verdicts = judge(run.scenario.thresholds, viewOfRun(run));
  const document = buildResult(run, verdicts, { cpuSeconds: (cpu.user + cpu.system) / 1e6 }, setup);
  if (scale.shard !== undefined) document.shard = scale.shard;
  return withInflation(document, flags);
}

/**
 * The workers' documents merged into one, as `chatload merge` merges shards, with what only
 * the parent knows: the timeline it showed, the process's CPU, the workers that failed.
 */
function pooledResultOf(
  pool: WorkerPool,
  setup: SetupReport | undefined,
  flags: RunCommandFlags,
  scale: Scale,
) {
  const parts = pool.documents.map((doc, index) => ({ doc, label: `worker ${index + 1}` }));
  if (parts.length === 0) {
    const reasons = pool.failures.map((failure) => `worker ${failure.worker}: ${failure.error}`);
    throw new Error(`every worker failed, nothing was measured:\n${reasons.join('\n')}`);
  }
  const document = mergeResults(parts, { single: true });
  const cpu = process.cpuUsage();
  document.generator.cpuSeconds = Math.round((cpu.user + cpu.system) / 1000) / 1e3;
  document.timeline = pool.points;
  document.run.stopReason = stopReasonOf(pool.stopReason, document.run.stopReason);
  document.run.abortMessage = pool.abortMessage ?? document.run.abortMessage;
  document.workers = { count: pool.options.workers, failures: pool.failures };
  delete document.merged;
  if (scale.shard !== undefined) document.shard = scale.shard;
  if (setup !== undefined) document.setup = setup;
  document.thresholds = judge(pool.scenario.thresholds, viewOfResult(document));
  document.config.thresholds = document.thresholds.map((verdict) => verdict.expression);
  return withInflation(document, flags);
}

function stopReasonOf(parent: StopReason, workers: string): string {
  return parent !== 'completed' ? parent : workers;
}

function withInflation(document: ResultDocument, flags: RunCommandFlags) {
  if (flags.probeBaseline === undefined) return { document, extraText: '' };
  const inflated = applyProbeBaseline(document, flags.probeBaseline);
  return { document: inflated.result as ResultDocument, extraText: `\n${inflated.text}\n` };
}

function firstFailure(scenario: Scenario, view: MetricsView): string | undefined {
  const failed = judge(scenario.thresholds, view).find((v) => !v.passed && !v.note);
  return failed === undefined ? undefined : `threshold failed: ${failed.expression}`;
}

/** Shards run against one shared server, with one seed, so that their parts add up. */
function checkShardFlags(scale: Scale, scenario: Scenario, flags: RunCommandFlags): void {
  if (scale.shard === undefined) return;
  if (scenario.target === undefined) {
    throw new UsageError(
      '--shard: expected a --target (or `target:` in the scenario) that every shard shares; ' +
        'a bundled server per shard would split the load, not the server',
    );
  }
  if (flags.seed === undefined) {
    throw new UsageError('--shard: expected --seed, the same on every shard of the run');
  }
}

function shardLevels(scale: Scale) {
  return scale.shard === undefined
    ? []
    : [{ index: scale.shard.index - 1, count: scale.shard.count }];
}

function describeScale(scale: Scale): string {
  const parts = [];
  if (scale.shard !== undefined) parts.push(`shard ${scale.shard.index}/${scale.shard.count}`);
  if (scale.workers !== undefined) parts.push(`${scale.workers} workers`);
  return parts.length > 0 ? `, ${parts.join(', ')}` : '';
}

async function waitForStart(epochMs: number, scale: Scale): Promise<void> {
  const delayMs = epochMs - Date.now();
  const at = new Date(epochMs).toISOString();
  if (delayMs <= 0) {
    log(`--start-at ${at} has passed ${Math.round(-delayMs / 1000)}s ago: starting now`);
    return;
  }
  log(`waiting ${Math.ceil(delayMs / 1000)}s for --start-at ${at}${describeScale(scale)}`);
  await new Promise((resolve) => setTimeout(resolve, delayMs));
}

function handleInterrupts(run: Run | WorkerPool, writeNow: () => void) {
  let count = 0;
  const onSignal = () => {
    count++;
    if (count === 1) {
      log(`interrupted: waiting up to ${run.scenario.timeouts.graceMs}ms for requests in flight`);
      log('press Ctrl-C again to stop at once');
      run.stop('interrupted');
      return;
    }
    if (run instanceof WorkerPool && count === 2) {
      log('closing the workers at once; press Ctrl-C again to exit without a result');
      run.forceClose();
      return;
    }
    if (run instanceof Run) writeNow();
    process.exit(EXIT.interrupted);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

function defaultResultPath(name: string, scale: Scale): string {
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const safeName = name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'run';
  const shard =
    scale.shard === undefined ? '' : `-shard-${scale.shard.index}-of-${scale.shard.count}`;
  return join('results', `${safeName}-${stamp}${shard}.json`);
}

function log(message: string): void {
  process.stderr.write(`chatload: ${message}\n`);
}
