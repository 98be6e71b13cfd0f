// One chat user's WebSocket to a Mattermost-API server: authenticates with the Bearer
// header, follows the per-connection event `seq`, hands `posted` events to the delivery
// tracker, and reconnects with growing backoff when the socket dies. While it is down the
// user is deaf; that time is reported.

import WebSocket from 'ws';
import type { DeliveryTracker } from '../../metrics/delivery.js';

export interface SocketOwner {
  readonly userIndex: number;
  readonly token: string;
  /** Any event, for `wait-for` steps; called after the socket's own bookkeeping. */
  onEvent?(event: string, data: Record<string, unknown>): void;
}

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

export class ChatSocket {
  readonly #url: string;
  readonly #owner: SocketOwner;
  readonly #host: SocketHost;
  #socket: WebSocket | undefined;
  #nextSeq = 0;
  #actionSeq = 1;
  #connected = false;
  #closedByUs = false;
  #deafSince = 0;
  #backoffMs = FIRST_RECONNECT_MS;
  #retryTimer: NodeJS.Timeout | undefined;
  #everConnected = false;

  constructor(target: string, owner: SocketOwner, host: SocketHost) {
    const url = new URL('/api/v4/websocket', target);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    this.#url = url.toString();
    this.#owner = owner;
    this.#host = host;
  }

  get connected(): boolean {
    return this.#connected;
  }

  /** Opens the socket; resolves on `hello`, rejects if none comes in time. */
  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(this.#url, {
        headers: { authorization: `Bearer ${this.#owner.token}` },
        perMessageDeflate: false,
      });
      this.#socket = socket;
      this.#nextSeq = 0;
      const timer = setTimeout(() => {
        socket.terminate();
        reject(new Error(`no hello within ${HELLO_TIMEOUT_MS} ms`));
      }, HELLO_TIMEOUT_MS);

      socket.on('message', (raw) => {
        const wasConnected = this.#connected;
        this.#onMessage(raw.toString());
        if (!wasConnected && this.#connected) {
          clearTimeout(timer);
          resolve();
        }
      });
      socket.once('close', () => {
        clearTimeout(timer);
        if (!this.#connected) reject(new Error('the socket closed before hello'));
        this.#onClose(socket);
      });
      socket.on('error', () => undefined); // 'close' follows; it is what we act on
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
    this.#host.setListening(this.#owner.userIndex, false);
  }

  #onMessage(text: string): void {
    let message: { event?: string; seq?: number; data?: Record<string, unknown> };
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (message.event === undefined) return; // a reply to one of our actions

    this.#followSeq(message.seq);
    const data = message.data ?? {};
    if (message.event === 'hello') this.#onHello();
    else if (message.event === 'posted') this.#onPosted(data);
    this.#owner.onEvent?.(message.event, data);
  }

  #followSeq(seq: number | undefined): void {
    if (typeof seq !== 'number') return;
    if (seq > this.#nextSeq) this.#host.delivery.counts.seqGaps += seq - this.#nextSeq;
    this.#nextSeq = seq + 1;
  }

  #onHello(): void {
    this.#connected = true;
    this.#host.setListening(this.#owner.userIndex, true);
    this.#backoffMs = FIRST_RECONNECT_MS;
    if (this.#deafSince > 0) {
      this.#host.delivery.counts.deafMs += this.#host.now() - this.#deafSince;
      this.#host.delivery.counts.reconnects++;
      this.#deafSince = 0;
    }
    this.#everConnected = true;
  }

  /** `data.post` is itself a JSON string: the server encodes the post twice. */
  #onPosted(data: Record<string, unknown>): void {
    if (typeof data.post !== 'string') return;
    let post: { pending_post_id?: string };
    try {
      post = JSON.parse(data.post);
    } catch {
      return;
    }
    if (post.pending_post_id) {
      this.#host.onPosted(post.pending_post_id, this.#owner.userIndex);
    }
  }

  #onClose(socket: WebSocket): void {
    if (socket !== this.#socket) return;
    const wasConnected = this.#connected;
    this.#connected = false;
    this.#host.setListening(this.#owner.userIndex, false);
    if (this.#closedByUs || this.#host.stopping) return;

    if (wasConnected) {
      this.#host.delivery.counts.disconnects++;
      this.#deafSince = this.#host.now();
    }
    if (!this.#everConnected && !wasConnected) return; // the first open failed: caller knows
    this.#retryTimer = setTimeout(() => this.#reconnect(), this.#backoffMs);
    this.#backoffMs = Math.min(this.#backoffMs * 2, MAX_RECONNECT_MS);
  }

  #reconnect(): void {
    this.#retryTimer = undefined;
    if (this.#closedByUs || this.#host.stopping) return;
    this.open().catch(() => undefined); // a failed attempt closes, and #onClose retries
  }
}
