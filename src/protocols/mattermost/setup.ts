// Setup before measuring: creates (or finds and reuses, by name) the team, users, channels
// and memberships a chat scenario needs, through the API with an admin account. It is not
// part of the measured run: its time and failures are reported on their own.

import { request } from 'undici';
import type { ChatSetup } from '../../scenario/types.js';
import { channelPlan, membershipsOf } from './user-model.js';

export interface AdminCredentials {
  user?: string;
  password?: string;
  token?: string;
}

export interface SetupReport {
  durationMs: number;
  created: { teams: number; users: number; channels: number };
  reused: { teams: number; users: number; channels: number };
  failures: string[];
}

export interface SetupResult {
  report: SetupReport;
  teamId: string;
  /** Channel id → indexes of the simulated users who are members. */
  members: Map<string, number[]>;
  /** Channel name (without prefix, such as `large-0`) → id. */
  channelIds: Map<string, string>;
  userIds: string[];
}

const MEMBER_BATCH = 1000; // the API's limit for `user_ids`

// Creating a user hashes its password on the server: a few calls at once use the server's
// cores without flooding it (setup is not measured, only waited for).
const SETUP_CONCURRENCY = 8;

/** Runs `work` over `items` with at most `limit` calls in flight; stops at the first error. */
async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export class SetupError extends Error {}

export async function runSetup(
  target: string,
  setup: ChatSetup,
  users: number,
  admin: AdminCredentials,
): Promise<SetupResult> {
  const startedAt = performance.now();
  const report: SetupReport = {
    durationMs: 0,
    created: { teams: 0, users: 0, channels: 0 },
    reused: { teams: 0, users: 0, channels: 0 },
    failures: [],
  };
  const api = new AdminApi(target, await adminToken(target, admin));

  const teamId = await ensureTeam(api, `${setup.prefix}-team-0`, report);
  const userIds = await ensureUsers(api, setup, users, report);
  await eachLimited(userIds, SETUP_CONCURRENCY, (userId) =>
    api.call('POST', `/teams/${teamId}/members`, { team_id: teamId, user_id: userId }),
  );

  const plan = channelPlan(users, setup.channels);
  const created = new Set<string>();
  const channelIds = await ensureChannels(api, teamId, setup.prefix, plan, report, created);
  const members = new Map<string, number[]>();
  for (let index = 0; index < users; index++) {
    for (const { size, number } of membershipsOf(index, plan)) {
      const id = channelIds.get(`${size}-${number}`)!;
      if (!members.has(id)) members.set(id, []);
      members.get(id)!.push(index);
    }
  }
  for (const [channelId, indexes] of members) {
    for (let i = 0; i < indexes.length; i += MEMBER_BATCH) {
      const ids = indexes.slice(i, i + MEMBER_BATCH).map((index) => userIds[index]);
      await api.call('POST', `/channels/${channelId}/members`, { user_ids: ids });
    }
  }
  // Only new channels get seed posts, so that reusing a setup creates nothing.
  await seedPosts(api, created, setup.seedPosts);

  report.durationMs = Math.round(performance.now() - startedAt);
  return { report, teamId, members, channelIds, userIds };
}

class AdminApi {
  constructor(
    readonly target: string,
    readonly token: string,
  ) {}

  /** Calls the API; throws SetupError on an unexpected status. */
  async call(method: 'GET' | 'POST', path: string, body?: unknown, allowed: number[] = []) {
    const response = await request(new URL(`/api/v4${path}`, this.target), {
      method,
      headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.body.text();
    const json = text ? JSON.parse(text) : undefined;
    const answer = { status: response.statusCode, json };
    if (answer.status >= 400 && !allowed.includes(answer.status)) {
      throw refused(method, path, answer);
    }
    return answer;
  }
}

async function adminToken(target: string, admin: AdminCredentials): Promise<string> {
  if (admin.token) return admin.token;
  if (!admin.user || !admin.password) {
    throw new SetupError(
      'setup needs an admin account: pass --admin-user and --admin-password, or --admin-token',
    );
  }
  const response = await request(new URL('/api/v4/users/login', target), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login_id: admin.user, password: admin.password }),
  });
  await response.body.dump();
  const token = response.headers.token;
  if (response.statusCode !== 200 || typeof token !== 'string') {
    throw new SetupError(
      `setup: the admin login as "${admin.user}" answered ${response.statusCode}`,
    );
  }
  return token;
}

