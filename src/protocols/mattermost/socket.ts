// One chat user's WebSocket to a Mattermost-API server: authenticates with the Bearer
// header, follows the per-connection event `seq`, hands `posted` events to the delivery
// tracker, and reconnects with growing backoff when the socket dies. While it is down the
// user is deaf; that time is reported.
//
// Thousands of these live for a whole run, so a socket makes no closures of its own: the
// listeners are shared functions that find their ChatSocket through a symbol on the ws
// object, and the few fields needed only while opening are dropped once `hello` arrives.

import WebSocket from 'ws';
import type { DeliveryTracker } from '../../metrics/delivery.js';

export interface SocketHost {
  now(): number;
  readonly stopping: boolean;
  /** Counts disconnects, reconnects, deaf time and seq gaps. */
  readonly delivery: DeliveryTracker;
  /** The socket of user `index` is up (it can be sent posts) or down. */
  setListening(index: number, listening: boolean): void;
  /** A `posted` event for the post with this `pending_post_id` reached user `index`. */
  onPosted(pendingId: string, index: number): void;
}

// Mattermost's web app waits about 3 s before its first reconnect and then backs off;
// chatload starts sooner (a load test wants users back) and doubles up to a cap.
const FIRST_RECONNECT_MS = 1000;
const MAX_RECONNECT_MS = 60_000;
const HELLO_TIMEOUT_MS = 10_000;

const OWNER = Symbol('chatload chat socket');

interface OwnedWebSocket extends WebSocket {
  [OWNER]: ChatSocket;
}

/** What an `open()` in progress waits on; dropped once it settles. */
interface Opening {
  resolve: () => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** `ws://host/api/v4/websocket` for a server's base URL; made once per run, shared. */
export function websocketUrl(target: string): string {
  const url = new URL('/api/v4/websocket', target);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}

export class ChatSocket {
  readonly #url: string;
  readonly #userIndex: number;
  readonly #token: string;
  readonly #host: SocketHost;
  readonly #onEvent: ((event: string) => void) | undefined;
  #socket: OwnedWebSocket | undefined;
  #opening: Opening | undefined;
  #nextSeq = 0;
  #actionSeq = 1;
  #connected = false;
  #closedByUs = false;
  #everConnected = false;
  #deafSince = 0;
  #backoffMs = FIRST_RECONNECT_MS;
  #retryTimer: NodeJS.Timeout | undefined;

  /**
   * `url` comes from `websocketUrl`. `onEvent` hears every event after the socket's own
   * bookkeeping, for `wait-for` steps; leave it out when no step waits.
   */
  constructor(
    url: string,
    userIndex: number,
    token: string,
    host: SocketHost,
    onEvent?: (event: string) => void,
  ) {
    this.#url = url;
    this.#userIndex = userIndex;
    this.#token = token;
    this.#host = host;
    this.#onEvent = onEvent;
  }

  get connected(): boolean {
    return this.#connected;
  }

  /** Opens the socket; resolves on `hello`, rejects if none comes in time. */
  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(this.#url, {
        headers: { authorization: `Bearer ${this.#token}` },
        perMessageDeflate: false,
      }) as OwnedWebSocket;
      socket[OWNER] = this;
      this.#socket = socket;
      this.#nextSeq = 0;
      const timer = setTimeout(onHelloTimeout, HELLO_TIMEOUT_MS, socket);
      this.#opening = { resolve, reject, timer };

