// `chatload sweep <scenario> --users 1..512x2`: throughput, latency, errors and stalls at
// each concurrency level, and the Universal Scalability Law fitted to them.

import type { Command } from 'commander';
import { freshSeed } from '../engine/random.js';
import { loadScenario } from '../scenario/load.js';
import { parseUsersList } from '../capacity/levels.js';
import { formatSweep, runSweep } from '../capacity/sweep.js';
import type { AdminFlags } from './chat-setup.js';
import {
  addLevelOptions,
  defaultPath,
  holdRuleFrom,
  log,
  withTarget,
  writeDocument,
  type HoldFlags,
} from '../capacity/command-support.js';
import { EXIT } from './exit-codes.js';
import { applyOverrides, seedFlag } from './overrides.js';

export interface SweepFlags extends HoldFlags, AdminFlags {
  users: string;
  target?: string;
  seed?: string;
  out?: string;
  json?: boolean;
}

export async function sweepCommand(file: string, flags: SweepFlags): Promise<number> {
  const levels = parseUsersList(flags.users);
  const rule = holdRuleFrom(flags);
  const scenario = applyOverrides(loadScenario(file), { target: flags.target, threshold: [] });
  const seed = seedFlag(flags.seed) ?? freshSeed();

  const sweep = await withTarget(scenario, Math.max(...levels), flags, (target, chatSetup) => {
    log(`sweeping ${scenario.name} against ${target}: ${levels.join(', ')} users`);
    return runSweep(scenario, {
      levels,
      target,
      seed,
      rule,
      chatSetup,
      onLevel: (row) =>
        log(
          `${row.users} users: ${row.throughput.toFixed(1)}/s, p99 ${row.p99}ms` +
            `${row.steady ? '' : ' (not steady by --max-hold)'}`,
        ),
    });
  });

  const outPath = flags.out ?? defaultPath(scenario.name, 'sweep');
  writeDocument(outPath, sweep);
  process.stdout.write(flags.json ? JSON.stringify(sweep, null, 2) + '\n' : formatSweep(sweep));
  log(`sweep written to ${outPath}`);
  return EXIT.ok;
}

export function registerSweepCommand(program: Command, setExitCode: (code: number) => void): void {
  const command = program
    .command('sweep')
    .description('throughput and latency at each concurrency level, with a scalability fit')
    .argument('<scenario>', 'scenario file (YAML or JSON); its load is replaced by each level')
    .requiredOption('--users <levels>', 'levels such as 1,2,4,8 or 1..512x2');
  addLevelOptions(command)
    .option('--out <file>', 'where to write the sweep document')
    .option('--json', 'print the sweep document on stdout instead of tables')
    .action(async (file: string, flags: SweepFlags) =>
      setExitCode(await sweepCommand(file, flags)),
    );
}