async function ensureTeam(api: AdminApi, name: string, report: SetupReport): Promise<string> {
  const findTeam = async () => {
    const mine = (await api.call('GET', '/users/me/teams')).json as { id: string; name: string }[];
    return mine.find((team) => team.name === name)?.id;
  };
  const existing = await findTeam();
  if (existing !== undefined) {
    report.reused.teams++;
    return existing;
  }
  const body = { name, display_name: name, type: 'O', allow_open_invite: true };
  const team = await createOrFind(api, '/teams', body, findTeam);
  report[team.created ? 'created' : 'reused'].teams++;
  return team.id;
}

/**
 * Creates a team or channel, or, when the server refuses because the name is taken, finds
 * the one that another shard's setup (with the same admin) made a moment ago.
 */
async function createOrFind(
  api: AdminApi,
  path: string,
  body: unknown,
  findAgain: () => Promise<string | undefined>,
): Promise<{ id: string; created: boolean }> {
  const answer = await api.call('POST', path, body, [400]);
  if (answer.status < 400) return { id: answer.json.id as string, created: true };
  const id = await findAgain();
  if (id === undefined) throw refused('POST', path, answer);
  return { id, created: false };
}

function refused(method: string, path: string, answer: { status: number; json: unknown }) {
  const id = (answer.json as { id?: string } | undefined)?.id;
  return new SetupError(
    `setup: ${method} ${path} answered ${answer.status}${id ? ` (${id})` : ''}`,
  );
}

async function ensureUsers(api: AdminApi, setup: ChatSetup, users: number, report: SetupReport) {
  const names = Array.from({ length: users }, (_, i) => `${setup.prefix}-user-${i}`);
  const ids: string[] = new Array(users);
  await eachLimited(names, SETUP_CONCURRENCY, async (username, i) => {
    const body = { username, email: `${username}@chatload.test`, password: setup.password };
    const created = await api.call('POST', '/users', body, [400]);
    if (created.status === 201) {
      ids[i] = created.json.id;
      report.created.users++;
    }
  });

  const missing = names.filter((_, i) => ids[i] === undefined);
  for (let i = 0; i < missing.length; i += 100) {
    const found = await api.call('POST', '/users/usernames', missing.slice(i, i + 100));
    for (const user of found.json as { id: string; username: string }[]) {
      ids[names.indexOf(user.username)] = user.id;
      report.reused.users++;
    }
  }
  const absent = names.filter((_, i) => ids[i] === undefined);
  if (absent.length > 0) {
    throw new SetupError(`setup: could neither create nor find users ${absent.slice(0, 5)}`);
  }
  return ids;
}

async function ensureChannels(
  api: AdminApi,
  teamId: string,
  prefix: string,
  plan: ReturnType<typeof channelPlan>,
  report: SetupReport,
  created: Set<string>,
): Promise<Map<string, string>> {
  const path = `/users/me/teams/${teamId}/channels`;
  const channelsByName = async () => {
    const mine = (await api.call('GET', path)).json as { id: string; name: string }[];
    return new Map(mine.map((channel) => [channel.name, channel.id]));
  };
  let byName = await channelsByName();
  const ids = new Map<string, string>();

  for (const size of ['large', 'medium', 'small'] as const) {
    for (let n = 0; n < plan[size]; n++) {
      const name = `${prefix}-${size}-${n}`;
      let id = byName.get(name);
      if (id === undefined) {
        const body = { team_id: teamId, name, display_name: name, type: 'O' };
        const channel = await createOrFind(api, '/channels', body, async () => {
          byName = await channelsByName();
          return byName.get(name);
        });
        id = channel.id;
        if (channel.created) created.add(id);
        report[channel.created ? 'created' : 'reused'].channels++;
      } else {
        report.reused.channels++;
      }
      ids.set(`${size}-${n}`, id);
    }
  }
  return ids;
}

async function seedPosts(api: AdminApi, channelIds: Set<string>, perChannel: number) {
  for (const channelId of channelIds) {
    for (let i = 0; i < perChannel; i++) {
      await api.call('POST', '/posts', { channel_id: channelId, message: `seed post ${i + 1}` });
    }
  }
}
