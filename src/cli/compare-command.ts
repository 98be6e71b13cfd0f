// `chatload compare BASE.json NEW.json`: is the new run worse than the base, beyond the
// tolerances and beyond noise? Exit 1 when it is.

import type { Command } from 'commander';
import { compareResults } from '../compare/compare.js';
import { formatComparison } from '../compare/format.js';
import { readResultDocument } from '../compare/read.js';
import { DEFAULT_MAX_REGRESSION } from '../compare/tolerance.js';
import { EXIT } from './exit-codes.js';

export interface CompareFlags {
  maxRegression?: string;
  force?: boolean;
  json?: boolean;
}

export function compareCommand(basePath: string, nextPath: string, flags: CompareFlags): number {
  const base = readResultDocument(basePath, 'base');
  const next = readResultDocument(nextPath, 'new');
  const comparison = compareResults(base, next, {
    maxRegression: flags.maxRegression,
    force: flags.force,
    baseLabel: basePath,
    nextLabel: nextPath,
  });
  process.stdout.write(
    flags.json ? JSON.stringify(comparison, null, 2) + '\n' : formatComparison(comparison),
  );
  return comparison.regressed ? EXIT.gateFailed : EXIT.ok;
}

export function registerCompareCommand(
  program: Command,
  setExitCode: (code: number) => void,
): void {
  program
    .command('compare')
    .description('compare two result documents and fail on a regression beyond noise')
    .argument('<base>', 'the baseline result document (JSON)')
    .argument('<new>', 'the result document to judge')
    .option(
      '--max-regression <list>',
      `how much worse each metric may get (default "${DEFAULT_MAX_REGRESSION}")`,
    )
    .option('--force', 'compare results of different scenarios or configs anyway')
    .option('--json', 'print the comparison as JSON')
    .action((base: string, next: string, flags: CompareFlags) =>
      setExitCode(compareCommand(base, next, flags)),
    );
}