      socket.on('message', onSocketMessage);
      socket.once('close', onSocketClose);
      socket.on('error', ignoreError);
    });
  }

  /** Sends a client action such as `user_typing`; no reply is awaited. */
  send(action: string, data: Record<string, unknown>): void {
    if (!this.#connected || this.#socket === undefined) return;
    this.#socket.send(JSON.stringify({ seq: this.#actionSeq++, action, data }));
  }

  close(): void {
    this.#closedByUs = true;
    if (this.#retryTimer !== undefined) clearTimeout(this.#retryTimer);
    this.#socket?.terminate();
    this.#socket = undefined;
    if (!this.#connected && this.#deafSince > 0) {
      this.#host.delivery.counts.deafMs += this.#host.now() - this.#deafSince;
      this.#deafSince = 0;
    }
    this.#connected = false;
    this.#host.setListening(this.#userIndex, false);
  }

  /** Called by the shared listeners below, for the socket this ChatSocket opened. */
  handleMessage(text: string): void {
    let message: { event?: string; seq?: number; data?: Record<string, unknown> };
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (message.event === undefined) return; // a reply to one of our actions

    this.#followSeq(message.seq);
    if (message.event === 'hello') this.#onHello();
    else if (message.event === 'posted') this.#onPosted(message.data);
    this.#onEvent?.(message.event);
  }

  handleClose(socket: WebSocket): void {
    if (socket !== this.#socket) return; // an earlier socket of this user, already replaced
    this.#settleOpening(new Error('the socket closed before hello'));

    const wasConnected = this.#connected;
    this.#connected = false;
    this.#host.setListening(this.#userIndex, false);
    if (this.#closedByUs || this.#host.stopping) return;

    if (wasConnected) {
      this.#host.delivery.counts.disconnects++;
      this.#deafSince = this.#host.now();
    }
    if (!this.#everConnected && !wasConnected) return; // the first open failed: caller knows
    this.#retryTimer = setTimeout(reconnect, this.#backoffMs, this);
    this.#backoffMs = Math.min(this.#backoffMs * 2, MAX_RECONNECT_MS);
  }

  helloTimedOut(): void {
    this.#settleOpening(new Error(`no hello within ${HELLO_TIMEOUT_MS} ms`));
    this.#socket?.terminate(); // 'close' follows: handleClose decides on a retry
  }

  reconnect(): void {
    this.#retryTimer = undefined;
    if (this.#closedByUs || this.#host.stopping) return;
    this.open().catch(() => undefined); // a failed attempt closes, and handleClose retries
  }

  /** Resolves (no error) or rejects the `open()` in progress, if any. */
  #settleOpening(error?: Error): void {
    const opening = this.#opening;
    if (opening === undefined) return;
    this.#opening = undefined;
    clearTimeout(opening.timer);
    if (error === undefined) opening.resolve();
    else opening.reject(error);
  }

  #followSeq(seq: number | undefined): void {
    if (typeof seq !== 'number') return;
    if (seq > this.#nextSeq) this.#host.delivery.counts.seqGaps += seq - this.#nextSeq;
    this.#nextSeq = seq + 1;
  }

  #onHello(): void {
    this.#connected = true;
    this.#host.setListening(this.#userIndex, true);
    this.#backoffMs = FIRST_RECONNECT_MS;
    if (this.#deafSince > 0) {
      this.#host.delivery.counts.deafMs += this.#host.now() - this.#deafSince;
      this.#host.delivery.counts.reconnects++;
      this.#deafSince = 0;
    }
    this.#everConnected = true;
    this.#settleOpening();
  }

  /** `data.post` is itself a JSON string: the server encodes the post twice. */
  #onPosted(data: Record<string, unknown> | undefined): void {
    if (typeof data?.post !== 'string') return;
    let post: { pending_post_id?: string };
    try {
      post = JSON.parse(data.post);
    } catch {
      return;
    }
    if (post.pending_post_id) this.#host.onPosted(post.pending_post_id, this.#userIndex);
  }
}

function onSocketMessage(this: WebSocket, raw: WebSocket.RawData): void {
  (this as OwnedWebSocket)[OWNER].handleMessage(raw.toString());
}

function onSocketClose(this: WebSocket): void {
  (this as OwnedWebSocket)[OWNER].handleClose(this);
}

function ignoreError(): void {
  // 'close' always follows 'error'; it is what the socket acts on.
}

function onHelloTimeout(socket: OwnedWebSocket): void {
  socket[OWNER].helloTimedOut();
}

function reconnect(owner: ChatSocket): void {
  owner.reconnect();
}
