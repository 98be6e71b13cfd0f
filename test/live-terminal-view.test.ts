// The live view in a real pseudo-terminal: the real CLI runs inside a private tmux server,
// against a local server that freezes for a scripted window, and the test reads the screen
// as a person would see it. tmux keeps the scrollback, so a view that scrolled instead of
// redrawing in place, or was left behind, shows up there.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { startServer, type Behaviour } from './support/ground-truth-server.js';
import { CHATLOAD_BIN, tempDir } from './support/cli.js';

const TMUX_MISSING = (() => {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'ignore' });
    return false;
  } catch {
    return 'tmux is not installed: the live view needs a pseudo-terminal to be tested in';
  }
})();

const VIEW_LINE = /^\[[█░]{24}\]|^users \d+ \/ \d+ · |^last \d+\.\ds: |^in flight \d+ · /;
const DONE = /\[exited (\d+)\]/;

const sockets: string[] = [];
after(() => {
  for (const socket of sockets) tmux(socket, ['kill-server'], true);
});

function tmux(socket: string, args: string[], ignoreFailure = false): string {
  try {
    return execFileSync('tmux', ['-S', socket, ...args], { encoding: 'utf8' });
  } catch (error) {
    if (ignoreFailure) return '';
    throw error;
  }
}

/**
 * A 100×30 terminal running the command. The shell then stays (sleeping, until the tmux
 * server is killed) so that the terminal's state, the cursor's visibility included, can
 * still be read: tmux reports a dead pane's cursor as hidden whatever the program did.
 */
function openTerminal(dir: string, command: string): string {
  const socket = join(dir, 'tmux.sock');
  sockets.push(socket);
  const shell = `${command}; echo "[exited $?]"; exec sleep 120`;
  const size = ['-x', '100', '-y', '30'];
  tmux(socket, ['-f', '/dev/null', 'new-session', '-d', '-s', 'live', ...size, '-c', dir, shell]);
  return socket;
}

function screen(socket: string, withHistory = false): string[] {
  const range = withHistory ? ['-S', '-'] : [];
  return tmux(socket, ['capture-pane', '-p', '-t', 'live', ...range]).split('\n');
}

function cursorVisible(socket: string): boolean {
  return tmux(socket, ['display-message', '-p', '-t', 'live', '#{cursor_flag}']).trim() === '1';
}

async function waitForExit(socket: string, limitMs: number): Promise<string[]> {
  const deadline = performance.now() + limitMs;
  while (performance.now() < deadline) {
    const lines = screen(socket);
    if (lines.some((line) => DONE.test(line))) return lines;
    await sleep(100);
  }
  assert.fail(`the run did not end within ${limitMs}ms:\n${screen(socket).join('\n')}`);
}

function scenarioFile(dir: string, seconds: number): string {
  const file = join(dir, 'live.yaml');
  writeFileSync(
    file,
    `name: live\nload: { model: closed, stages: [ { duration: 1s, users: 4 }, ` +
      `{ duration: ${seconds - 1}s, users: 4 } ] }\n` +
      'timeouts: { stall: 400ms, grace: 1s }\n' +
      'flows:\n  - name: only\n    steps:\n      - get: /ping\n        name: ping\n' +
      '      - think: 20ms\n',
  );
  return file;
}

function cliCommand(dir: string, scenario: string, target: string): string {
  const out = join(dir, 'result.json');
  const chatload = `'${process.execPath}' '${CHATLOAD_BIN}'`;
  return `NO_COLOR=1 ${chatload} run '${scenario}' --target ${target} --out '${out}'`;
}

