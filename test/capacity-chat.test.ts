// Capacity with chat users: the setup is made once, each level measures delivery, and a
// level that loses messages says so as the signal that broke.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findCapacity, parseSlo } from '../src/capacity/capacity.js';
import { prepareChat } from '../src/cli/chat-setup.js';
import { parseScenario } from '../src/scenario/load.js';
import { launchBundledServer } from '../src/server/launch.js';

test('a chat capacity search reports lost messages as what broke first', async () => {
  const server = await launchBundledServer({ users: 1, faults: ['drop-events:20%'] });
  try {
    const scenario = parseScenario(
      `
name: chat-capacity
protocol: mattermost
load: { model: closed, users: 1, duration: 1s }
mattermost:
  setup: { prefix: cap, loginRate: 200/s }
  idle: 50ms..150ms
  speed: { x1: 100 }
  actions: { post: 1 }
  deliveryWindow: 2s
`,
      'inline.yaml',
      'yaml',
    );
    const chatSetup = await prepareChat(scenario, server.url, {}, server, 8);
    const doc = await findCapacity(scenario, {
      slo: parseSlo('lost == 0'),
      start: 4,
      max: 8,
      target: server.url,
      seed: 1,
      rule: { minHoldMs: 2000, maxHoldMs: 3000, sampleMs: 500, window: 3, maxCv: 0.5 },
      chatSetup,
    });

    // The fault drops a fifth of each socket's events (evenly, so a socket that got
    // fewer than five keeps them all): the levels that fail, fail on lost messages.
    const failed = doc.levels.filter((level) => !level.passed);
    assert.ok(failed.length >= 1, 'a level lost messages');
    assert.ok(failed.every((level) => level.failures.some((f) => f.startsWith('lost == 0'))));
    assert.equal(doc.brokeFirst[0].signal, 'lost messages');
    assert.ok(Number(doc.brokeFirst[0].measured) > 0);
  } finally {
    await server.stop();
  }
});
