// What the sweep, capacity, blast and probe commands share: hold flags, the target (the
// bundled server when none is given), and writing documents atomically under results/.

import { join } from 'node:path';
import { UsageError } from '../cli/exit-codes.js';
import { parseDuration } from '../scenario/duration.js';
import type { Command } from 'commander';
import { launchBundledServer, type LaunchedServer } from '../server/launch.js';
import { prepareChat, type AdminFlags } from '../cli/chat-setup.js';
import type { SetupResult } from '../protocols/mattermost/setup.js';
import type { Scenario } from '../scenario/types.js';
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

/**
 * Runs `work` against the scenario's target, starting (and stopping) the bundled server
 * when it has none, with room for `users` users. Chat scenarios get their setup first.
 */
export async function withTarget<T>(
  scenario: Scenario,
  users: number,
  admin: AdminFlags,
  work: (target: string, chatSetup: SetupResult | undefined) => Promise<T>,
): Promise<T> {
  let server: LaunchedServer | undefined;
  if (scenario.target === undefined) {
    server = await launchBundledServer({ users, faults: scenario.serveFaults ?? [] });
    log(`started the bundled server at ${server.url} (pid ${server.pid})`);
  }
  try {
    const target = scenario.target ?? server!.url;
    const chatSetup = await prepareChat(scenario, target, admin, server, users);
    return await work(target, chatSetup);
  } finally {
    if (server !== undefined) {
      await server.stop();
      log('stopped the bundled server');
    }
  }
}

export { writeResultFile as writeDocument } from '../report/result-file.js';

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

/** The options `sweep` and `capacity` share: the target, chat setup, the hold rule, seed. */
export function addLevelOptions(command: Command): Command {
  return command
    .option('--target <url>', 'base URL of the server under test (overrides the scenario)')
    .option('--admin-user <name>', 'chat scenarios: admin account used for setup')
    .option('--admin-password <password>', 'chat scenarios: its password')
    .option('--admin-token <token>', 'chat scenarios: an admin token instead of a password')
    .option('--min-hold <duration>', 'shortest time at a level (default 5s)')
    .option('--max-hold <duration>', 'longest time at a level, steady or not (default 30s)')
    .option('--sample <duration>', 'throughput sample length for the steady rule (default 1s)')
    .option('--max-cv <n>', 'steady when the last 5 samples vary less than this (default 0.1)')
    .option('--seed <n>', 'seed for think times, data picks and flow choice');
}
