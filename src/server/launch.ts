// Starts the bundled target server in a child process: never in the generator's own event
// loop, where its work would distort every number chatload measures.

import { fork, type ChildProcess } from 'node:child_process';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface LaunchedServer {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 15_000;

export async function launchBundledServer(): Promise<LaunchedServer> {
  // Same extension as this file: .ts under tsx, .js once compiled.
  const extension = extname(fileURLToPath(import.meta.url));
  const entry = fileURLToPath(new URL(`./demo-server${extension}`, import.meta.url));
  const child = fork(entry, [], {
    env: { ...process.env, CHATLOAD_CHILD: 'demo-server' },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });

  const port = await waitForPort(child);
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    stop: () => stopChild(child),
  };
}

function waitForPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the bundled server did not start within ${START_TIMEOUT_MS / 1000}s`));
    }, START_TIMEOUT_MS);
    child.once('message', (message: { port?: number }) => {
      clearTimeout(timer);
      if (typeof message.port === 'number') resolve(message.port);
      else reject(new Error('the bundled server sent no port'));
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
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
