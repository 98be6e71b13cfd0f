// Turns command-line flags into changes to the loaded scenario, with the same kind of
// messages as scenario errors: what was found and what was expected.

import { parseDuration } from '../scenario/duration.js';
import { parseThreshold, ThresholdSyntaxError } from '../scenario/threshold.js';
import { didYouMean } from '../scenario/errors.js';
import type { Scenario, Threshold } from '../scenario/types.js';
import { httpSteps } from '../engine/run.js';
import { UsageError } from './exit-codes.js';

export interface RunFlags {
  target?: string;
  stallAfter?: string;
  requestTimeout?: string;
  grace?: string;
  connections?: string;
  threshold: string[];
  seed?: string;
}

export function applyOverrides(scenario: Scenario, flags: RunFlags): Scenario {
  const timeouts = { ...scenario.timeouts };
  if (flags.stallAfter !== undefined) {
    timeouts.stallMs = durationFlag('--stall-after', flags.stallAfter);
    if (timeouts.stallMs <= 0) throw new UsageError('--stall-after: expected a duration above 0');
  }
  if (flags.requestTimeout !== undefined) {
    timeouts.requestMs = durationFlag('--request-timeout', flags.requestTimeout);
  }
  if (flags.grace !== undefined) timeouts.graceMs = durationFlag('--grace', flags.grace);

  const http = { ...scenario.http };
  if (flags.connections !== undefined) {
    http.connections =
      flags.connections === 'per-user'
        ? 'per-user'
        : positiveInteger('--connections', flags.connections);
  }

  const extra = flags.threshold.map((text) => thresholdFlag(text, scenario));
  return {
    ...scenario,
    target: flags.target !== undefined ? targetFlag(flags.target) : scenario.target,
    timeouts,
    http,
    thresholds: [...scenario.thresholds, ...extra],
  };
}

export function seedFlag(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new UsageError(`--seed: expected a whole number, found "${text}"`);
  return Number(text) >>> 0;
}

function durationFlag(flag: string, text: string): number {
  try {
    return parseDuration(text);
  } catch (error) {
    throw new UsageError(`${flag}: ${(error as Error).message}, found "${text}"`);
  }
}

function positiveInteger(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    throw new UsageError(
      `${flag}: expected "per-user" or a whole number of at least 1, found "${text}"`,
    );
  }
  return value;
}

function targetFlag(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(
      `--target: expected a base URL such as http://127.0.0.1:8065, found "${text}"`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--target: expected an http:// or https:// URL, found "${text}"`);
  }
  return text.replace(/\/+$/, '');
}

function thresholdFlag(text: string, scenario: Scenario): Threshold {
  let threshold: Threshold;
  try {
    threshold = parseThreshold(text);
  } catch (error) {
    if (!(error instanceof ThresholdSyntaxError)) throw error;
    const caret = `${' '.repeat(error.column)}^`;
    throw new UsageError(`--threshold: ${error.message}\n  ${text}\n  ${caret}`);
  }

  const names = new Set(httpSteps(scenario.flows).map((step) => step.name));
  if (threshold.step !== undefined && !names.has(threshold.step)) {
    throw new UsageError(
      `--threshold "${text}": no step is named "${threshold.step}"` +
        didYouMean(threshold.step, names),
    );
  }
  return threshold;
}
