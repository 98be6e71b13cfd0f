// Storage: with a database file the data survives a restart of the server process, and
// the schema version is recorded so that a file from a newer chatload is refused.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { launchBundledServer } from '../src/server/launch.js';
import { SCHEMA_VERSION } from '../src/server/mattermost/schema.js';
import { Store } from '../src/server/mattermost/store.js';
import { call } from './support/chat-api.js';
import { tempDir } from './support/cli.js';

test('posts, users and sessions survive a restart with a database file', async () => {
  const dbFile = join(tempDir('serve-db'), 'chat.db');
  const first = await launchBundledServer({ users: 2, dbFile, sessions: true });
  const token = first.seed.tokens![0];
  const channel = first.seed.channels['town-square'];
  let postId: string;
  try {
    const post = await call(first.url, 'POST', '/api/v4/posts', {
      token,
      body: { channel_id: channel, message: 'still here after a restart' },
    });
    assert.equal(post.status, 201);
    postId = post.json.id;
  } finally {
    await first.stop();
  }

  const second = await launchBundledServer({ users: 2, dbFile });
  try {
    assert.equal(second.seed.teamId, first.seed.teamId, 'seeding found the team it made before');
    assert.deepEqual(second.seed.channels, first.seed.channels);
    const posts = await call(second.url, 'GET', `/api/v4/channels/${channel}/posts`, { token });
    assert.equal(posts.status, 200, 'the session from before the restart is still valid');
    assert.deepEqual(posts.json.order, [postId]);
    assert.equal(posts.json.posts[postId].message, 'still here after a restart');
  } finally {
    await second.stop();
  }

  const db = new Database(dbFile, { readonly: true });
  const row = db.prepare('SELECT version FROM schema_version').get() as { version: number };
  db.close();
  assert.equal(row.version, SCHEMA_VERSION);
});

test('a database from a newer schema is refused with a clear message', () => {
  const dbFile = join(tempDir('serve-db'), 'future.db');
  new Store(dbFile).close();
  const db = new Database(dbFile);
  db.prepare('UPDATE schema_version SET version = ?').run(SCHEMA_VERSION + 1);
  db.close();
  assert.throws(() => new Store(dbFile), /schema version \d+ is newer than this chatload/);
});
