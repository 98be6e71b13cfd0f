// Seeding: an admin, N users, one team and its channels, everyone a member of everything,
// so that a scenario can log in as `user-{{ user.index }}` and start chatting at once.
//
// Names (documented in the README and in the seed info the server reports):
//   admin `admin` / `chatload-admin`; users `user-0` … `user-(N-1)` / `chatload-pass`,
//   emails `<username>@chatload.test`; team `chatload`; channels `town-square`, `off-topic`.

import { hashPassword } from './auth.js';
import { newId } from './ids.js';
import type { UserRow } from './models.js';
import { newChannel } from './routes-channels.js';
import type { Store } from './store.js';

export const SEED = {
  adminUsername: 'admin',
  adminPassword: 'chatload-admin',
  userPrefix: 'user-',
  userPassword: 'chatload-pass',
  teamName: 'chatload',
  channelNames: ['town-square', 'off-topic'],
} as const;

export interface SeedInfo {
  adminUsername: string;
  adminPassword: string;
  /** Users are `${userPrefix}0` … `${userPrefix}${users - 1}`. */
  userPrefix: string;
  users: number;
  userPassword: string;
  teamName: string;
  teamId: string;
  /** Channel name → id. */
  channels: Record<string, string>;
  /** Session tokens of user-0 … in order, when asked for (benchmarks skip N logins). */
  tokens?: string[];
  adminToken?: string;
}

/** Seeds the store; idempotent, so a restart with the same --db file adds only what lacks. */
export async function seed(
  store: Store,
  options: { users: number; sessions?: boolean },
): Promise<SeedInfo> {
  // Every seeded user shares one password, so one hash serves them all: hashing is
  // deliberately slow, and thousands of users would otherwise take minutes to seed.
  const userHash = await hashPassword(SEED.userPassword);
  const adminHash = await hashPassword(SEED.adminPassword);
  const now = Date.now();

  const info = store.db.transaction(() => {
    const admin = ensureUser(store, SEED.adminUsername, adminHash, 'system_admin system_user', now);
    const team = ensureTeam(store, now);
    store.addTeamMember(team, admin.id, 'team_user team_admin', now);
    const channels: Record<string, string> = {};
    for (const name of SEED.channelNames) {
      channels[name] = ensureChannel(store, team, name, admin.id);
      store.addChannelMember(channels[name], admin.id, 'channel_user channel_admin', now);
    }

    const userIds: string[] = [];
    for (let index = 0; index < options.users; index++) {
      const user = ensureUser(store, SEED.userPrefix + index, userHash, 'system_user', now);
      store.addTeamMember(team, user.id, 'team_user', now);
      for (const channelId of Object.values(channels)) {
        store.addChannelMember(channelId, user.id, 'channel_user', now);
      }
      userIds.push(user.id);
    }
    const { channelNames: _names, ...names } = SEED;
    const result: SeedInfo = { ...names, users: options.users, teamId: team, channels };
    if (options.sessions) {
      result.tokens = userIds.map((id) => newSession(store, id, now));
      result.adminToken = newSession(store, admin.id, now);
    }
    return result;
  })();
  return info;
}

function ensureUser(store: Store, username: string, hash: string, roles: string, now: number) {
  const existing = store.userByLogin(username);
  if (existing !== undefined) return existing;
  const row: UserRow = {
    id: newId(),
    create_at: now,
    update_at: now,
    delete_at: 0,
    username,
    email: `${username}@chatload.test`,
    password: hash,
    first_name: '',
    last_name: '',
    nickname: '',
    position: '',
    roles,
    locale: 'en',
    last_password_update: now,
  };
  store.insertUser(row);
  return row;
}

function ensureTeam(store: Store, now: number): string {
  const existing = store.teamByName(SEED.teamName);
  if (existing !== undefined) return existing.id;
  const id = newId();
  store.insertTeam({
    id,
    create_at: now,
    update_at: now,
    delete_at: 0,
    name: SEED.teamName,
    display_name: 'chatload',
    description: 'seeded by chatload',
    type: 'O',
    allow_open_invite: 1,
    invite_id: newId(),
  });
  return id;
}

function ensureChannel(store: Store, teamId: string, name: string, creatorId: string): string {
  const existing = store.channelByName(teamId, name);
  if (existing !== undefined) return existing.id;
  const displayName = name.replace(/-/g, ' ').replace(/\b\w/g, (c) => c.toUpperCase());
  const row = newChannel(teamId, 'O', name, creatorId, { display_name: displayName });
  store.insertChannel(row);
  return row.id;
}

function newSession(store: Store, userId: string, now: number): string {
  const token = newId();
  store.insertSession(token, userId, now);
  return token;
}
