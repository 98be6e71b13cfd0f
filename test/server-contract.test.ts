// Contract: every implemented endpoint answers with the status code and the response shape
// of the Mattermost OpenAPI files in ../shared (required fields present, declared types
// respected), except where the server is known to differ from its spec: then the server's
// behaviour is what we follow (see the shared README, "Spec vs server differences").

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import {
  call,
  loginAdmin,
  loginUser,
  startChatServer,
  type ApiResponse,
} from './support/chat-api.js';

const SPEC_DIR = fileURLToPath(new URL('../../shared/mattermost-api/openapi/', import.meta.url));
const SPEC_FILES = [
  '00-header',
  'users',
  'status',
  'teams',
  'channels',
  'posts',
  'reactions',
  'definitions',
];
const skip = existsSync(SPEC_DIR)
  ? false
  : `the Mattermost OpenAPI files are not here (${SPEC_DIR}); they come with ../shared`;

// Where the real server answers differently from its spec (shared README, section 8).
const SERVER_STATUS: Record<string, { spec: number; server: number }> = {
  'post /api/v4/users/login': { spec: 201, server: 200 },
  'post /api/v4/users/logout': { spec: 201, server: 200 },
  'post /api/v4/reactions': { spec: 201, server: 200 },
};

type Schema = Record<string, any>;

function loadSpec(): Schema {
  const text = SPEC_FILES.map((name) => readFileSync(`${SPEC_DIR}${name}.yaml`, 'utf8')).join('\n');
  return parse(text) as Schema;
}

