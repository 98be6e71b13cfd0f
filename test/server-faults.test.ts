// Each fault of the bundled server, found by chatload: the engine runs against the server
// (in a child process, as `chatload run` starts it) and what it reports is compared with
// what the fault did, read back from the server's admin endpoint. Stall limits are a
// generous 1 s where the stalled requests never complete anyway: logins hash passwords and
// may be slow on a busy machine, and must not be mistaken for the fault.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBundledServer, type LaunchedServer } from '../src/server/launch.js';
import { call } from './support/chat-api.js';
import { ChatSocket } from './support/chat-socket.js';
import { runInline, within } from './support/run.js';

/** A scenario whose users log in as user-N, then loop over `steps` (YAML, indented). */
function scenario(users: number, duration: string, timeouts: string, steps: string): string {
  return `
name: fault
load: { model: closed, users: ${users}, duration: ${duration} }
timeouts: ${timeouts}
flows:
  - name: chat-user
    steps:
      - post: /api/v4/users/login
        name: login
        json: { login_id: 'user-{{ user.index }}', password: chatload-pass }
        capture: { token: header.Token }
      - loop: 100000
        steps:
${steps}`;
}

const AUTH = "headers: { Authorization: 'Bearer {{ token }}' }";

async function faultState(server: LaunchedServer) {
  const admin = await call(server.url, 'POST', '/api/v4/users/login', {
    body: { login_id: server.seed.adminUsername, password: server.seed.adminPassword },
  });
  const token = admin.headers.get('token')!;
  return (await call(server.url, 'GET', '/api/v4/chatload/faults', { token })).json;
}

async function withServer(
  users: number,
  faults: string[],
  body: (s: LaunchedServer) => Promise<void>,
) {
  const server = await launchBundledServer({ users, faults, sessions: true });
  try {
    await body(server);
  } finally {
    await server.stop();
  }
}

test('a deadlock stalls exactly the two deadlocked routes, every user stuck there', async () => {
  const read = 'GET /api/v4/channels/{channel_id}/posts';
  const view = 'POST /api/v4/channels/members/{user_id}/view';
  await withServer(6, [`deadlock:${read}|${view}`], async (server) => {
    const channel = server.seed.channels['town-square'];
    const { result } = await runInline(
      scenario(
        6,
        '3s',
        '{ stall: 1s, grace: 300ms }',
        `
          - get: /api/v4/users/me
            name: me
            ${AUTH}
          - get: /api/v4/channels/${channel}/posts
            name: read
            ${AUTH}
          - post: /api/v4/channels/members/me/view
            name: view
            ${AUTH}
            json: { channel_id: ${channel} }
`,
      ),
      server.url,
    );
    const step = (name: string) => result.steps.find((s) => s.name === name)!;
    assert.ok(step('read').stalled > 0 && step('view').stalled > 0, 'both routes are stuck');
    assert.equal(step('read').stalled + step('view').stalled, 6, 'all six users are stuck there');
    assert.equal(step('me').stalled, 0, 'the route outside the deadlock is not stalled');
    assert.equal(step('login').stalled, 0);
    assert.ok(step('me').count >= 6, 'every user got past the route outside the deadlock');

    const state = await faultState(server);
    assert.equal(state.counters.lockWaiting, 6, 'the server holds six requests on its locks');
  });
});

test('a freeze of the process is reported with its length within 250 ms', async () => {
  await withServer(10, ['freeze:every=2500ms,for=1s'], async (server) => {
    const { result } = await runInline(
      scenario(
        10,
        '4s',
        '{ stall: 300ms }',
        `
          - get: /api/v4/users/me
            name: me
            ${AUTH}
          - think: 10ms
`,
      ),
      server.url,
    );
    assert.ok(result.freezes.length >= 1, 'at least one freeze falls in the run');
    for (const freeze of result.freezes) {
      assert.ok(
        within(freeze.lengthMs, 1000, 0, 250),
        `a freeze of ${freeze.lengthMs} ms, true 1000 ms`,
      );
    }
    const state = await faultState(server);
    assert.ok(state.counters.freezes >= result.freezes.length);
  });
});

