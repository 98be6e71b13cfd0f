// The chat side of a run: the setup's results, every user's socket, the delivery tracker,
// and the chat steps themselves. One runtime per run; users keep their state in
// `user.vars` (token, ids) and in a small `ChatState` of their own.

import { DeliveryTracker } from '../../metrics/delivery.js';
import type { ErrorClass } from '../../metrics/step-metrics.js';
import type { ChatAction, ChatConfig, ChatStep, HttpStep } from '../../scenario/types.js';
import { pickWeighted } from '../../engine/random.js';
import type { User, UserHost } from '../../engine/user.js';
import { API, renamed } from './api.js';
import { ChatSocket, websocketUrl, type SocketHost } from './socket.js';
import type { SetupResult } from './setup.js';
import { messageText } from './user-model.js';
import { DeliveryMesh, listeningBuffer, sharedClockMicros } from './mesh.js';

// Thousands of users each hold one of these for the whole run, so it stays small: one map
// for everything remembered per channel, channels shared with every other member, and what
// only `wait-for` steps need made by the first of them.
interface ChatState {
  socket?: ChatSocket;
  speed: number;
  /** The channels of the user's team that it is a member of: shared objects, see below. */
  channels: Channel[];
  seen: Map<string, ChannelMemory>;
  lastStatusPollAt: number;
  postCount: number;
  waiters?: { event: string; resolve: () => void }[];
  /** Events received and not yet taken by a `wait-for` step, by type. */
  unclaimed?: Map<string, number>;
}

/** One per channel id in a run, shared by all its members. */
interface Channel {
  readonly id: string;
  readonly name: string;
}

/** What a user remembers of a channel it has opened. */
interface ChannelMemory {
  viewedAt?: number;
  /** Recent top-level post ids, newest last (for replies, reactions and thread views). */
  recent?: string[];
  /** The oldest post id seen, where scrolling goes on from. */
  oldest?: string;
}

/** What the runtime needs from the run, beyond what users need. */
export interface ChatHost extends UserHost {
  readonly target: string;
  sleep(user: User, ms: number): Promise<void>;
  recordStep(name: string, durationMs: number, error?: ErrorClass): void;
}

export interface RuntimeOptions {
  /** The mesh shared with the other workers of the run; without it, this process only. */
  mesh?: DeliveryMesh;
  /** Whether any step waits for events (`wait-for`); if not, sockets do not keep them. */
  waitsForEvents?: boolean;
}

const EMOJIS = ['+1', 'smile', 'tada', 'eyes', 'heart', 'rocket'];
const RECENT_POSTS_KEPT = 30;
const STATUS_POLL_MS = 60_000;
// Deliveries seen by another worker arrive here a batch later: posts are judged lost this
// long after their window, which is far more than a batch's trip between threads.
const MESH_JUDGE_LAG_MS = 1000;

export class ChatRuntime {
  readonly config: ChatConfig;
  readonly delivery: DeliveryTracker;
  readonly setup: SetupResult;
  readonly #host: ChatHost;
  readonly #sockets = new Set<ChatSocket>();
  readonly #states = new WeakMap<User, ChatState>();
  /** Every channel any user has loaded, by id: users point at these instead of copies. */
  readonly #channels = new Map<string, Channel>();
  readonly #socketUrl: string;
  readonly #waitsForEvents: boolean;
  readonly #actions: ChatAction[];
  readonly #weights: number[];
  #nextLoginAt = 0;
  readonly #socketHost: SocketHost;
  readonly #mesh: DeliveryMesh;

