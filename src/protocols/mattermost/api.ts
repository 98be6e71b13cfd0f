// The Mattermost REST calls a chat user makes, as ordinary HTTP steps: each one is timed,
// checked for stalls and reported under its name like any step of a scripted flow.
// Paths and bodies are templates over the user's variables (`token`, `teamId`, …).

import { compileJsonTemplate, compileTemplate } from '../../scenario/template.js';
import type { HttpMethod, HttpStep } from '../../scenario/types.js';

interface CallOptions {
  json?: unknown;
  capture?: Record<string, string>;
  status?: number[];
}

function call(name: string, method: HttpMethod, path: string, options: CallOptions = {}) {
  const step: HttpStep = {
    kind: 'http',
    name,
    method,
    path: compileTemplate(`/api/v4${path}`),
    headers: name === 'login' ? [] : [{ name: 'authorization', value: BEARER }],
    expectStatus: options.status ?? [],
    expectJson: [],
    capture: Object.entries(options.capture ?? {}).map(([variable, source]) => ({
      variable,
      source: source.startsWith('header.')
        ? { from: 'header', name: source.slice('header.'.length), source }
        : { from: 'json', path: jsonPath(source), source },
    })),
    location: `built-in mattermost call "${name}"`,
  };
  if (options.json !== undefined) step.json = compileJsonTemplate(options.json);
  return step;
}

const BEARER = compileTemplate('Bearer {{ token }}');

/** `$` or `$.a.b` → path segments (the built-in calls need no more than this). */
function jsonPath(source: string): string[] {
  return source === '$' ? [] : source.slice(2).split('.');
}

/** Every call, built once per process and shared by all users. */
export const API = {
  login: call('login', 'POST', '/users/login', {
    json: { login_id: '{{ username }}', password: '{{ password }}' },
    capture: { token: 'header.token', userId: '$.id' },
    status: [200],
  }),
  me: call('load me', 'GET', '/users/me'),
  teams: call('load teams', 'GET', '/users/me/teams'),
  channels: call('load channels', 'GET', '/users/me/teams/{{ teamId }}/channels', {
    capture: { channels: '$' },
  }),
  members: call('load memberships', 'GET', '/users/me/teams/{{ teamId }}/channels/members'),
  statuses: call('statuses', 'POST', '/users/status/ids', { json: '{{ statusIds }}' }),
  view: call('view channel', 'POST', '/channels/members/me/view', {
    json: { channel_id: '{{ channelId }}', prev_channel_id: '{{ prevChannelId }}' },
  }),
  postsSince: call('channel posts', 'GET', '/channels/{{ channelId }}/posts?since={{ since }}', {
    capture: { posts: '$' },
  }),
  postsFirst: call('channel posts', 'GET', '/channels/{{ channelId }}/posts?page=0&per_page=30', {
    capture: { posts: '$' },
  }),
  scroll: call(
    'scroll posts',
    'GET',
    '/channels/{{ channelId }}/posts?before={{ beforeId }}&page=0&per_page=30',
    { capture: { posts: '$' } },
  ),
  createPost: call('create post', 'POST', '/posts', {
    json: {
      channel_id: '{{ channelId }}',
      message: '{{ message }}',
      root_id: '{{ rootId }}',
      pending_post_id: '{{ pendingId }}',
    },
    capture: { lastPostId: '$.id' },
    status: [201],
  }),
  thread: call('view thread', 'GET', '/posts/{{ postId }}/thread'),
  react: call('add reaction', 'POST', '/reactions', {
    json: { user_id: '{{ userId }}', post_id: '{{ postId }}', emoji_name: '{{ emoji }}' },
  }),
  search: call('search posts', 'POST', '/teams/{{ teamId }}/posts/search', {
    json: { terms: '{{ terms }}', is_or_search: false },
  }),
} as const;

/** A call with a caller-chosen name, for scripted chat steps reported under their own name. */
export function renamed(step: HttpStep, name: string): HttpStep {
  return name === step.name ? step : { ...step, name };
}