test('a pool smaller than the load shows as latency: p50 ≈ users / size × hold', async () => {
  const size = 2;
  const holdMs = 50;
  const users = 8;
  await withServer(users, [`pool:size=${size},hold=${holdMs}ms`], async (server) => {
    const { result } = await runInline(
      scenario(
        users,
        '3s',
        '{ stall: 2s }',
        `
          - get: /api/v4/users/me
            name: me
            ${AUTH}
`,
      ),
      server.url,
    );
    // Closed loop, no think time: each request waits for the others' turns in the pool.
    const expectedMs = (users / size) * holdMs;
    const me = result.steps.find((s) => s.name === 'me')!;
    assert.ok(
      within(me.latency.p50, expectedMs, 0.25, 20),
      `p50 ${me.latency.p50} ms, expected ${expectedMs}`,
    );
    assert.ok(
      me.latency.min >= holdMs - 1,
      `no request beats the hold time (${me.latency.min} ms)`,
    );
  });
});

test('latency on one route shows on that route only', async () => {
  await withServer(4, ['latency:GET /api/v4/users/me=150ms..250ms'], async (server) => {
    const { result } = await runInline(
      scenario(
        4,
        '2s',
        '{ stall: 2s }',
        `
          - get: /api/v4/users/me
            name: me
            ${AUTH}
          - get: /api/v4/users/me/teams
            name: teams
            ${AUTH}
`,
      ),
      server.url,
    );
    const me = result.steps.find((s) => s.name === 'me')!;
    const teams = result.steps.find((s) => s.name === 'teams')!;
    assert.ok(me.latency.min >= 149, `me min ${me.latency.min} ms (fault: 150..250 ms)`);
    assert.ok(within(me.latency.p50, 200, 0, 50), `me p50 ${me.latency.p50} ms`);
    assert.ok(teams.latency.p50 < 50, `teams p50 ${teams.latency.p50} ms, no fault there`);
  });
});

test('a stall fraction gives that share of stalled requests, as the server counts', async () => {
  await withServer(20, ['stall:GET /api/v4/users/me=10%'], async (server) => {
    const { result } = await runInline(
      scenario(
        20,
        '2s',
        '{ stall: 1s, grace: 300ms }',
        `
          - get: /api/v4/users/me
            name: me
            ${AUTH}
          - get: /api/v4/users/me/teams
            name: teams
            ${AUTH}
          - think: 20ms
`,
      ),
      server.url,
    );
    const me = result.steps.find((s) => s.name === 'me')!;
    const state = await faultState(server);
    assert.equal(me.stalled, state.counters.stalled, 'every request the server held is stalled');
    assert.equal(me.stalls.neverCompleted, me.stalled);
    assert.ok(
      Math.abs(me.stalled - Math.floor(me.count / 10)) <= 1,
      `${me.stalled} of ${me.count}`,
    );
    assert.equal(result.steps.find((s) => s.name === 'teams')!.stalled, 0);
  });
});

test('dropped events never arrive: clients get exactly sent − dropped', async () => {
  await withServer(4, [], async (server) => {
    const tokens = server.seed.tokens!;
    const sockets = await Promise.all(tokens.map((token) => ChatSocket.open(server.url, token)));
    try {
      // Switched on at run time, after the sockets' own hello and status events.
      const adminToken = server.seed.adminToken!;
      const switched = await call(server.url, 'PUT', '/api/v4/chatload/faults', {
        token: adminToken,
        body: ['drop-events:25%'],
      });
      assert.equal(switched.status, 200);
      const before = switched.json.counters;

      const posts = 20;
      const channel = server.seed.channels['town-square'];
      for (let index = 0; index < posts; index++) {
        const body = { channel_id: channel, message: `event ${index}` };
        assert.equal(
          (await call(server.url, 'POST', '/api/v4/posts', { token: tokens[0], body })).status,
          201,
        );
      }
      const after = (
        await call(server.url, 'GET', '/api/v4/chatload/faults', { token: adminToken })
      ).json;
      const sent = posts * sockets.length;
      const dropped = after.counters.eventsDropped - before.eventsDropped;
      assert.equal(dropped, sent / 4, '25% of the events were dropped');
      const count = () => sockets.reduce((sum, s) => sum + s.named('posted').length, 0);
      await sockets[0].waitFor(() => count() >= sent - dropped, 'the delivered events');
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(count(), sent - dropped);
      // Each loss is visible to its client as a gap in seq.
      const gaps = sockets.reduce((sum, s) => sum + s.events.at(-1)!.seq + 1 - s.events.length, 0);
      assert.ok(gaps >= dropped - sockets.length, `${gaps} seq gaps for ${dropped} drops`);
    } finally {
      for (const socket of sockets) socket.close();
    }
  });
});
