// A raw WebSocket client of the chat server for tests: collects events and replies, and
// waits for the ones a test expects.

import { WebSocket } from 'ws';

export interface SocketEvent {
  event: string;
  data: Record<string, any>;
  broadcast: Record<string, unknown>;
  seq: number;
}

export interface SocketReply {
  status: string;
  seq_reply: number;
  data?: unknown;
  error?: { id: string; status_code: number };
}

export class ChatSocket {
  readonly socket: WebSocket;
  readonly events: SocketEvent[] = [];
  readonly replies: SocketReply[] = [];
  #waiters: Array<() => void> = [];
  #nextSeq = 1;
  #closed = false;

  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString());
      if ('seq_reply' in frame) this.replies.push(frame);
      else this.events.push(frame);
      for (const wake of this.#waiters.splice(0)) wake();
    });
    socket.on('close', () => {
      this.#closed = true;
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  /** Connects with the token as a Bearer header, or (challenge) sends it after the upgrade. */
  static async open(url: string, token: string, how: 'header' | 'challenge' = 'header') {
    const wsUrl = url.replace(/^http/, 'ws') + '/api/v4/websocket';
    const headers = how === 'header' ? { authorization: `Bearer ${token}` } : undefined;
    const socket = new WebSocket(wsUrl, { headers });
    // Listen before the socket opens: `hello` can arrive in the same read as the handshake.
    const client = new ChatSocket(socket);
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    if (how === 'challenge') client.send('authentication_challenge', { token });
    await client.waitFor(() => client.events.some((e) => e.event === 'hello'), 'hello');
    return client;
  }

  send(action: string, data: unknown): number {
    const seq = this.#nextSeq++;
    this.socket.send(JSON.stringify({ seq, action, data }));
    return seq;
  }

  named(event: string): SocketEvent[] {
    return this.events.filter((e) => e.event === event);
  }

  async waitFor(done: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (this.#closed) throw new Error(`the socket closed while waiting for ${what}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.socket.terminate();
  }
}
