// Teams and channels: creating them, joining them, listing mine, and the unread state
// (`msg_count` against the channel's `total_msg_count`, `last_viewed_at`).

import type { App } from './app.js';
import {
  channelOrFail,
  conflict,
  forbiddenBy,
  ok,
  requireChannelRead,
  requireTeamMember,
  teamOrFail,
} from './app.js';
import { isAdmin } from './auth.js';
import { badParam, notFound } from './errors.js';
import { newId, isId } from './ids.js';
import {
  channelJson,
  channelMemberJson,
  teamJson,
  teamMemberJson,
  type ChannelRow,
  type TeamRow,
  type UserRow,
} from './models.js';
import type { RequestContext, Router } from './router.js';
import { asObject, id, idList, optionalBoolean, optionalText, text } from './validate.js';

const TEAM_NAME = /^[a-z0-9-]+$/;
const RESERVED_TEAM_NAMES = new Set(['admin', 'api', 'channel', 'login', 'signup', 'static']);
const CHANNEL_NAME = /^[a-z0-9_-]+$/;

export function addChannelRoutes(router: Router, app: App): void {
  router.add('POST', '/api/v4/teams', 'user', (context) => createTeam(app, context));
  router.add('POST', '/api/v4/teams/{team_id}/members', 'user', (c) => addTeamMember(app, c));
  router.add('GET', '/api/v4/users/{user_id}/teams', 'user', (context) => {
    const userId = selfOnly(context);
    return ok(app.store.teamsOfUser(userId).map(teamJson));
  });
  router.add('POST', '/api/v4/channels', 'user', (context) => createChannel(app, context));
  router.add('POST', '/api/v4/channels/direct', 'user', (c) => createDirect(app, c));
  router.add('POST', '/api/v4/channels/{channel_id}/members', 'user', (c) =>
    addChannelMembers(app, c),
  );
  router.add('GET', '/api/v4/users/{user_id}/teams/{team_id}/channels', 'user', (context) => {
    const { user, team } = mineInTeam(app, context);
    return ok(app.store.channelsOfUser(user.id, team.id).map(channelJson));
  });
  router.add('GET', '/api/v4/users/{user_id}/teams/{team_id}/channels/members', 'user', (c) => {
    const { user, team } = mineInTeam(app, c);
    return ok(app.store.membersOfUser(user.id, team.id).map(channelMemberJson));
  });
  router.add('POST', '/api/v4/channels/members/{user_id}/view', 'user', (c) => view(app, c));
}

async function createTeam(app: App, context: RequestContext) {
  const fields = asObject(await context.body());
  const name = text(fields, 'name', {
    min: 2,
    max: 64,
    pattern: TEAM_NAME,
    allowed: 'lower-case letters, digits and "-"',
  });
  if (RESERVED_TEAM_NAMES.has(name)) throw badParam('name', name, 'a name that is not reserved');
  const displayName = text(fields, 'display_name', { max: 64 });
  const type = fields.type;
  if (type !== 'O' && type !== 'I') throw badParam('type', type, '"O" (open) or "I" (invite)');
  if (app.store.teamByName(name) !== undefined) {
    throw conflict('store.sql_team.save_team.existing.app_error', 'a team with that name exists');
  }

  const now = Date.now();
  const row: TeamRow = {
    id: newId(),
    create_at: now,
    update_at: now,
    delete_at: 0,
    name,
    display_name: displayName,
    description: optionalText(fields, 'description', { max: 255 }),
    type,
    allow_open_invite: optionalBoolean(fields, 'allow_open_invite') ? 1 : 0,
    invite_id: newId(),
  };
  app.store.db.transaction(() => {
    app.store.insertTeam(row);
    app.store.addTeamMember(row.id, context.user.id, 'team_user team_admin', now);
  })();
  return ok(teamJson(row), 201);
}

async function addTeamMember(app: App, context: RequestContext) {
  const team = teamOrFail(app, context.params.team_id);
  const fields = asObject(await context.body());
  const teamId = id(fields, 'team_id');
  if (teamId !== team.id) throw badParam('team_id', teamId, `the team id of the path, ${team.id}`);
  const userId = id(fields, 'user_id');
  if (app.store.userById(userId) === undefined) throw notFound('user', userId);

  // Joining yourself needs an open team; adding someone else needs a team admin.
  const callerRoles = app.store.teamRoles(team.id, context.user.id) ?? '';
  const admin = isAdmin(context.user.roles) || callerRoles.includes('team_admin');
  const self = userId === context.user.id;
  if (!admin && !(self && team.allow_open_invite === 1)) forbiddenBy('add members to this team');

  const roles = app.store.addTeamMember(team.id, userId, 'team_user', Date.now());
  return ok(teamMemberJson(team.id, userId, roles), 201);
}

