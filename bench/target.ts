// Parent side of bench/target-server.ts: forks it, reads its port back over IPC, asks it
// for connection counts, and stops it by its PID (never by name).

import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TargetStats } from './target-server.js';

export interface Target {
  url: string;
  pid: number;
  stats(): Promise<TargetStats>;
  /** Zeroes the connection and request counters; resolves with the counts before. */
  reset(): Promise<TargetStats>;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 15_000;
const REPLY_TIMEOUT_MS = 5_000;
const STOP_GRACE_MS = 3_000;

export async function startTarget(): Promise<Target> {
  const entry = fileURLToPath(new URL('./target-server.ts', import.meta.url));
  // Explicit execArgv: the child must not inherit --cpu-prof or --expose-gc from a
  // profiling run of the generator, only the TypeScript loader.
  const child = fork(entry, [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });

  let port: number;
  try {
    const ready = await waitFor<{ port: number }>(child, 'ready', START_TIMEOUT_MS);
    port = ready.port;
  } catch (error) {
    await stopChild(child);
    throw error;
  }

  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    stats: () => ask(child, 'stats'),
    reset: () => ask(child, 'reset'),
    stop: () => stopChild(child),
  };
}

function ask(child: ChildProcess, type: 'stats' | 'reset'): Promise<TargetStats> {
  const reply = waitFor<TargetStats>(child, 'stats', REPLY_TIMEOUT_MS);
  child.send({ type });
  return reply;
}

/** Resolves with the first IPC message of the given type. */
function waitFor<T>(child: ChildProcess, type: string, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanUp();
      reject(new Error(`the target server sent no '${type}' within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (message: { type?: string }) => {
      if (message.type !== type) return;
      cleanUp();
      resolve(message as T);
    };
    const onExit = (code: number | null) => {
      cleanUp();
      reject(new Error(`the target server exited (code ${code})`));
    };
    const cleanUp = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

/** SIGTERM by PID, then SIGKILL if it has not exited after a grace period. */
function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => signal(child, 'SIGKILL'), STOP_GRACE_MS);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    signal(child, 'SIGTERM');
  });
}

function signal(child: ChildProcess, name: NodeJS.Signals): void {
  try {
    process.kill(child.pid!, name);
  } catch {
    // Already gone between the check and the signal: nothing left to stop.
  }
}
