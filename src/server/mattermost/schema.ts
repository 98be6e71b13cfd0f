// The SQLite schema, as a list of migrations. `schema_version` records how many have run,
// so a database file made by an older chatload is brought up to date on open, and one made
// by a newer chatload is refused instead of being misread.

import type Database from 'better-sqlite3';

const MIGRATIONS: string[] = [
  `
  CREATE TABLE users (
    id TEXT PRIMARY KEY,
    create_at INTEGER NOT NULL,
    update_at INTEGER NOT NULL,
    delete_at INTEGER NOT NULL DEFAULT 0,
    username TEXT NOT NULL UNIQUE,
    email TEXT NOT NULL UNIQUE,
    password TEXT NOT NULL,
    first_name TEXT NOT NULL DEFAULT '',
    last_name TEXT NOT NULL DEFAULT '',
    nickname TEXT NOT NULL DEFAULT '',
    position TEXT NOT NULL DEFAULT '',
    roles TEXT NOT NULL,
    locale TEXT NOT NULL DEFAULT 'en',
    last_password_update INTEGER NOT NULL
  );
  CREATE TABLE sessions (
    token TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    create_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  );
  CREATE INDEX sessions_user ON sessions(user_id);
  CREATE TABLE teams (
    id TEXT PRIMARY KEY,
    create_at INTEGER NOT NULL,
    update_at INTEGER NOT NULL,
    delete_at INTEGER NOT NULL DEFAULT 0,
    name TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    type TEXT NOT NULL,
    allow_open_invite INTEGER NOT NULL DEFAULT 0,
    invite_id TEXT NOT NULL
  );
  CREATE TABLE team_members (
    team_id TEXT NOT NULL REFERENCES teams(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    roles TEXT NOT NULL,
    create_at INTEGER NOT NULL,
    PRIMARY KEY (team_id, user_id)
  );
  CREATE INDEX team_members_user ON team_members(user_id);
  CREATE TABLE channels (
    id TEXT PRIMARY KEY,
    team_id TEXT NOT NULL,
    type TEXT NOT NULL,
    name TEXT NOT NULL,
    display_name TEXT NOT NULL,
    purpose TEXT NOT NULL DEFAULT '',
    header TEXT NOT NULL DEFAULT '',
    create_at INTEGER NOT NULL,
    update_at INTEGER NOT NULL,
    delete_at INTEGER NOT NULL DEFAULT 0,
    last_post_at INTEGER NOT NULL DEFAULT 0,
    total_msg_count INTEGER NOT NULL DEFAULT 0,
    creator_id TEXT NOT NULL,
    UNIQUE (team_id, name)
  );
  CREATE TABLE channel_members (
    channel_id TEXT NOT NULL REFERENCES channels(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    roles TEXT NOT NULL,
    last_viewed_at INTEGER NOT NULL DEFAULT 0,
    msg_count INTEGER NOT NULL DEFAULT 0,
    mention_count INTEGER NOT NULL DEFAULT 0,
    last_update_at INTEGER NOT NULL,
    PRIMARY KEY (channel_id, user_id)
  );
  CREATE INDEX channel_members_user ON channel_members(user_id);
  CREATE TABLE posts (
    id TEXT PRIMARY KEY,
    channel_id TEXT NOT NULL REFERENCES channels(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    root_id TEXT NOT NULL DEFAULT '',
    message TEXT NOT NULL,
    type TEXT NOT NULL DEFAULT '',
    props TEXT NOT NULL DEFAULT '{}',
    create_at INTEGER NOT NULL,
    update_at INTEGER NOT NULL,
    edit_at INTEGER NOT NULL DEFAULT 0,
    delete_at INTEGER NOT NULL DEFAULT 0,
    reply_count INTEGER NOT NULL DEFAULT 0,
    last_reply_at INTEGER NOT NULL DEFAULT 0,
    has_reactions INTEGER NOT NULL DEFAULT 0,
    pending_post_id TEXT NOT NULL DEFAULT ''
  );
  CREATE INDEX posts_channel_create ON posts(channel_id, create_at);
  CREATE INDEX posts_channel_update ON posts(channel_id, update_at);
  CREATE INDEX posts_root ON posts(root_id) WHERE root_id != '';
  CREATE TABLE reactions (
    post_id TEXT NOT NULL REFERENCES posts(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    emoji_name TEXT NOT NULL,
    channel_id TEXT NOT NULL,
    create_at INTEGER NOT NULL,
    PRIMARY KEY (post_id, user_id, emoji_name)
  );
  CREATE TABLE statuses (
    user_id TEXT PRIMARY KEY REFERENCES users(id),
    status TEXT NOT NULL,
    manual INTEGER NOT NULL DEFAULT 0,
    last_activity_at INTEGER NOT NULL
  );
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Brings the database to the current schema; returns the version it found. */
export function migrate(db: Database.Database): number {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
  const row = db.prepare('SELECT version FROM schema_version').get() as
    { version: number } | undefined;
  const found = row?.version ?? 0;
  if (found > SCHEMA_VERSION) {
    throw new Error(
      `database schema version ${found} is newer than this chatload understands ` +
        `(${SCHEMA_VERSION}); use a newer chatload or another --db file`,
    );
  }

  const apply = db.transaction(() => {
    for (let version = found; version < SCHEMA_VERSION; version++) db.exec(MIGRATIONS[version]);
    db.prepare('DELETE FROM schema_version').run();
    db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(SCHEMA_VERSION);
  });
  apply();
  return found;
}
