// Posts, threads, reactions and search. A new post or reaction is fanned out over the
// WebSocket to the channel's members.

import type { App } from './app.js';
import {
  channelOrFail,
  ok,
  requireChannelMember,
  requireChannelRead,
  requireTeamMember,
  teamOrFail,
} from './app.js';
import { isAdmin } from './auth.js';
import { ApiError, badParam, badUrlParam, forbidden, notFound } from './errors.js';
import { isId, newId } from './ids.js';
import { postJson, reactionJson, type PostRow, type ReactionRow } from './models.js';
import type { RequestContext, Router } from './router.js';
import { asObject, id, optionalId, optionalBoolean, paging, text } from './validate.js';

const MAX_MESSAGE_RUNES = 16383;
const SINCE_LIMIT = 1000;
const PENDING_DEDUP_MS = 30_000;
const EMOJI_NAME = /^[A-Za-z0-9_+-]+$/;

export function addPostRoutes(router: Router, app: App): void {
  router.add('GET', '/api/v4/channels/{channel_id}/posts', 'user', (c) => channelPosts(app, c));
  router.add('POST', '/api/v4/posts', 'user', (context) => createPost(app, context));
  router.add('GET', '/api/v4/posts/{post_id}/thread', 'user', (context) => {
    const root = visiblePost(app, context, context.params.post_id);
    const rootId = root.root_id === '' ? root.id : root.root_id;
    return ok(postList(app, app.store.thread(rootId)));
  });
  router.add('POST', '/api/v4/reactions', 'user', (context) => addReaction(app, context));
  router.add('POST', '/api/v4/teams/{team_id}/posts/search', 'user', (c) => search(app, c));
}

function channelPosts(app: App, context: RequestContext) {
  const channel = channelOrFail(app, context.params.channel_id);
  requireChannelRead(app, channel, context.user);
  const { query } = context;
  if (query.get('include_deleted') === 'true' && !isAdmin(context.user.roles)) {
    throw forbidden('read deleted posts');
  }

  const since = query.get('since');
  if (since !== null) {
    const sinceMs = Number(since);
    if (!Number.isInteger(sinceMs) || sinceMs < 0) {
      throw badUrlParam('since', since, 'a time in Unix milliseconds');
    }
    return ok(postList(app, app.store.postsSince(channel.id, sinceMs, SINCE_LIMIT)));
  }

  const { page, perPage } = paging(query);
  for (const direction of ['before', 'after'] as const) {
    const anchor = query.get(direction);
    if (anchor === null || anchor === '') continue;
    if (!isId(anchor)) throw badUrlParam(direction, anchor, 'a 26-character post id');
    const rows = app.store.postsBeside(channel.id, anchor, direction, perPage, page * perPage);
    return ok(postList(app, rows));
  }
  const rows = app.store.postsPage(channel.id, perPage + 1, page * perPage);
  const hasMore = rows.length > perPage;
  const list = postList(app, rows.slice(0, perPage));
  if (hasMore) list.prev_post_id = rows[perPage - 1].id;
  return ok(list);
}

async function createPost(app: App, context: RequestContext) {
  const fields = asObject(await context.body());
  const channel = channelOrFail(app, id(fields, 'channel_id'));
  const message = text(fields, 'message', { min: 0, max: MAX_MESSAGE_RUNES });
  const rootId = optionalId(fields, 'root_id');
  const props = fields.props ?? {};
  if (props === null || typeof props !== 'object' || Array.isArray(props)) {
    throw badParam('props', props, 'a JSON object');
  }
  const pendingId = typeof fields.pending_post_id === 'string' ? fields.pending_post_id : '';
  if (pendingId.length > 64) throw badParam('pending_post_id', pendingId, 'at most 64 characters');
  requireChannelMember(app, channel, context.user);

  const now = Date.now();
  if (pendingId !== '') {
    const earlier = app.store.postByPendingId(context.user.id, pendingId, now - PENDING_DEDUP_MS);
    if (earlier !== undefined) return ok(postJson(earlier), 201);
  }
  if (rootId !== '') {
    const root = app.store.postById(rootId);
    if (root === undefined || root.channel_id !== channel.id || root.root_id !== '') {
      throw badParam('root_id', rootId, 'the id of a top-level post in the same channel');
    }
  }

  const row: PostRow = {
    id: newId(),
    channel_id: channel.id,
    user_id: context.user.id,
    root_id: rootId,
    message,
    type: '',
    props: JSON.stringify(props),
    create_at: now,
    update_at: now,
    edit_at: 0,
    delete_at: 0,
    reply_count: 0,
    last_reply_at: 0,
    has_reactions: 0,
    pending_post_id: pendingId,
  };
  app.store.insertPost(row);
  const json = postJson(row);
  app.hub.posted(channel, json, context.user.username);
  return ok(json, 201);
}