function resolve(spec: Schema, node: Schema): Schema {
  let current = node;
  while (current.$ref !== undefined) {
    const path = (current.$ref as string).replace(/^#\//, '').split('/');
    current = path.reduce((at: Schema, key) => at[key], spec);
  }
  return current;
}

/** Checks a value against a schema; returns how many fields were checked, throws on a miss. */
function conform(
  spec: Schema,
  schemaNode: Schema,
  value: unknown,
  where: string,
  depth = 0,
): number {
  const schema = resolve(spec, schemaNode);
  // The Go server sends null for unset pointer fields; the spec does not mark them nullable.
  if (value === null || depth > 4) return 0;
  const type = schema.type as string | undefined;
  const typeOk: Record<string, (v: unknown) => boolean> = {
    string: (v) => typeof v === 'string',
    integer: (v) => Number.isInteger(v),
    number: (v) => typeof v === 'number',
    boolean: (v) => typeof v === 'boolean',
    array: (v) => Array.isArray(v),
    object: (v) => typeof v === 'object' && !Array.isArray(v),
  };
  if (type !== undefined)
    assert.ok(typeOk[type]?.(value), `${where}: expected ${type}, found ${JSON.stringify(value)}`);
  let checked = 1;
  if (type === 'array' && schema.items !== undefined) {
    for (const [index, item] of (value as unknown[]).slice(0, 3).entries()) {
      checked += conform(spec, schema.items, item, `${where}[${index}]`, depth + 1);
    }
  }
  if (typeof value === 'object' && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    for (const field of (schema.required as string[] | undefined) ?? []) {
      assert.ok(field in record, `${where}: required field ${field} is missing`);
    }
    for (const [field, fieldSchema] of Object.entries((schema.properties ?? {}) as Schema)) {
      if (field in record)
        checked += conform(spec, fieldSchema, record[field], `${where}.${field}`, depth + 1);
    }
    if (typeof schema.additionalProperties === 'object') {
      for (const [key, item] of Object.entries(record).slice(0, 3)) {
        checked += conform(spec, schema.additionalProperties, item, `${where}.${key}`, depth + 1);
      }
    }
  }
  return checked;
}

function checkResponse(
  spec: Schema,
  method: string,
  template: string,
  response: ApiResponse,
): void {
  const key = `${method} ${template}`;
  const operation = spec.paths[template]?.[method];
  assert.ok(operation, `${key} is not in the spec`);
  const difference = SERVER_STATUS[key];
  const specStatus = difference?.server === response.status ? difference.spec : response.status;
  const entry = operation.responses[String(specStatus)];
  assert.ok(entry, `${key}: status ${response.status} is not a documented response`);
  const schema = resolve(spec, entry).content?.['application/json']?.schema;
  if (schema === undefined) return;
  const checked = conform(spec, schema, response.json, key);
  assert.ok(checked > 1 || Array.isArray(response.json), `${key}: no field was checked`);
}

test(
  'each endpoint answers with the status and shape of the Mattermost spec',
  { skip },
  async () => {
    const spec = loadSpec();
    const server = await startChatServer(3);
    const { url } = server;
    const checks: Array<[string, string, ApiResponse]> = [];
    const check = (method: string, template: string, response: ApiResponse) =>
      checks.push([method, template, response]);

    try {
      const admin = await loginAdmin(server);
      const token = await loginUser(server, 0);
      const me = await call(url, 'GET', '/api/v4/users/me', { token });
      check('get', '/api/v4/users/{user_id}', me);
      const other = await call(url, 'GET', `/api/v4/users/me`, {
        token: await loginUser(server, 1),
      });

      const teamId = server.seed.teamId;
      const channelId = server.seed.channels['town-square'];
      check(
        'post',
        '/api/v4/users/login',
        await call(url, 'POST', '/api/v4/users/login', {
          body: { login_id: 'user-2', password: server.seed.userPassword },
        }),
      );
      check(
        'post',
        '/api/v4/users',
        await call(url, 'POST', '/api/v4/users', {
          token: admin,
          body: { username: 'newbie', email: 'newbie@chatload.test', password: 'long-enough-1' },
        }),
      );
      const team = await call(url, 'POST', '/api/v4/teams', {
        token,
        body: { name: 'red-team', display_name: 'Red', type: 'O' },
      });
      check('post', '/api/v4/teams', team);
      check(
        'post',
        '/api/v4/teams/{team_id}/members',
        await call(url, 'POST', `/api/v4/teams/${team.json.id}/members`, {
          token,
          body: { team_id: team.json.id, user_id: other.json.id },
        }),
      );
      check(
        'get',
        '/api/v4/users/{user_id}/teams',
        await call(url, 'GET', '/api/v4/users/me/teams', { token }),
      );
      const channel = await call(url, 'POST', '/api/v4/channels', {
        token,
        body: { team_id: teamId, name: 'secret', display_name: 'Secret', type: 'P' },
      });
      check('post', '/api/v4/channels', channel);
      check(
        'post',
        '/api/v4/channels/{channel_id}/members',
        await call(url, 'POST', `/api/v4/channels/${channel.json.id}/members`, {
          token,
          body: { user_id: other.json.id },
        }),
      );
      check(
        'post',
        '/api/v4/channels/direct',
        await call(url, 'POST', '/api/v4/channels/direct', {
          token,
          body: [me.json.id, other.json.id],
        }),
      );
      check(
        'get',
        '/api/v4/users/{user_id}/teams/{team_id}/channels',
        await call(url, 'GET', `/api/v4/users/me/teams/${teamId}/channels`, { token }),
      );
      check(
        'get',
        '/api/v4/users/{user_id}/teams/{team_id}/channels/members',
        await call(url, 'GET', `/api/v4/users/me/teams/${teamId}/channels/members`, { token }),
      );

      const post = await call(url, 'POST', '/api/v4/posts', {
        token,
        body: { channel_id: channelId, message: 'find me' },
      });
      check('post', '/api/v4/posts', post);
      await call(url, 'POST', '/api/v4/posts', {
        token,
        body: { channel_id: channelId, message: 'a reply', root_id: post.json.id },
      });
      check(
        'post',
        '/api/v4/reactions',
        await call(url, 'POST', '/api/v4/reactions', {
          token,
          body: { user_id: me.json.id, post_id: post.json.id, emoji_name: '+1' },
        }),
      );
      check(
        'get',
        '/api/v4/channels/{channel_id}/posts',
        await call(url, 'GET', `/api/v4/channels/${channelId}/posts?page=0&per_page=10`, { token }),
      );
      check(
        'get',
        '/api/v4/posts/{post_id}/thread',
        await call(url, 'GET', `/api/v4/posts/${post.json.id}/thread`, { token }),
      );
      check(
        'post',
        '/api/v4/teams/{team_id}/posts/search',
        await call(url, 'POST', `/api/v4/teams/${teamId}/posts/search`, {
          token,
          body: { terms: 'find' },
        }),
      );
      check(
        'post',
        '/api/v4/channels/members/{user_id}/view',
        await call(url, 'POST', '/api/v4/channels/members/me/view', {
          token,
          body: { channel_id: channelId },
        }),
      );
      check(
        'post',
        '/api/v4/users/status/ids',
        await call(url, 'POST', '/api/v4/users/status/ids', { token, body: [me.json.id] }),
      );
      // Ping is not in the spec files copied here; it must answer without a session.
      const ping = await call(url, 'GET', '/api/v4/system/ping');
      assert.deepEqual([ping.status, ping.json.status], [200, 'OK']);
      // Error bodies follow the AppError schema too.
      check(
        'post',
        '/api/v4/posts',
        await call(url, 'POST', '/api/v4/posts', { token, body: { channel_id: 'nope' } }),
      );
      check(
        'post',
        '/api/v4/users/logout',
        await call(url, 'POST', '/api/v4/users/logout', { token }),
      );

      for (const [method, template, response] of checks)
        checkResponse(spec, method, template, response);
      assert.equal(checks.length, 20);
    } finally {
      await server.close();
    }
  },
);

test('the server-vs-spec differences follow the server', { skip }, async () => {
  const server = await startChatServer(1);
  try {
    const loginResponse = await call(server.url, 'POST', '/api/v4/users/login', {
      body: { login_id: 'user-0', password: server.seed.userPassword },
    });
    assert.equal(loginResponse.status, 200, 'login answers 200 (spec: 201)');
    assert.match(loginResponse.headers.get('token') ?? '', /^[a-z0-9]{26}$/);
    assert.match(loginResponse.headers.get('x-request-id') ?? '', /^[a-z0-9]{26}$/);
    assert.match(loginResponse.headers.get('x-version-id') ?? '', /^[\w.-]+\.(true|false)$/);
    const token = loginResponse.headers.get('token')!;

    const channelId = server.seed.channels['off-topic'];
    const post = await call(server.url, 'POST', '/api/v4/posts', {
      token,
      body: { channel_id: channelId, message: 'x' },
    });
    assert.ok(
      'hashtags' in post.json && !('hashtag' in post.json),
      'posts carry hashtags (spec: hashtag)',
    );
    const reaction = await call(server.url, 'POST', '/api/v4/reactions', {
      token,
      body: { user_id: loginResponse.json.id, post_id: post.json.id, emoji_name: 'smile' },
    });
    assert.equal(reaction.status, 200, 'save reaction answers 200 (spec: 201)');

    const bad = await call(server.url, 'POST', '/api/v4/posts', { token, body: {} });
    assert.equal(bad.json.detailed_error, '', 'error bodies have detailed_error');
    assert.ok(!('is_oauth' in bad.json), 'and no is_oauth');
    assert.equal(bad.json.request_id, bad.headers.get('x-request-id'));
    const logout = await call(server.url, 'POST', '/api/v4/users/logout', { token });
    assert.deepEqual([logout.status, logout.json], [200, { status: 'OK' }], 'logout answers 200');
  } finally {
    await server.close();
  }
});
