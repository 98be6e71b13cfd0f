// The WebSocket hub at /api/v4/websocket: authentication (Bearer header on the upgrade, or an
// `authentication_challenge` action), `hello`, replies with `seq_reply`, and the events
// Mattermost sends, each with a `seq` that rises by one per connection. Events go only to
// the members of the channel they are about.

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { tokenOf } from './auth.js';
import { newId } from './ids.js';
import type { ChannelRow, UserRow } from './models.js';
import type { Store } from './store.js';
import { handleAction } from './websocket-actions.js';

// Upstream pings every 60 s and drops a socket it has heard nothing from for 100 s.
const PING_INTERVAL_MS = 60_000;
const SILENCE_LIMIT_MS = 100_000;
const AUTH_WINDOW_MS = 5_000;
const MAX_FRAME_BYTES = 8 * 1024;
// Upstream drops a client whose 256-message send queue is full; bytes stand in for messages.
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

export interface Connection {
  readonly socket: WebSocket;
  readonly id: string;
  user: UserRow | undefined;
  /** The `seq` of the next event. */
  seq: number;
  lastHeardAt: number;
  authTimer: NodeJS.Timeout | undefined;
}

export interface HubCounters {
  connections: number;
  /** Events written to sockets (not counting `hello`). */
  eventsSent: number;
  /** Events the drop-events fault kept back. */
  eventsDropped: number;
  /** Of those, `posted` events: what a chat client counts as lost messages. */
  postedDropped: number;
}

export class Hub {
  readonly store: Store;
  readonly version: string;
  readonly counters: HubCounters = {
    connections: 0,
    eventsSent: 0,
    eventsDropped: 0,
    postedDropped: 0,
  };
  /** Decides, per event and connection, whether the drop-events fault swallows it. */
  dropEvent: (connection: Connection) => boolean = () => false;

  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  readonly #byUser = new Map<string, Set<Connection>>();
  readonly #all = new Set<Connection>();
  readonly #pinger: NodeJS.Timeout;
  #closing = false;

