// What `chatload run` does after the result is written: compare with a baseline, write the
// JUnit file and the Markdown summary (also appended to $GITHUB_STEP_SUMMARY when set).

import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { EXIT } from '../cli/exit-codes.js';
import { formatJUnit } from '../report/junit.js';
import type { ResultDocument } from '../report/result.js';
import { formatSummaryMarkdown } from '../report/summary-md.js';
import { compareResults, type Comparison } from './compare.js';
import { formatComparison } from './format.js';
import { readResultDocument } from './read.js';

export interface RunOutputFlags {
  baseline?: string;
  junit?: string;
  summaryMd?: string;
  force?: boolean;
  maxRegression?: string;
}

/**
 * Returns exit code 1 when the baseline comparison regressed (0 otherwise; thresholds are
 * judged by the caller) and the comparison text to print after the summary. Bad flags
 * throw a UsageError before any file is written.
 */
export async function writeRunOutputs(
  result: ResultDocument,
  flags: RunOutputFlags,
  environment: NodeJS.ProcessEnv = process.env,
): Promise<{ exitCode: number; text: string }> {
  let comparison: Comparison | undefined;
  if (flags.baseline !== undefined) {
    const base = readResultDocument(flags.baseline, '--baseline');
    comparison = compareResults(base, result, {
      maxRegression: flags.maxRegression,
      force: flags.force,
      baseLabel: flags.baseline,
      nextLabel: 'this run',
    });
  }

  if (flags.junit !== undefined) writeText(flags.junit, formatJUnit(result, comparison));
  const markdown = formatSummaryMarkdown(result, comparison);
  if (flags.summaryMd !== undefined) writeText(flags.summaryMd, markdown);
  const stepSummary = environment.GITHUB_STEP_SUMMARY;
  if (stepSummary) appendFileSync(stepSummary, markdown + '\n');

  return {
    exitCode: comparison?.regressed ? EXIT.gateFailed : EXIT.ok,
    text: comparison ? formatComparison(comparison) : '',
  };
}

function writeText(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}