  constructor(
    config: ChatConfig,
    setup: SetupResult,
    host: ChatHost,
    options: RuntimeOptions = {},
  ) {
    this.config = config;
    this.setup = setup;
    this.#host = host;
    this.#socketUrl = websocketUrl(host.target);
    this.#waitsForEvents = options.waitsForEvents ?? true;
    this.#mesh = options.mesh ?? new DeliveryMesh(listeningBuffer(setup.userIds.length, false));
    const lagMs = this.#mesh.linked ? MESH_JUDGE_LAG_MS : 0;
    this.delivery = new DeliveryTracker(config.deliveryWindowMs, lagMs);
    this.#actions = Object.keys(config.actions) as ChatAction[];
    this.#weights = this.#actions.map((action) => config.actions[action]);
    const delivery = this.delivery;
    const mesh = this.#mesh;
    mesh.listen(
      {
        receivedElsewhere: (id, index, latencyMs, now) =>
          delivery.receivedElsewhere(id, index, latencyMs, now),
        forget: (index) => delivery.forget(index),
      },
      () => host.now(),
    );
    this.#socketHost = {
      now: () => host.now(),
      get stopping() {
        return host.stopping;
      },
      delivery,
      setListening: (index, listening) => mesh.setListening(index, listening),
      onPosted: (pendingId, index) => this.#onPosted(pendingId, index),
    };
  }

  /**
   * A `posted` event reached user `index`. Ids this runtime made name the worker that sent
   * the post and the send time on the shared clock (see `#post`); a post of another
   * worker goes back to it with the latency measured here.
   */
  #onPosted(pendingId: string, index: number): void {
    const parts = pendingId.split(':');
    const owner = parts.length === 4 ? Number(parts[2]) : this.#mesh.worker;
    if (owner === this.#mesh.worker || !Number.isInteger(owner)) {
      this.delivery.received(pendingId, index, this.#host.now());
      return;
    }
    const latencyMs = (sharedClockMicros() - Number(parts[3])) / 1000;
    this.#mesh.forward(owner, pendingId, index, latencyMs);
  }

  get openSockets(): number {
    let open = 0;
    for (const socket of this.#sockets) if (socket.connected) open++;
    return open;
  }

  /** Runs one chat step; false when the user should stop (a failed login, say). */
  run(step: ChatStep, user: User): Promise<boolean> {
    switch (step.action) {
      case 'live':
        return this.#live(user);
      case 'login':
        return this.#login(user, step.name);
      case 'connect':
        return this.#connect(user);
      case 'post':
        return this.#post(user, false, step);
      case 'view-channel':
        return this.#switchChannel(user, step);
      case 'react':
        return this.#react(user, step);
      case 'typing':
        return this.#typing(user, step);
      case 'wait-for':
        return this.#waitFor(user, step);
    }
  }

  /** Sends one call, unless the run or the user is stopping: then it reports a failure. */
  #request(step: HttpStep, user: User): Promise<ErrorClass | 'stopped' | undefined> {
    if (this.#host.stopping || user.retiring) return Promise.resolve('stopped');
    return this.#host.request(step, user);
  }

  /**
   * A user retired by a ramp-down leaves: it closes its socket and stops expecting posts.
   * (When the whole run stops, sockets stay open until the last deliveries are in.)
   */
  release(user: User): void {
    if (this.#host.stopping) return;
    const socket = this.#states.get(user)?.socket;
    if (socket !== undefined) {
      socket.close();
      this.#sockets.delete(socket);
    }
    this.#mesh.setListening(user.userIndex, false);
    this.delivery.forget(user.userIndex);
    this.#mesh.forgetEverywhere(user.userIndex);
  }

  closeAll(): void {
    for (const socket of this.#sockets) socket.close();
    this.#mesh.close();
  }

  async #live(user: User): Promise<boolean> {
    if (!(await this.#login(user))) return false;
    if (!(await this.#connect(user))) return false;
    const state = this.#state(user);

    while (!this.#host.stopping && !user.retiring) {
      const action = this.#actions[pickWeighted(this.#weights, user.random)];
      await this.#act(user, action);
      if (Date.now() - state.lastStatusPollAt > STATUS_POLL_MS) await this.#pollStatuses(user);

      const { minMs, maxMs } = this.config.idle;
      const idleMs = (minMs + user.random() * (maxMs - minMs)) * state.speed;
      await this.#host.sleep(user, idleMs);
    }
    return true;
  }

  #act(user: User, action: ChatAction): Promise<unknown> {
    switch (action) {
      case 'switch-channel':
        return this.#switchChannel(user);
      case 'scroll':
        return this.#scroll(user);
      case 'unread-check':
        return this.#unreadCheck(user);
      case 'post':
        return this.#post(user, false);
      case 'reply':
        return this.#post(user, true);
      case 'react':
        return this.#react(user);
      case 'view-thread':
        return this.#viewThread(user);
      case 'search':
        return this.#search(user);
      case 'idle':
        return Promise.resolve();
    }
  }

  async #login(user: User, name?: string): Promise<boolean> {
    // Logins are paced across all users: a real server hashes a password per login.
    const now = this.#host.now();
    const gapMs = 1000 / this.config.setup.loginRatePerSec;
    const at = Math.max(now, this.#nextLoginAt);
    this.#nextLoginAt = at + gapMs;
    if (at > now) await this.#host.sleep(user, at - now);
    user.intendedAt = this.#host.now(); // pacing is chatload's choice, not server latency

    user.vars.username = `${this.config.setup.prefix}-user-${user.userIndex}`;
    user.vars.password = this.config.setup.password;
    const failed = await this.#request(name ? renamed(API.login, name) : API.login, user);
    if (failed) return false;

    user.vars.teamId = this.setup.teamId;
    await this.#request(API.me, user);
    await this.#request(API.teams, user);
    await this.#request(API.channels, user);
    await this.#request(API.members, user);

    const state = this.#state(user);
    const channels = user.vars.channels;
    if (Array.isArray(channels)) state.channels = channels.map((c) => this.#channel(c));
    user.vars.channels = undefined; // the list lives in state; do not keep it twice
    if (state.channels.length > 0) user.vars.channelId = state.channels[0].id;
    return true;
  }

  async #connect(user: User): Promise<boolean> {
    if (this.#host.stopping || user.retiring) return false;
    const state = this.#state(user);
    const token = String(user.vars.token ?? '');
    const onEvent = this.#waitsForEvents
      ? (event: string) => this.#notifyWaiters(state, event)
      : undefined;
    const socket = new ChatSocket(
      this.#socketUrl,
      user.userIndex,
      token,
      this.#socketHost,
      onEvent,
    );
    const startedAt = this.#host.now();
    try {
      await socket.open();
    } catch {
      this.#host.recordStep('connect websocket', this.#host.now() - startedAt, 'connect');
      return false;
    }
    this.#host.recordStep('connect websocket', this.#host.now() - startedAt);
    state.socket = socket;
    this.#sockets.add(socket);
    await this.#pollStatuses(user);
    return true;
  }

  async #switchChannel(user: User, step?: ChatStep): Promise<boolean> {
    const state = this.#state(user);
    const next = step?.channel ? this.#channelNamed(user, step) : this.#otherChannel(user, state);
    if (next === undefined) return true;

    user.vars.prevChannelId = user.vars.channelId ?? '';
    user.vars.channelId = next;
    await this.#request(step?.name ? renamed(API.view, step.name) : API.view, user);
    const since = state.seen.get(next)?.viewedAt;
    if (since === undefined) {
      await this.#request(API.postsFirst, user);
    } else {
      user.vars.since = since;
      await this.#request(API.postsSince, user);
    }
    memoryOf(state, next).viewedAt = Date.now();
    this.#rememberPosts(user, state, next);
    return true;
  }

  async #scroll(user: User): Promise<void> {
    const state = this.#state(user);
    // 1–5 pages of older posts, 1–10 s apart (user-model.md).
    const pages = 1 + Math.floor(user.random() * 5);
    for (let page = 0; page < pages; page++) {
      const oldest = state.seen.get(String(user.vars.channelId))?.oldest;
      if (oldest === undefined) return;
      user.vars.beforeId = oldest;
      await this.#request(API.scroll, user);
      this.#rememberPosts(user, state, String(user.vars.channelId), true);
      if (page + 1 < pages) await this.#host.sleep(user, 1000 + user.random() * 9000);
    }
  }

  async #unreadCheck(user: User): Promise<void> {
    await this.#request(API.channels, user);
    user.vars.channels = undefined;
    await this.#request(API.members, user);
    user.vars.prevChannelId = '';
    await this.#request(API.view, user);
  }

  async #post(user: User, reply: boolean, step?: ChatStep): Promise<boolean> {
    const state = this.#state(user);
    if (step?.channel) {
      const channelId = this.#channelNamed(user, step);
      if (channelId === undefined) return true;
      user.vars.channelId = channelId;
    }
    const channelId = String(user.vars.channelId ?? '');
    if (!channelId) return true;

    const recent = state.seen.get(channelId)?.recent;
    user.vars.rootId =
      reply && recent?.length ? recent[Math.floor(user.random() * recent.length)] : '';
    const mention = `${this.config.setup.prefix}-user-${Math.floor(user.random() * this.setup.userIds.length)}`;
    user.vars.message = step?.message?.render(user) ?? messageText(user.random, reply, mention);

    // Typing first, as the web app does, then the post itself.
    state.socket?.send('user_typing', { channel_id: channelId, parent_id: user.vars.rootId });
    // user:count:worker:send time (µs on the shared clock), so any worker can time it.
    const sentAt = this.#host.now();
    const pendingId = `${user.vars.userId}:${state.postCount++}:${this.#mesh.worker}:${sharedClockMicros()}`;
    user.vars.pendingId = pendingId;
    this.delivery.expect(pendingId, sentAt, this.#recipients(channelId), this.setup.userIds.length);
    const failed = await this.#request(
      step?.name ? renamed(API.createPost, step.name) : API.createPost,
      user,
    );
    // The text and the id are in the tracker and the server now; the user need not keep them.
    user.vars.message = undefined;
    user.vars.pendingId = undefined;
    if (failed) this.delivery.cancel(pendingId);
    else if (!user.vars.rootId) this.#remember(state, channelId, String(user.vars.lastPostId));
    return true;
  }

  async #react(user: User, step?: ChatStep): Promise<boolean> {
    const state = this.#state(user);
    const recent = state.seen.get(String(user.vars.channelId))?.recent;
    if (!recent || recent.length === 0) return true;
    user.vars.postId = recent[Math.floor(user.random() * recent.length)];
    user.vars.emoji = step?.emoji ?? EMOJIS[Math.floor(user.random() * EMOJIS.length)];
    await this.#request(step?.name ? renamed(API.react, step.name) : API.react, user);
    return true;
  }

  async #viewThread(user: User): Promise<void> {
    const recent = this.#state(user).seen.get(String(user.vars.channelId))?.recent;
    if (!recent || recent.length === 0) return;
    user.vars.postId = recent[Math.floor(user.random() * recent.length)];
    await this.#request(API.thread, user);
  }

  async #search(user: User): Promise<void> {
    const words = messageText(user.random, true, 'x')
      .split(' ')
      .slice(0, 1 + Math.floor(user.random() * 3));
    user.vars.terms = words.join(' ');
    await this.#request(API.search, user);
    user.vars.terms = undefined;
  }

  async #typing(user: User, step: ChatStep): Promise<boolean> {
    const channelId = step.channel ? this.#channelNamed(user, step) : user.vars.channelId;
    this.#state(user).socket?.send('user_typing', { channel_id: channelId, parent_id: '' });
    return true;
  }

  /**
   * Waits for an event of a type that no earlier `wait-for` of this user has taken. An
   * event that arrived before the step began counts: a user's own post can reach its
   * socket before the HTTP answer does.
   */
  async #waitFor(user: User, step: ChatStep): Promise<boolean> {
    const state = this.#state(user);
    const startedAt = this.#host.now();
    const event = step.event ?? 'posted';
    const unclaimed = state.unclaimed?.get(event) ?? 0;
    if (state.unclaimed !== undefined && unclaimed > 0) {
      state.unclaimed.set(event, unclaimed - 1);
      this.#host.recordStep(step.name ?? `wait-for ${event}`, 0);
      return true;
    }
    const arrived = await new Promise<boolean>((resolve) => {
      const waiter = {
        event,
        resolve: () => {
          clearTimeout(timer);
          resolve(true);
        },
      };
      const waiters = (state.waiters ??= []);
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(waiter), 1);
        resolve(false);
      }, step.timeoutMs ?? 5000);
      waiters.push(waiter);
    });
    const name = step.name ?? `wait-for ${step.event ?? 'posted'}`;
    this.#host.recordStep(name, this.#host.now() - startedAt, arrived ? undefined : 'timeout');
    return true;
  }

  async #pollStatuses(user: User): Promise<void> {
    const state = this.#state(user);
    state.lastStatusPollAt = Date.now();
    user.vars.statusIds = [user.vars.userId];
    await this.#request(API.statuses, user);
    user.vars.statusIds = undefined;
  }

  #notifyWaiters(state: ChatState, event: string): void {
    const waiter = state.waiters?.find((w) => w.event === event);
    if (waiter !== undefined) {
      state.waiters!.splice(state.waiters!.indexOf(waiter), 1);
      waiter.resolve();
    } else {
      state.unclaimed ??= new Map();
      state.unclaimed.set(event, (state.unclaimed.get(event) ?? 0) + 1);
    }
  }

  /** Members of the channel whose socket is up now: they should get the event. */
  *#recipients(channelId: string): Generator<number> {
    for (const index of this.setup.members.get(channelId) ?? []) {
      if (this.#mesh.isListening(index)) yield index;
    }
  }

  #channelNamed(user: User, step: ChatStep): string | undefined {
    const name = step.channel!.render(user);
    return (
      this.setup.channelIds.get(name) ?? this.#state(user).channels.find((c) => c.name === name)?.id
    );
  }

  #otherChannel(user: User, state: ChatState): string | undefined {
    const others = state.channels.filter((c) => c.id !== user.vars.channelId);
    if (others.length === 0) return undefined;
    return others[Math.floor(user.random() * others.length)].id;
  }

  /**
   * Keeps the newest top-level posts of a page: replies, reactions and thread views pick
   * from them, and a reply must point at a top-level post.
   */
  #rememberPosts(user: User, state: ChatState, channelId: string, older = false): void {
    const page = user.vars.posts as
      { order?: string[]; posts?: Record<string, { root_id?: string }> } | undefined;
    user.vars.posts = undefined;
    if (!page?.order?.length) return;
    // Scrolling goes on from the oldest post seen; older pages are not "recent".
    const memory = memoryOf(state, channelId);
    if (older || memory.oldest === undefined) memory.oldest = page.order[page.order.length - 1];
    if (older) return;
    const newestFirst = page.order.filter((id) => !page.posts?.[id]?.root_id);
    const merged = [...(memory.recent ?? []), ...newestFirst.reverse()];
    memory.recent = merged.slice(-RECENT_POSTS_KEPT);
  }

  #remember(state: ChatState, channelId: string, postId: string): void {
    const memory = memoryOf(state, channelId);
    const known = (memory.recent ??= []);
    known.push(postId);
    if (known.length > RECENT_POSTS_KEPT) known.shift();
  }

  /** The run's one object for this channel, made on first sight. */
  #channel(loaded: { id: string; name: string }): Channel {
    let channel = this.#channels.get(loaded.id);
    if (channel === undefined) {
      channel = { id: loaded.id, name: loaded.name };
      this.#channels.set(channel.id, channel);
    }
    return channel;
  }

  #state(user: User): ChatState {
    let state = this.#states.get(user);
    if (state === undefined) {
      state = {
        speed: this.#speedFor(user),
        channels: [],
        seen: new Map(),
        lastStatusPollAt: 0,
        postCount: 0,
      };
      this.#states.set(user, state);
    }
    return state;
  }

  #speedFor(user: User): number {
    const speed = this.config.speed;
    return speed[
      pickWeighted(
        speed.map((s) => s.share),
        user.random,
      )
    ].factor;
  }
}

function memoryOf(state: ChatState, channelId: string): ChannelMemory {
  let memory = state.seen.get(channelId);
  if (memory === undefined) {
    memory = {};
    state.seen.set(channelId, memory);
  }
  return memory;
}
