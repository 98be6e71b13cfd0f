// `chatload capacity <scenario> --slo 'p99<500ms,errors<0.1%,stalled==0'`: the highest
// number of concurrent users that meets the SLO.

import type { Command } from 'commander';
import { freshSeed } from '../engine/random.js';
import { loadScenario } from '../scenario/load.js';
import { findCapacity, parseSlo } from '../capacity/capacity.js';
import { formatCapacity } from '../capacity/capacity-format.js';
import {
  addLevelOptions,
  defaultPath,
  holdRuleFrom,
  log,
  positiveIntegerFlag,
  withTarget,
  writeDocument,
  type HoldFlags,
} from '../capacity/command-support.js';
import { EXIT, UsageError } from './exit-codes.js';
import { applyOverrides, seedFlag } from './overrides.js';
import type { AdminFlags } from './chat-setup.js';

export interface CapacityFlags extends HoldFlags, AdminFlags {
  slo: string;
  start?: string;
  max?: string;
  target?: string;
  seed?: string;
  out?: string;
  json?: boolean;
}

export async function capacityCommand(file: string, flags: CapacityFlags): Promise<number> {
  const slo = parseSlo(flags.slo);
  const start = flags.start === undefined ? 1 : positiveIntegerFlag('--start', flags.start);
  const max = flags.max === undefined ? 1000 : positiveIntegerFlag('--max', flags.max);
  if (max < start)
    throw new UsageError(`--max: expected at least --start (${start}), found ${max}`);
  const rule = holdRuleFrom(flags);
  const scenario = applyOverrides(loadScenario(file), { target: flags.target, threshold: [] });
  const seed = seedFlag(flags.seed) ?? freshSeed();

  const doc = await withTarget(scenario, max, flags, (target, chatSetup) => {
    log(`searching the capacity of ${target} with ${scenario.name}, from ${start} users`);
    return findCapacity(scenario, {
      slo,
      start,
      max,
      target,
      seed,
      rule,
      chatSetup,
      onLevel: (level) =>
        log(
          `${level.users} users: ${level.passed ? 'meets the SLO' : 'fails'}` +
            (level.failures.length > 0 ? ` (${level.failures.join(', ')})` : ''),
        ),
    });
  });

  const outPath = flags.out ?? defaultPath(scenario.name, 'capacity');
  writeDocument(outPath, doc);
  process.stdout.write(flags.json ? JSON.stringify(doc, null, 2) + '\n' : formatCapacity(doc));
  log(`capacity document written to ${outPath}`);
  return EXIT.ok;
}

export function registerCapacityCommand(
  program: Command,
  setExitCode: (code: number) => void,
): void {
  const command = program
    .command('capacity')
    .description('find the highest number of concurrent users that meets an SLO')
    .argument('<scenario>', 'scenario file (YAML or JSON); its load is replaced by each level')
    .requiredOption('--slo <terms>', 'comma-separated thresholds such as "p99<500ms,stalled==0"')
    .option('--start <n>', 'first level tried (default 1)')
    .option('--max <n>', 'highest level tried (default 1000)');
  addLevelOptions(command)
    .option('--out <file>', 'where to write the capacity document')
    .option('--json', 'print the capacity document on stdout instead of tables')
    .action(async (file: string, flags: CapacityFlags) =>
      setExitCode(await capacityCommand(file, flags)),
    );
}
