// Access rules and input checks of the bundled chat server: no session → 401, not a member
// → 403, not an admin → 403, a bad body → 400 with the Mattermost error body. No bad
// request can crash the server or corrupt what it stores.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import {
  call,
  loginAdmin,
  loginUser,
  startChatServer,
  type ApiResponse,
} from './support/chat-api.js';

function assertError(response: ApiResponse, status: number, idPattern: RegExp, where: string) {
  assert.equal(response.status, status, `${where}: ${JSON.stringify(response.json)}`);
  assert.match(response.json.id, idPattern, where);
  assert.equal(response.json.status_code, status, where);
  assert.equal(typeof response.json.message, 'string', where);
  assert.equal(response.json.request_id, response.headers.get('x-request-id'), where);
}

test('every route but ping, login, logout and sign-up needs a valid session', async () => {
  const server = await startChatServer(1);
  const { url, seed } = server;
  try {
    const routes = server.server.router.routes.filter((route) => route.access !== 'public');
    assert.ok(routes.length >= 15);
    for (const route of routes) {
      const path = route.template.replace(/\{(\w+)\}/g, () => seed.teamId);
      const anonymous = await call(url, route.method, path, { body: {} });
      assertError(anonymous, 401, /session_expired/, `${route.key} without a token`);
      const forged = await call(url, route.method, path, { token: 'x'.repeat(26), body: {} });
      assertError(forged, 401, /session_expired/, `${route.key} with an unknown token`);
    }

    // Logout revokes the token for good.
    const token = await loginUser(server, 0);
    assert.equal((await call(url, 'GET', '/api/v4/users/me', { token })).status, 200);
    await call(url, 'POST', '/api/v4/users/logout', { token });
    assertError(
      await call(url, 'GET', '/api/v4/users/me', { token }),
      401,
      /session_expired/,
      'after logout',
    );

    const wrong = await call(url, 'POST', '/api/v4/users/login', {
      body: { login_id: 'user-0', password: 'nope-nope' },
    });
    assertError(wrong, 401, /invalid_credentials/, 'a wrong password');
  } finally {
    await server.close();
  }
});

test('only members use a private channel, and only admins use admin routes', async () => {
  const server = await startChatServer(3);
  const { url, seed } = server;
  try {
    const owner = await loginUser(server, 0);
    const outsider = await loginUser(server, 1);
    const created = await call(url, 'POST', '/api/v4/channels', {
      token: owner,
      body: { team_id: seed.teamId, name: 'inner-circle', display_name: 'Inner', type: 'P' },
    });
    assert.equal(created.status, 201);
    const channelId = created.json.id;

    const read = await call(url, 'GET', `/api/v4/channels/${channelId}/posts`, { token: outsider });
    assertError(read, 403, /permissions/, 'a non-member reading');
    const post = await call(url, 'POST', '/api/v4/posts', {
      token: outsider,
      body: { channel_id: channelId, message: 'let me in' },
    });
    assertError(post, 403, /permissions/, 'a non-member posting');
    const join = await call(url, 'POST', `/api/v4/channels/${channelId}/members`, {
      token: outsider,
      body: { user_id: (await call(url, 'GET', '/api/v4/users/me', { token: outsider })).json.id },
    });
    assertError(join, 403, /permissions/, 'a non-member joining a private channel');

    const faults = await call(url, 'GET', '/api/v4/chatload/faults', { token: outsider });
    assertError(faults, 403, /permissions/, 'a user on an admin route');
    const switched = await call(url, 'PUT', '/api/v4/chatload/faults', {
      token: outsider,
      body: [],
    });
    assertError(switched, 403, /permissions/, 'a user switching faults');
    const admin = await loginAdmin(server);
    assert.equal((await call(url, 'GET', '/api/v4/chatload/faults', { token: admin })).status, 200);

    // Closed sign-up: a second account needs an admin.
    const signup = await call(url, 'POST', '/api/v4/users', {
      body: { username: 'walk-in', email: 'walk-in@chatload.test', password: 'long-enough' },
    });
    assertError(signup, 403, /no_open_server/, 'sign-up on a closed server');
  } finally {
    await server.close();
  }
});