async function createChannel(app: App, context: RequestContext) {
  const fields = asObject(await context.body());
  const team = teamOrFail(app, id(fields, 'team_id'));
  requireTeamMember(app, team, context.user);
  const name = text(fields, 'name', {
    max: 64,
    pattern: CHANNEL_NAME,
    allowed: 'lower-case letters, digits, "-" and "_"',
  });
  const type = fields.type;
  if (type !== 'O' && type !== 'P') throw badParam('type', type, '"O" (public) or "P" (private)');
  if (app.store.channelByName(team.id, name) !== undefined) {
    throw conflict(
      'store.sql_channel.save_channel.exists.app_error',
      'a channel with that name exists',
    );
  }

  const row = newChannel(team.id, type, name, context.user.id, {
    display_name: text(fields, 'display_name', { max: 64 }),
    purpose: optionalText(fields, 'purpose', { max: 250 }),
    header: optionalText(fields, 'header', { max: 1024 }),
  });
  app.store.db.transaction(() => {
    app.store.insertChannel(row);
    app.store.addChannelMember(
      row.id,
      context.user.id,
      'channel_user channel_admin',
      row.create_at,
    );
  })();
  return ok(channelJson(row), 201);
}

export function newChannel(
  teamId: string,
  type: string,
  name: string,
  creatorId: string,
  texts: { display_name: string; purpose?: string; header?: string },
): ChannelRow {
  const now = Date.now();
  return {
    id: newId(),
    team_id: teamId,
    type,
    name,
    display_name: texts.display_name,
    purpose: texts.purpose ?? '',
    header: texts.header ?? '',
    create_at: now,
    update_at: now,
    delete_at: 0,
    last_post_at: now,
    total_msg_count: 0,
    creator_id: creatorId,
  };
}

async function createDirect(app: App, context: RequestContext) {
  const ids = idList(await context.body(), 'body', 2);
  if (ids.length !== 2) throw badParam('body', ids, 'a list of exactly 2 user ids');
  if (!ids.includes(context.user.id) && !isAdmin(context.user.roles)) {
    forbiddenBy('open a direct channel between other users');
  }
  for (const userId of ids) {
    if (app.store.userById(userId) === undefined) throw notFound('user', userId);
  }

  const name = [...ids].sort().join('__');
  const existing = app.store.channelByName('', name);
  if (existing !== undefined) return ok(channelJson(existing), 201);
  const row = newChannel('', 'D', name, context.user.id, { display_name: '' });
  app.store.db.transaction(() => {
    app.store.insertChannel(row);
    for (const userId of new Set(ids)) {
      app.store.addChannelMember(row.id, userId, 'channel_user', row.create_at);
    }
  })();
  return ok(channelJson(row), 201);
}

async function addChannelMembers(app: App, context: RequestContext) {
  const channel = channelOrFail(app, context.params.channel_id);
  if (channel.type === 'D') {
    throw badParam('channel_id', channel.id, 'a public or private channel, not a direct one');
  }
  const fields = asObject(await context.body());
  const single = fields.user_ids === undefined;
  const userIds = single ? [id(fields, 'user_id')] : idList(fields.user_ids, 'user_ids', 1000);

  // Anyone in the team may join a public channel; adding others needs channel membership.
  const callerIsMember = app.store.channelMember(channel.id, context.user.id) !== undefined;
  const onlySelf = userIds.every((userId) => userId === context.user.id);
  const inTeam = app.store.teamRoles(channel.team_id, context.user.id) !== undefined;
  const allowed =
    isAdmin(context.user.roles) || callerIsMember || (channel.type === 'O' && onlySelf && inTeam);
  if (!allowed) forbiddenBy('add members to this channel');
  for (const userId of userIds) {
    if (app.store.teamRoles(channel.team_id, userId) === undefined) {
      throw badParam('user_id', userId, 'a user who is a member of the channel’s team');
    }
  }

  const now = Date.now();
  const members = app.store.db.transaction(() =>
    userIds.map((userId) => app.store.addChannelMember(channel.id, userId, 'channel_user', now)),
  )();
  const json = members.map(channelMemberJson);
  return ok(single ? json[0] : json, 201);
}

async function view(app: App, context: RequestContext) {
  selfOnly(context);
  const fields = asObject(await context.body());
  const channelId = fields.channel_id;
  if (typeof channelId !== 'string') throw badParam('channel_id', channelId, 'a channel id or ""');
  optionalBoolean(fields, 'collapsed_threads_supported');
  if (channelId === '') return ok({ status: 'OK', last_viewed_at_times: {} });
  if (!isId(channelId)) throw badParam('channel_id', channelId, 'a 26-character id or ""');

  const channel = channelOrFail(app, channelId);
  requireChannelRead(app, channel, context.user);
  const now = Date.now();
  app.store.viewChannel(channel.id, context.user.id, now);
  app.hub.channelsViewed(context.user.id, { [channel.id]: now });
  return ok({ status: 'OK', last_viewed_at_times: { [channel.id]: now } });
}

/** Routes under /users/{user_id}/…: only `me` or the caller's own id (admins: anyone). */
function selfOnly(context: RequestContext): string {
  const userId = context.params.user_id === 'me' ? context.user.id : context.params.user_id;
  if (userId !== context.user.id && !isAdmin(context.user.roles)) {
    forbiddenBy("read another user's teams and channels");
  }
  return userId;
}

function mineInTeam(app: App, context: RequestContext): { user: UserRow; team: TeamRow } {
  const userId = selfOnly(context);
  const user = userId === context.user.id ? context.user : app.store.userById(userId);
  if (user === undefined) throw notFound('user', userId);
  const team = teamOrFail(app, context.params.team_id);
  requireTeamMember(app, team, user);
  return { user, team };
}
