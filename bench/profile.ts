// `npm run bench:profile [-- flags]`: runs the throughput benchmark for one tool under
// `node --cpu-prof` (chatload by default; `--only autocannon` profiles the peer), then
// prints where the generator's CPU went. Other flags go to bench/engine-vs-autocannon.ts.
//
// Profiles land in results/cpu-profiles/ (ignored by git); the newest one is analysed.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { printProfile } from './profile-top.js';

const PROFILE_DIR = 'results/cpu-profiles';

function profiledRun(args: string[]): Promise<number> {
  const entry = fileURLToPath(new URL('./engine-vs-autocannon.ts', import.meta.url));
  // Defaults first: util.parseArgs keeps the last value, so the caller's flags win.
  const benchArgs = ['--only', 'chatload', '--rounds', '1', '--skip-memory', ...args];
  const nodeArgs = ['--cpu-prof', '--cpu-prof-dir', PROFILE_DIR, '--import', 'tsx'];
  const child = spawn(process.execPath, [...nodeArgs, entry, ...benchArgs], {
    stdio: 'inherit',
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

const code = await profiledRun(process.argv.slice(2));
if (code === 0) printProfile(PROFILE_DIR);
else process.exitCode = code;