test(
  'on a terminal the view is redrawn in place, warns of a freeze, and is erased at the end',
  {
    skip: TMUX_MISSING,
  },
  async () => {
    // From 2 s after the first request, every arrival is held for 1.5 s: a freeze.
    const freezeAtMs = 2000;
    const freezeForMs = 1500;
    let firstAt: number | undefined;
    let released: Promise<void> | undefined;
    const server = await startServer((): Behaviour => {
      const now = performance.now();
      firstAt ??= now;
      const since = now - firstAt;
      if (since < freezeAtMs || since >= freezeAtMs + freezeForMs) return { delayMs: 2 };
      released ??= sleep(freezeAtMs + freezeForMs - since).then(() => undefined);
      return { holdUntil: released };
    });
    const dir = tempDir('live-tty');

    try {
      const socket = openTerminal(dir, cliCommand(dir, scenarioFile(dir, 6), server.url));
      const snapshots: { atMs: number; lines: string[] }[] = [];
      let final: string[] | undefined;
      while (final === undefined) {
        const lines = screen(socket);
        snapshots.push({ atMs: firstAt === undefined ? -1 : performance.now() - firstAt, lines });
        if (lines.some((line) => DONE.test(line))) final = lines;
        else if (snapshots.length > 200) assert.fail(`no end:\n${lines.join('\n')}`);
        else await sleep(100);
      }

      // While it ran, the view was on screen, and never more than once.
      const withView = snapshots.filter((s) => s.lines.some((line) => VIEW_LINE.test(line)));
      assert.ok(withView.length >= 5, `the view was seen in ${withView.length} snapshots`);
      for (const { lines } of snapshots) {
        const bars = lines.filter((line) => /^\[[█░]{24}\]/.test(line)).length;
        assert.ok(bars <= 1, `one view at a time:\n${lines.join('\n')}`);
      }
      const view = withView.map((s) => s.lines.join('\n')).join('\n');
      assert.match(
        view,
        /^\[[█░]{24}\]\s+\d+% \ds \/ 6s · stage [12]\/2: (ramp 0 → 4|steady 4) users$/m,
      );
      const sparkline = /[▁▂▃▄▅▆▇█ ]*[▁▂▃▄▅▆▇█]/.source;
      assert.match(view, new RegExp(`^users \\d \\/ 4 · \\d+ req\\/s ${sparkline}`, 'm'));
      assert.match(view, /^last \d\.\ds: p50 [\d.]+ms · p99 [\d.]+ms · errors 0 \(0 total\)$/m);

      // The warning appears during the scripted freeze, and only around it.
      const frozen = snapshots.filter((s) => s.lines.some((line) => line.startsWith('!! FROZEN')));
      assert.ok(frozen.length > 0, 'the freeze was announced');
      for (const { atMs, lines } of frozen) {
        assert.ok(atMs > freezeAtMs && atMs < freezeAtMs + freezeForMs + 1500, `at ${atMs}ms`);
        assert.match(lines.join('\n'), /!! FROZEN for \d+\.\ds: [1-4] requests in flight/);
        assert.match(lines.join('\n'), /stalled now [1-4] /);
      }

      // At the end: the summary, the exit code, no trace of the view anywhere, the cursor back.
      assert.equal(
        final.find((line) => DONE.test(line)),
        '[exited 0]',
      );
      assert.ok(final.some((line) => line.includes('latency in ms, from the intended start')));
      const history = screen(socket, true);
      assert.deepEqual(
        history.filter((line) => VIEW_LINE.test(line) || line.includes('FROZEN for')),
        [],
      );
      assert.ok(cursorVisible(socket), 'the cursor is visible again');
    } finally {
      await server.close();
    }
  },
);

test(
  'Ctrl-C on a terminal: the messages are not drawn into the view, and it ends clean',
  {
    skip: TMUX_MISSING,
  },
  async () => {
    const server = await startServer(() => ({ delayMs: 2 }));
    const dir = tempDir('live-sigint');

    try {
      const socket = openTerminal(dir, cliCommand(dir, scenarioFile(dir, 20), server.url));
      const deadline = performance.now() + 10_000;
      while (!screen(socket).some((line) => /^users \d \/ 4/.test(line))) {
        assert.ok(performance.now() < deadline, `no view:\n${screen(socket).join('\n')}`);
        await sleep(100);
      }
      await sleep(1200);
      tmux(socket, ['send-keys', '-t', 'live', 'C-c']);

      const final = await waitForExit(socket, 10_000);
      assert.equal(
        final.find((line) => DONE.test(line)),
        '[exited 130]',
      );
      const history = screen(socket, true);
      const interrupted = history.filter((line) => line.includes('interrupted: waiting up to'));
      assert.equal(interrupted.length, 1, history.join('\n'));
      assert.match(interrupted[0], /^(\^C)?chatload: interrupted: waiting up to 1000ms/);
      assert.deepEqual(
        history.filter((line) => VIEW_LINE.test(line)),
        [],
      );
      assert.ok(history.some((line) => line.includes('latency in ms, from the intended start')));
      assert.ok(cursorVisible(socket), 'the cursor is visible again');
    } finally {
      await server.close();
    }
  },
);
