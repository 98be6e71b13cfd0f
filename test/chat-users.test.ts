// Chat users against the bundled server: every delivery timed, losses counted exactly,
// sockets that die come back, setup reused, chat and HTTP steps mixed in one flow.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { launchBundledServer } from '../src/server/launch.js';
import { decodeHistogram } from '../src/metrics/histogram.js';
import { runSetup } from '../src/protocols/mattermost/setup.js';
import { parseScenario } from '../src/scenario/load.js';
import { adminCall, fanOutScenario, runChat } from './support/chat.js';

test('delivery latency is recorded for every recipient of every post', async () => {
  const server = await launchBundledServer({ users: 1 });
  try {
    const users = 8;
    const { result } = await runChat(server, fanOutScenario(users));
    const delivery = result.delivery!;

    assert.equal(delivery.posts, users);
    assert.equal(delivery.expected, users * users, 'each post goes to every connected member');
    assert.equal(delivery.received, users * users);
    assert.equal(delivery.lost, 0);
    assert.equal(delivery.duplicates, 0);
    assert.equal(delivery.seqGaps, 0);
    assert.equal(decodeHistogram(delivery.histogram).totalCount, users * users);
    assert.ok(delivery.latency.p99 > 0 && delivery.latency.p99 < 5000);
  } finally {
    await server.stop();
  }
});

test('with the drop-events fault, lost equals the events the server dropped', async () => {
  const server = await launchBundledServer({ users: 1, faults: ['drop-events:0.3'] });
  try {
    const users = 10;
    const { result } = await runChat(server, fanOutScenario(users));
    const { json } = await adminCall(server, 'GET', '/chatload/faults');
    const droppedPosted = json.counters.postedDropped;

    const delivery = result.delivery!;
    assert.equal(delivery.posts, users);
    assert.ok(droppedPosted > 0, 'the fault dropped some posted events');
    assert.equal(delivery.lost, droppedPosted, JSON.stringify(json.counters));
    assert.equal(delivery.received + delivery.lost, delivery.expected);
  } finally {
    await server.stop();
  }
});

test('users reconnect after the server closes their sockets, and the deaf time is told', async () => {
  const server = await launchBundledServer({ users: 1 });
  try {
    const users = 5;
    const text = `
name: reconnect
protocol: mattermost
load: { model: closed, users: ${users}, duration: 9s }
mattermost:
  setup: { prefix: rc, loginRate: 200/s }
flows:
  - name: listener
    steps:
      - login: {}
      - connect: {}
      - think: 20s
`;
    const { result } = await runChat(server, text, () => {
      void sleep(3000).then(() => adminCall(server, 'POST', '/chatload/disconnect'));
    });
    const delivery = result.delivery!;
    assert.equal(delivery.disconnects, users);
    assert.equal(delivery.reconnects, users, 'every user came back');
    assert.ok(delivery.deafMs > 0, 'the time without a socket is reported');
    const last = result.timeline[result.timeline.length - 2];
    assert.equal(last.delivery?.sockets, users, 'all sockets are up again before the end');
  } finally {
    await server.stop();
  }
});

test('setup reuses what exists: the second time it creates nothing', async () => {
  const server = await launchBundledServer({ users: 1 });
  try {
    const scenario = parseScenario(fanOutScenario(12), 'inline.yaml', 'yaml');
    const admin = { user: server.seed.adminUsername, password: server.seed.adminPassword };
    const first = await runSetup(server.url, scenario.chat!.setup, 12, admin);
    const second = await runSetup(server.url, scenario.chat!.setup, 12, admin);

    assert.ok(first.report.created.users === 12 && first.report.created.channels > 0);
    assert.deepEqual(second.report.created, { teams: 0, users: 0, channels: 0 });
    assert.deepEqual(second.report.reused, first.report.created);
    assert.deepEqual(second.userIds, first.userIds);
    assert.deepEqual([...second.channelIds], [...first.channelIds]);
  } finally {
    await server.stop();
  }
});

test('two setups at once (two shards starting together) share one team and channel set', async () => {
  const server = await launchBundledServer({ users: 1 });
  try {
    const scenario = parseScenario(fanOutScenario(6), 'inline.yaml', 'yaml');
    const admin = { user: server.seed.adminUsername, password: server.seed.adminPassword };
    const [a, b] = await Promise.all([
      runSetup(server.url, scenario.chat!.setup, 6, admin),
      runSetup(server.url, scenario.chat!.setup, 6, admin),
    ]);

    assert.equal(a.teamId, b.teamId);
    assert.deepEqual(a.userIds, b.userIds);
    assert.deepEqual([...a.channelIds], [...b.channelIds]);
    const made = (kind: 'teams' | 'channels') => a.report.created[kind] + b.report.created[kind];
    assert.equal(made('teams'), 1, 'exactly one of them made the team');
    assert.equal(made('channels'), a.channelIds.size, 'each channel was made once');
  } finally {
    await server.stop();
  }
});

test('a scripted flow mixes chat steps and plain HTTP steps', async () => {
  const server = await launchBundledServer({ users: 1 });
  try {
    const { result } = await runChat(
      server,
      `
name: mixed
protocol: mattermost
load: { model: closed, users: 3, iterations: 1 }
mattermost:
  setup: { prefix: mix, loginRate: 200/s }
flows:
  - name: scripted
    steps:
      - login: { name: sign in }
      - connect: {}
      - get: /api/v4/users/me
        name: me over http
        headers: { Authorization: "Bearer {{ token }}" }
        expect: { status: 200, exists: [$.id] }
      - typing: { channel: large-0 }
      - post: { channel: large-0, message: "hello from {{ user.index }}", name: hello }
      - wait-for: { event: posted, timeout: 5s }
      - think: 1s
`,
    );
    const step = (name: string) => result.steps.find((s) => s.name === name);
    for (const name of ['sign in', 'me over http', 'hello', 'wait-for posted']) {
      assert.equal(step(name)?.count, 3, `${name} ran once per user`);
      assert.equal(step(name)?.errors, 0, `${name} had no errors`);
    }
    assert.equal(result.delivery!.lost, 0);
  } finally {
    await server.stop();
  }
});
