// Runs the real `chatload` executable (the compiled one in dist/, built by `npm test`).

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CHATLOAD_BIN = fileURLToPath(new URL('../../bin/chatload', import.meta.url));

export interface CliOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** `env` is added to this process's environment (a pod's variables, a test hook). */
export function startCli(
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): { child: ChildProcess; done: Promise<CliOutcome> } {
  const child = spawn(process.execPath, [CHATLOAD_BIN, ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const done = new Promise<CliOutcome>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

export function runCli(
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<CliOutcome> {
  return startCli(args, cwd, env).done;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `chatload-${prefix}-`));
}
