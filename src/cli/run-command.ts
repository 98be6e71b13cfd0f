// `chatload run <scenario>`: load and check the scenario, start the target if none is
// given, run, judge the thresholds, write the result document, print the summary.
//
// Ctrl-C once: stop starting work, give in-flight requests the grace period, then report
// as usual and exit 130. Ctrl-C twice: close the books at once, write, exit 130.

import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Run } from '../engine/run.js';
import { freshSeed } from '../engine/random.js';
import { loadScenario } from '../scenario/load.js';
import { judge } from '../report/gates.js';
import { LiveLine } from '../report/live.js';
import { TimelineFile } from '../report/ndjson.js';
import { buildResult, viewOfRun, RESULT_SCHEMA, type ResultDocument } from '../report/result.js';
import { formatSummary } from '../report/tables.js';
import { writeHtmlReport } from '../report/html/page.js';
import { launchBundledServer, type LaunchedServer } from '../server/launch.js';
import { EXIT } from './exit-codes.js';
import { writeRunOutputs, type RunOutputFlags } from '../compare/run-outputs.js';
import { parseMaxRegression } from '../compare/tolerance.js';
import { readResultDocument } from '../compare/read.js';
import { applyProbeBaseline, readProbeDocument } from '../capacity/inflation.js';
import { peakUsers } from '../engine/schedule.js';
import type { SetupReport } from '../protocols/mattermost/setup.js';
import { prepareChat, type AdminFlags } from './chat-setup.js';
import { applyOverrides, seedFlag, type RunFlags } from './overrides.js';

export interface RunCommandFlags extends RunFlags, RunOutputFlags, AdminFlags {
  probeBaseline?: string;
  json?: boolean;
  html?: string | boolean;
  out?: string;
  quiet?: boolean;
  abortOnFail?: boolean;
}

export async function runCommand(file: string, flags: RunCommandFlags): Promise<number> {
  const scenario = applyOverrides(loadScenario(file), flags);
  const seed = seedFlag(flags.seed) ?? freshSeed();
  const outPath = flags.out ?? defaultResultPath(scenario.name);
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
    const run = new Run(scenario, {
      target,
      seed,
      chatSetup,
      onTick: (point, current) => {
        timelineFile.append(point, current.timeline.lastEncoded);
        live?.update(point, current);
      },
      shouldAbort: flags.abortOnFail ? (current) => firstFailure(current) : undefined,
    });

    log(`running ${scenario.name} against ${target} (seed ${seed})`);
    const interrupted = handleInterrupts(run, () => finish(true));
    let finished = false;

    // Both the normal end and a second Ctrl-C come here; only the first one writes.
    function finish(forced: boolean): ResultDocument | undefined {
      if (finished) return undefined;
      finished = true;
      if (forced) run.forceClose();
      live?.finish();
      const result = resultOf(run, chatSetup?.report, flags);
      writeResult(outPath, result.document);
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
    const gatesPassed = result.thresholds.every((verdict) => verdict.passed);
    return gatesPassed && outputs.exitCode === EXIT.ok ? EXIT.ok : EXIT.gateFailed;
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
function resultOf(run: Run, setup: SetupReport | undefined, flags: RunCommandFlags) {
  const cpu = process.cpuUsage();
  const verdicts = judge(run.scenario.thresholds, viewOfRun(run));
  const document = buildResult(run, verdicts, { cpuSeconds: (cpu.user + cpu.system) / 1e6 }, setup);
  if (flags.probeBaseline === undefined) return { document, extraText: '' };
  const inflated = applyProbeBaseline(document, flags.probeBaseline);
  return { document: inflated.result as ResultDocument, extraText: `\n${inflated.text}\n` };
}

function firstFailure(run: Run): string | undefined {
  const failed = judge(run.scenario.thresholds, viewOfRun(run)).find((v) => !v.passed && !v.note);
  return failed === undefined ? undefined : `threshold failed: ${failed.expression}`;
}

function handleInterrupts(run: Run, writeNow: () => void) {
  let count = 0;
  const onSignal = () => {
    count++;
    if (count === 1) {
      log(`interrupted: waiting up to ${run.scenario.timeouts.graceMs}ms for requests in flight`);
      log('press Ctrl-C again to stop at once');
      run.stop('interrupted');
      return;
    }
    writeNow();
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

/** Writes atomically, so that a crash mid-write never leaves half a result behind. */
function writeResult(path: string, result: ResultDocument): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.partial`;
  writeFileSync(temporary, JSON.stringify(result, null, 2) + '\n');
  renameSync(temporary, path);
}

function defaultResultPath(name: string): string {
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const safeName = name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'run';
  return join('results', `${safeName}-${stamp}.json`);
}

function log(message: string): void {
  process.stderr.write(`chatload: ${message}\n`);
}