async function addReaction(app: App, context: RequestContext) {
  const fields = asObject(await context.body());
  const userId = id(fields, 'user_id');
  if (userId !== context.user.id) throw forbidden('react for another user');
  const emojiName = text(fields, 'emoji_name', {
    max: 64,
    pattern: EMOJI_NAME,
    allowed: 'letters, digits, "_", "+" and "-", without colons',
  });
  const post = visiblePost(app, context, id(fields, 'post_id'));
  const channel = channelOrFail(app, post.channel_id);
  requireChannelMember(app, channel, context.user);

  const row: ReactionRow = {
    post_id: post.id,
    user_id: userId,
    emoji_name: emojiName,
    channel_id: channel.id,
    create_at: Date.now(),
  };
  app.store.addReaction(row);
  const json = reactionJson(row);
  app.hub.reactionAdded(channel.id, json);
  return ok(json);
}

async function search(app: App, context: RequestContext) {
  const team = teamOrFail(app, context.params.team_id);
  requireTeamMember(app, team, context.user);
  const fields = asObject(await context.body());
  const terms = text(fields, 'terms', { max: 1000 })
    .split(/\s+/)
    .map((term) => term.replace(/^"|"$/g, ''))
    .filter((term) => term !== '');
  if (terms.length === 0) throw badParam('terms', fields.terms, 'at least one search term');
  const anyTerm = optionalBoolean(fields, 'is_or_search') ?? false;
  const page = typeof fields.page === 'number' ? fields.page : 0;
  const perPage = typeof fields.per_page === 'number' ? Math.min(fields.per_page, 200) : 60;
  if (!Number.isInteger(page) || page < 0) throw badParam('page', fields.page, 'a number from 0');
  if (!Number.isInteger(perPage) || perPage < 1) {
    throw badParam('per_page', fields.per_page, 'a number from 1 to 200');
  }

  const rows = app.store.searchPosts(
    context.user.id,
    team.id,
    terms,
    anyTerm,
    perPage,
    page * perPage,
  );
  const list = { ...postList(app, rows), matches: null };
  return { status: 200, body: list, headers: { 'Cache-Control': 'no-store' } };
}

function visiblePost(app: App, context: RequestContext, postId: string): PostRow {
  if (!isId(postId)) throw badParam('post_id', postId, 'a 26-character id');
  const post = app.store.postById(postId);
  if (post === undefined || post.delete_at !== 0) throw notFound('post', postId);
  requireChannelRead(app, channelOrFail(app, post.channel_id), context.user);
  return post;
}

/** Mattermost's PostList: ids newest first, and the posts by id. */
function postList(app: App, rows: PostRow[]) {
  const withReactions = rows.filter((row) => row.has_reactions === 1).map((row) => row.id);
  const reactions = app.store.reactionsOf(withReactions);
  const posts: Record<string, ReturnType<typeof postJson>> = {};
  for (const row of rows) posts[row.id] = postJson(row, reactions.get(row.id));
  return {
    order: rows.map((row) => row.id),
    posts,
    next_post_id: '',
    prev_post_id: '',
    has_next: false,
    first_inaccessible_post_time: 0,
  };
}

export { ApiError };
