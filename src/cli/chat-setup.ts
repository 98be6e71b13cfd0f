// Chat scenarios need their users, team and channels before anything is measured; `run`,
// `sweep` and `capacity` all prepare them the same way, here.

import { peakUsers } from '../engine/schedule.js';
import {
  runSetup,
  SetupError,
  type AdminCredentials,
  type SetupResult,
} from '../protocols/mattermost/setup.js';
import type { Scenario } from '../scenario/types.js';
import type { LaunchedServer } from '../server/launch.js';
import { describeSetupCounts } from '../report/tables.js';
import { EXIT, UsageError } from './exit-codes.js';

export interface AdminFlags {
  adminUser?: string;
  adminPassword?: string;
  adminToken?: string;
}

/**
 * Creates or reuses what a chat scenario needs, for `users` users (default: the most the
 * load runs at once); undefined for other scenarios. The bundled server's own admin is
 * used when chatload started it.
 */
export async function prepareChat(
  scenario: Scenario,
  target: string,
  flags: AdminFlags,
  server: LaunchedServer | undefined,
  users = scenario.chat?.setup.users ?? Math.max(peakUsers(scenario.load), 1),
): Promise<SetupResult | undefined> {
  if (scenario.chat === undefined) return undefined;
  const admin: AdminCredentials = server
    ? { user: server.seed.adminUsername, password: server.seed.adminPassword }
    : { user: flags.adminUser, password: flags.adminPassword, token: flags.adminToken };

  log(`setup: ${users} users, prefix "${scenario.chat.setup.prefix}" (not measured)`);
  try {
    const setup = await runSetup(target, scenario.chat.setup, users, admin);
    const { created, reused, durationMs } = setup.report;
    log(
      `setup done in ${(durationMs / 1000).toFixed(1)}s: ` +
        `created ${describeSetupCounts(created)}; reused ${describeSetupCounts(reused)}`,
    );
    return setup;
  } catch (error) {
    if (error instanceof SetupError) throw new UsageError(error.message, EXIT.usage);
    throw error;
  }
}

function log(message: string): void {
  process.stderr.write(`chatload: ${message}\n`);
}
