// `chatload probe <scenario>`: the unloaded latency of each step, one user, in sequence.

import type { Command } from 'commander';
import Table from 'cli-table3';
import { freshSeed } from '../engine/random.js';
import { loadScenario } from '../scenario/load.js';
import { probe, type ProbeDocument } from '../capacity/probe.js';
import {
  defaultPath,
  log,
  positiveIntegerFlag,
  withTarget,
  writeDocument,
} from '../capacity/command-support.js';
import { EXIT, UsageError } from './exit-codes.js';
import { applyOverrides, seedFlag } from './overrides.js';
import { plain } from '../report/tables.js';

export interface ProbeFlags {
  iterations?: string;
  target?: string;
  seed?: string;
  out?: string;
  json?: boolean;
}

export async function probeCommand(file: string, flags: ProbeFlags): Promise<number> {
  const iterations = positiveIntegerFlag('--iterations', flags.iterations ?? '100');
  const scenario = applyOverrides(loadScenario(file), { target: flags.target, threshold: [] });
  const seed = seedFlag(flags.seed) ?? freshSeed();

  if (scenario.chat !== undefined) {
    // Limitation: probe walks HTTP steps with one user; chat steps need a logged-in user
    // with a socket, which it does not set up.
    throw new UsageError('probe: chat scenarios (protocol: mattermost) are not supported');
  }
  const doc = await withTarget(scenario, 1, {}, (target) => {
    log(`probing each step of ${scenario.name} at ${target}, ${iterations} times, one user`);
    return probe(scenario, { target, iterations, seed });
  });
  const outPath = flags.out ?? defaultPath(scenario.name, 'probe');
  writeDocument(outPath, doc);
  process.stdout.write(flags.json ? JSON.stringify(doc, null, 2) + '\n' : formatProbe(doc));
  log(`probe written to ${outPath}`);
  return EXIT.ok;
}

export function formatProbe(doc: ProbeDocument): string {
  const table = new Table({
    head: ['step', 'samples', 'p50 ms', 'p99 ms', 'mean ms', 'errors'],
    style: plain,
  });
  for (const s of doc.probe.steps) {
    table.push([
      s.name,
      s.samples,
      s.p50.toFixed(2),
      s.p99.toFixed(2),
      s.mean.toFixed(2),
      s.errors,
    ]);
  }
  return `unloaded latency, one user · ${doc.scenario.name} → ${doc.config.target}\n${table}\n`;
}

export function registerProbeCommand(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('probe')
    .description('unloaded latency of each step: one user, in sequence, many times')
    .argument('<scenario>', 'scenario file (YAML or JSON)')
    .option('--iterations <n>', 'times each step is sent (default 100)')
    .option('--target <url>', 'base URL of the server under test (overrides the scenario)')
    .option('--seed <n>', 'seed for random values in templates')
    .option('-o, --out <file>', 'where to write the probe document')
    .option('--json', 'print the probe document on stdout instead of a table')
    .action(async (file: string, flags: ProbeFlags) =>
      setExitCode(await probeCommand(file, flags)),
    );
}
