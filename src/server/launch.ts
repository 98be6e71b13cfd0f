// Starts the bundled chat server in a child process: never in the generator's own event
// loop, where its work would distort every number chatload measures. It is seeded before
// this resolves (see mattermost/seed.ts for the names and passwords).

import { fork, type ChildProcess } from 'node:child_process';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildReport, ChildSettings } from './chat-server-process.js';
import type { SeedInfo } from './mattermost/seed.js';

export interface LaunchOptions {
  /** Seeded users, `user-0` … `user-(users-1)`. */
  users: number;
  /** Fault specs (see FAULTS.md). */
  faults?: string[];
  /** Also create one session per seeded user and return the tokens (for benchmarks). */
  sessions?: boolean;
  /** A SQLite file instead of memory. */
  dbFile?: string;
  /** Cheap password hashing, for benchmarks of the generator only (logins cost little). */
  fastPasswords?: boolean;
}

export interface LaunchedServer {
  url: string;
  pid: number;
  seed: SeedInfo;
  stop(): Promise<void>;
}

export const DEFAULT_SEED_USERS = 10;
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;

export async function launchBundledServer(
  options: LaunchOptions = { users: DEFAULT_SEED_USERS },
): Promise<LaunchedServer> {
  // Same extension as this file: .ts under tsx, .js once compiled.
  const extension = extname(fileURLToPath(import.meta.url));
  const entry = fileURLToPath(new URL(`./chat-server-process${extension}`, import.meta.url));
  const settings: ChildSettings = {
    host: '127.0.0.1',
    port: 0,
    users: options.users,
    faults: options.faults ?? [],
    sessions: options.sessions ?? false,
    dbFile: options.dbFile,
  };
  const child = fork(entry, [], {
    env: {
      ...process.env,
      CHATLOAD_CHILD: 'chat-server',
      ...(options.fastPasswords ? { CHATLOAD_FAST_PASSWORDS: '1' } : {}),
      CHATLOAD_CHAT_SERVER: JSON.stringify(settings),
    },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });

  const { port, seed } = await waitForReport(child);
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    seed,
    stop: () => stopChild(child),
  };
}

function waitForReport(child: ChildProcess): Promise<{ port: number; seed: SeedInfo }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the bundled server did not start within ${START_TIMEOUT_MS / 1000}s`));
    }, START_TIMEOUT_MS);
    child.once('message', (message: ChildReport) => {
      clearTimeout(timer);
      if ('port' in message) resolve(message);
      else reject(new Error(`the bundled server did not start: ${message.error}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the bundled server exited during start (code ${code})`));
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    // A server stuck in a freeze or a deadlock still exits; one that does not is killed.
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
