// What every handler works with: the store, the WebSocket hub, the server's settings and
// the access checks shared by several routes.

import { ApiError, forbidden, notFound } from './errors.js';
import { isAdmin } from './auth.js';
import type { ChannelRow, TeamRow, UserRow } from './models.js';
import type { Store } from './store.js';
import type { Hub } from './websocket.js';

export interface ServerSettings {
  /** Anyone may sign up (Mattermost's "Open Server"); off by default, as upstream. */
  openSignup: boolean;
  /** The version reported in `X-Version-Id` and the WebSocket `hello`. */
  version: string;
}

export interface App {
  store: Store;
  hub: Hub;
  settings: ServerSettings;
}

export function requireTeamMember(app: App, team: TeamRow, user: UserRow): string {
  const roles = app.store.teamRoles(team.id, user.id);
  if (roles === undefined && !isAdmin(user.roles)) forbiddenBy('view this team');
  return roles ?? '';
}

export function teamOrFail(app: App, teamId: string): TeamRow {
  const team = app.store.teamById(teamId);
  if (team === undefined || team.delete_at !== 0) throw notFound('team', teamId);
  return team;
}

export function channelOrFail(app: App, channelId: string): ChannelRow {
  const channel = app.store.channelById(channelId);
  if (channel === undefined || channel.delete_at !== 0) throw notFound('channel', channelId);
  return channel;
}

/**
 * Read access: members of the channel; for a public channel also members of its team, as in
 * Mattermost, where public channels can be read before joining.
 */
export function requireChannelRead(app: App, channel: ChannelRow, user: UserRow): void {
  if (app.store.channelMember(channel.id, user.id) !== undefined) return;
  if (channel.type === 'O' && app.store.teamRoles(channel.team_id, user.id) !== undefined) return;
  forbiddenBy('read this channel');
}

/** Write access (posting, reacting, typing): channel members only. */
export function requireChannelMember(app: App, channel: ChannelRow, user: UserRow): void {
  if (app.store.channelMember(channel.id, user.id) === undefined) {
    forbiddenBy('post in this channel');
  }
}

export function forbiddenBy(what: string): never {
  throw forbidden(what);
}

export function ok(body: unknown, status = 200) {
  return { status, body };
}

export const statusOk = () => ok({ status: 'OK' });

export function conflict(id: string, message: string): ApiError {
  return new ApiError(400, id, message);
}
