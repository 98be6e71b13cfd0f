// What the sweep, capacity, blast and probe commands share: hold flags, the target (the
// bundled server when none is given), and writing documents atomically under results/.

import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UsageError } from '../cli/exit-codes.js';
import { parseDuration } from '../scenario/duration.js';
import { launchBundledServer } from '../server/launch.js';
import { DEFAULT_HOLD, type HoldRule } from './hold.js';

export interface HoldFlags {
  minHold?: string;
  maxHold?: string;
  sample?: string;
  maxCv?: string;
}

export function holdRuleFrom(flags: HoldFlags): HoldRule {
  const rule = { ...DEFAULT_HOLD };
  if (flags.minHold !== undefined) rule.minHoldMs = durationFlag('--min-hold', flags.minHold);
  if (flags.maxHold !== undefined) rule.maxHoldMs = durationFlag('--max-hold', flags.maxHold);
  if (flags.sample !== undefined) rule.sampleMs = durationFlag('--sample', flags.sample);
  if (flags.maxCv !== undefined) {
    const value = Number(flags.maxCv);
    if (!(value > 0 && value < 1)) {
      throw new UsageError(
        `--max-cv: expected a number between 0 and 1 such as 0.1, found "${flags.maxCv}"`,
      );
    }
    rule.maxCv = value;
  }
  if (rule.sampleMs < 100) {
    throw new UsageError(`--sample: expected at least 100ms, found ${rule.sampleMs}ms`);
  }
  if (rule.maxHoldMs < rule.minHoldMs) {
    throw new UsageError(
      `--max-hold: expected at least --min-hold (${rule.minHoldMs}ms), found ${rule.maxHoldMs}ms`,
    );
  }
  return rule;
}

export function durationFlag(flag: string, text: string): number {
  try {
    return parseDuration(text);
  } catch (error) {
    throw new UsageError(`${flag}: ${(error as Error).message}, found "${text}"`);
  }
}

export function positiveIntegerFlag(flag: string, text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1) {
    throw new UsageError(`${flag}: expected a whole number of at least 1, found "${text}"`);
  }
  return value;
}

/** Runs `work` against the target, starting (and stopping) the bundled server when none. */
export async function withTarget<T>(
  target: string | undefined,
  work: (target: string) => Promise<T>,
): Promise<T> {
  if (target !== undefined) return work(target);
  const server = await launchBundledServer();
  log(`started the bundled server at ${server.url} (pid ${server.pid})`);
  try {
    return await work(server.url);
  } finally {
    await server.stop();
    log('stopped the bundled server');
  }
}

export function writeDocument(path: string, document: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.partial`;
  writeFileSync(temporary, JSON.stringify(document, null, 2) + '\n');
  renameSync(temporary, path);
}

export function defaultPath(name: string, kind: string): string {
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const safeName = name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || kind;
  return join('results', `${safeName}-${kind}-${stamp}.json`);
}

export function log(message: string): void {
  process.stderr.write(`chatload: ${message}\n`);
}
