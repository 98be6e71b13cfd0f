// Defaults for realistic chat users, from Mattermost's own load-testing practice (action
// frequencies derived from a busy production server's request rates). Every value can be
// overridden in the scenario's `mattermost:` section.

import type { ChatAction, ChatConfig } from '../../scenario/types.js';

/**
 * Relative weights, create-post = 1. Actions the reference server does not have are folded
 * into the nearest one so the read/write ratio holds: opening a direct channel counts as a
 * channel switch, thread lists and permalinks as viewing a thread, drafts as idle.
 * 18% of posts are replies.
 */
export const DEFAULT_ACTIONS: Record<ChatAction, number> = {
  'switch-channel': 6.52 + 0.98,
  scroll: 1.99,
  'unread-check': 1.0,
  post: 0.82,
  reply: 0.18,
  'view-thread': 0.28 + 0.3 + 0.6 + 0.32,
  react: 0.13,
  search: 0.02,
  idle: 1.41 + 0.5 + 0.14,
};

/** Idle 1–39 s (mean 20 s), stretched per user: most real users are slow. */
export const DEFAULT_IDLE = { minMs: 1000, maxMs: 39_000 };

export const DEFAULT_SPEED: ChatConfig['speed'] = [
  { factor: 1, share: 0.05 },
  { factor: 2, share: 0.1 },
  { factor: 3, share: 0.15 },
  { factor: 6, share: 0.4 },
  { factor: 30, share: 0.3 },
];

export const DEFAULT_DELIVERY_WINDOW_MS = 10_000;

// A real server hashes the password on every login and rate-limits logins; pacing them
// keeps setup and ramp-up from measuring a login storm nobody asked for.
export const DEFAULT_LOGIN_RATE_PER_SEC = 20;

export const DEFAULT_PASSWORD = 'Chatload-Pass-123!';

/**
 * Channel counts for a population: many small channels, some medium, and large ones of up
 * to about 1,000 members (one for a population of that size or less).
 */
export function channelPlan(users: number, requested: ChatConfig['setup']['channels']) {
  return {
    large: requested.large ?? Math.max(1, Math.round(users / 1000)),
    medium: requested.medium ?? Math.max(1, Math.round(users / 40)),
    small: requested.small ?? Math.max(1, Math.round(users / 4)),
  };
}

/**
 * Which channels user `index` belongs to (by size and number): one large channel, one
 * medium channel (about 40 members each) and two small ones (about 8). Deterministic, so
 * that setup can be repeated and reused.
 */
export function membershipsOf(index: number, plan: ReturnType<typeof channelPlan>) {
  const channels: { size: 'small' | 'medium' | 'large'; number: number }[] = [];
  channels.push({ size: 'large', number: index % plan.large });
  channels.push({ size: 'medium', number: index % plan.medium });
  channels.push({ size: 'small', number: index % plan.small });
  const second = (index * 7 + 3) % plan.small;
  if (second !== index % plan.small) channels.push({ size: 'small', number: second });
  return channels;
}

const WORDS = (
  'the a server load chat message team channel thread reply latency quick test ' +
  'deploy review merge build release lunch meeting today tomorrow please thanks ' +
  'great idea check this link issue fixed broken works again later soon done'
).split(' ');

/** A message of `min`–`max` words, with the share of mentions and links real posts have. */
export function messageText(random: () => number, reply: boolean, mention: string): string {
  const max = reply ? 47 : 69;
  const count = 1 + Math.floor(random() * max);
  const words: string[] = [];
  for (let i = 0; i < count; i++) words.push(WORDS[Math.floor(random() * WORDS.length)]);
  if (random() < 0.1) words.push(`@${mention}`);
  if (random() < 0.1) words.push('https://example.com/chatload');
  return words.join(' ');
}