test('bad bodies get 400 with the error body, naming the field and the value found', async () => {
  const server = await startChatServer(1);
  const { url, seed } = server;
  try {
    const token = await loginUser(server, 0);
    const channelId = seed.channels['town-square'];
    const cases: Array<[string, string, { body?: unknown; rawBody?: string }, RegExp]> = [
      ['POST', '/api/v4/posts', { rawBody: '{"channel_id": ' }, /not valid JSON/],
      ['POST', '/api/v4/posts', { body: [] }, /body: expected a JSON object/],
      ['POST', '/api/v4/posts', { body: { channel_id: 42, message: 'x' } }, /channel_id.*found 42/],
      ['POST', '/api/v4/posts', { body: { channel_id: channelId, message: 7 } }, /message/],
      [
        'POST',
        '/api/v4/posts',
        { body: { channel_id: channelId, message: 'x'.repeat(16384) } },
        /16383/,
      ],
      [
        'POST',
        '/api/v4/posts',
        { rawBody: JSON.stringify({ message: 'x'.repeat(1_100_000) }) },
        /1 MiB/,
      ],
      [
        'POST',
        '/api/v4/reactions',
        { body: { user_id: 'a', post_id: 'b', emoji_name: ':x:' } },
        /user_id/,
      ],
      [
        'POST',
        '/api/v4/teams',
        { body: { name: 'Bad Name!', display_name: 'x', type: 'O' } },
        /name/,
      ],
      ['POST', '/api/v4/users/status/ids', { body: [] }, /list of 1-1000 ids/],
      ['POST', '/api/v4/channels/direct', { body: ['only-one'] }, /26-character id/],
      ['POST', `/api/v4/teams/${seed.teamId}/posts/search`, { body: { terms: '   ' } }, /terms/],
      ['GET', `/api/v4/channels/${channelId}/posts?since=yesterday`, {}, /since.*yesterday/],
    ];
    for (const [method, path, options, message] of cases) {
      const response = await call(url, method, path, { token, ...options });
      assertError(response, 400, /invalid_(body|url)_param/, `${method} ${path}`);
      assert.match(response.json.message, message, `${method} ${path}: ${response.json.message}`);
    }
  } finally {
    await server.close();
  }
});

test('garbage requests do not crash the server or change what it stores', async () => {
  const server = await startChatServer(1);
  const { url, seed } = server;
  try {
    const token = await loginUser(server, 0);
    const channelId = seed.channels['town-square'];
    await call(url, 'POST', '/api/v4/posts', {
      token,
      body: { channel_id: channelId, message: 'keep me' },
    });
    const before = await call(url, 'GET', `/api/v4/channels/${channelId}/posts`, { token });

    const garbage = [
      'null',
      '"text"',
      '[[[[',
      '{"channel_id":{"$gt":""},"message":"x"}',
      '\u0000\u0001',
      '{"channel_id":"' + channelId + '","message":"x","root_id":"zzzzzzzzzzzzzzzzzzzzzzzzzz"}',
      '{"channel_id":"' + channelId + '","message":"x","props":[1]}',
    ];
    for (const rawBody of garbage) {
      const response = await call(url, 'POST', '/api/v4/posts', { token, rawBody });
      assert.equal(response.status, 400, rawBody);
    }
    for (const path of [
      '/api/v4/users/%E0%A4%A',
      '/api/v4/channels/%00/posts',
      '/../../etc/passwd',
    ]) {
      const response = await call(url, 'GET', path, { token });
      assert.ok([400, 403, 404].includes(response.status), `${path}: ${response.status}`);
    }
    await truncatedRequest(url);

    const after = await call(url, 'GET', `/api/v4/channels/${channelId}/posts`, { token });
    assert.deepEqual(after.json, before.json, 'nothing was written by the bad requests');
    assert.equal((await call(url, 'GET', '/api/v4/system/ping')).status, 200, 'still serving');
  } finally {
    await server.close();
  }
});

/** Announces a 100-byte body, sends 2 bytes of it, and hangs up. */
function truncatedRequest(url: string): Promise<void> {
  return new Promise((resolve) => {
    const { hostname, port } = new URL(url);
    const headers = { 'content-length': 100 };
    const client = request({
      host: hostname,
      port,
      method: 'POST',
      path: '/api/v4/posts',
      headers,
    });
    client.on('error', () => resolve());
    client.write('{"');
    setTimeout(() => {
      client.destroy();
      resolve();
    }, 100);
  });
}