  constructor(store: Store, version: string) {
    this.store = store;
    this.version = version;
    this.#pinger = setInterval(() => this.#pingAll(), PING_INTERVAL_MS);
    this.#pinger.unref();
  }

  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const token = tokenOf(request);
    const user = token === undefined ? undefined : this.store.userBySession(token, Date.now());
    if (token !== undefined && user === undefined) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.#wss.handleUpgrade(request, socket, head, (ws) => this.#open(ws, user));
  }

  #open(socket: WebSocket, user: UserRow | undefined): void {
    const connection: Connection = {
      socket,
      id: newId(),
      user: undefined,
      seq: 0,
      lastHeardAt: Date.now(),
      authTimer: undefined,
    };
    this.#all.add(connection);
    this.counters.connections = this.#all.size;
    socket.on('pong', () => (connection.lastHeardAt = Date.now()));
    socket.on('message', (data, isBinary) => {
      connection.lastHeardAt = Date.now();
      if (!isBinary) handleAction(this, connection, data.toString());
    });
    socket.on('close', () => this.#closed(connection));
    socket.on('error', () => socket.terminate());

    if (user !== undefined) this.authenticate(connection, user);
    else
      connection.authTimer = setTimeout(
        () => socket.close(1008, 'no authentication'),
        AUTH_WINDOW_MS,
      );
  }

  authenticate(connection: Connection, user: UserRow): void {
    clearTimeout(connection.authTimer);
    connection.user = user;
    let mine = this.#byUser.get(user.id);
    if (mine === undefined) this.#byUser.set(user.id, (mine = new Set()));
    mine.add(connection);

    const data = {
      connection_id: connection.id,
      server_version: this.version,
      server_hostname: '',
    };
    this.#write(connection, eventHead('hello', data, broadcast({ user_id: user.id })), false);

    const now = Date.now();
    const before = this.store.statusOf(user.id)?.status;
    this.store.setStatus(user.id, 'online', now);
    if (before !== 'online') {
      const event = eventHead(
        'status_change',
        { user_id: user.id, status: 'online' },
        broadcast({ user_id: user.id }),
      );
      this.#toUser(user.id, event);
    }
  }

  #closed(connection: Connection): void {
    clearTimeout(connection.authTimer);
    this.#all.delete(connection);
    this.counters.connections = this.#all.size;
    const user = connection.user;
    // On shutdown the store closes right after the sockets: statuses are left as they were.
    if (user === undefined || this.#closing) return;
    const mine = this.#byUser.get(user.id);
    mine?.delete(connection);
    if (mine !== undefined && mine.size === 0) {
      this.#byUser.delete(user.id);
      this.store.setStatus(user.id, 'offline', Date.now());
    }
  }

  posted(channel: ChannelRow, post: object, senderUsername: string): void {
    const data = {
      channel_display_name: channel.display_name,
      channel_name: channel.name,
      channel_type: channel.type,
      post: JSON.stringify(post),
      sender_name: '@' + senderUsername,
      set_online: true,
      team_id: channel.team_id,
    };
    this.#toChannel(channel.id, eventHead('posted', data, broadcast({ channel_id: channel.id })));
  }

  typing(channelId: string, userId: string, parentId: string): void {
    const scope = broadcast({ channel_id: channelId, omit_users: { [userId]: true } });
    const event = eventHead('typing', { user_id: userId, parent_id: parentId }, scope);
    this.#toChannel(channelId, event, userId);
  }

  reactionAdded(channelId: string, reaction: object): void {
    const data = { reaction: JSON.stringify(reaction) };
    this.#toChannel(
      channelId,
      eventHead('reaction_added', data, broadcast({ channel_id: channelId })),
    );
  }

  /** Upstream sends `multiple_channels_viewed` (not `channel_viewed`) to the viewer only. */
  channelsViewed(userId: string, channelTimes: Record<string, number>): void {
    const data = { channel_times: channelTimes };
    this.#toUser(
      userId,
      eventHead('multiple_channels_viewed', data, broadcast({ user_id: userId })),
    );
  }

  /** Drops every client's socket, as a restart or a network blip would (clients reconnect). */
  disconnectAll(): number {
    const count = this.#all.size;
    for (const connection of this.#all) connection.socket.terminate();
    return count;
  }

  close(): void {
    this.#closing = true;
    clearInterval(this.#pinger);
    for (const connection of this.#all) connection.socket.terminate();
    this.#wss.close();
  }

  #toChannel(channelId: string, head: string, omitUserId?: string): void {
    for (const userId of this.store.memberIdsOfChannel(channelId)) {
      if (userId !== omitUserId) this.#toUser(userId, head);
    }
  }

  #toUser(userId: string, head: string): void {
    const connections = this.#byUser.get(userId);
    if (connections === undefined) return;
    for (const connection of connections) this.#write(connection, head, true);
  }

  /** Writes an event, giving it the connection's next `seq`, even when the fault drops it. */
  #write(connection: Connection, head: string, droppable: boolean): void {
    const seq = connection.seq++;
    if (droppable && this.dropEvent(connection)) {
      this.counters.eventsDropped++;
      if (head.startsWith(POSTED_HEAD)) this.counters.postedDropped++;
      return;
    }
    const socket = connection.socket;
    if (socket.readyState !== socket.OPEN) return;
    if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
      socket.terminate();
      return;
    }
    socket.send(head + ',"seq":' + seq + '}');
    if (droppable) this.counters.eventsSent++;
  }

  #pingAll(): void {
    const now = Date.now();
    for (const connection of this.#all) {
      if (now - connection.lastHeardAt > SILENCE_LIMIT_MS) connection.socket.terminate();
      else connection.socket.ping();
    }
  }
}

/** The event's JSON without its closing brace, so each connection only appends its `seq`. */
const POSTED_HEAD = '{"event":"posted"';

function eventHead(event: string, data: object, scope: object): string {
  return JSON.stringify({ event, data, broadcast: scope }).slice(0, -1);
}

function broadcast(fields: Record<string, unknown>) {
  return {
    omit_users: null,
    user_id: '',
    channel_id: '',
    team_id: '',
    connection_id: '',
    omit_connection_id: '',
    ...fields,
  };
}
