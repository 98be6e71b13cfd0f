// The WebSocket: events reach the members of a channel and no one else, `posted` carries
// the post as a JSON string (as the real server sends it), `seq` rises by one with no gaps,
// and actions are answered with `seq_reply`.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { call, loginUser, startChatServer } from './support/chat-api.js';
import { ChatSocket } from './support/chat-socket.js';

const QUIET_MS = 300;

test('members get each post, a non-member gets nothing, and seq has no gaps', async () => {
  const server = await startChatServer(3);
  const { url, seed } = server;
  const sockets: ChatSocket[] = [];
  try {
    const tokens = await Promise.all([0, 1, 2].map((index) => loginUser(server, index)));
    const ids = await Promise.all(
      tokens.map(async (token) => (await call(url, 'GET', '/api/v4/users/me', { token })).json.id),
    );
    const channel = await call(url, 'POST', '/api/v4/channels', {
      token: tokens[0],
      body: { team_id: seed.teamId, name: 'pair', display_name: 'Pair', type: 'P' },
    });
    await call(url, 'POST', `/api/v4/channels/${channel.json.id}/members`, {
      token: tokens[0],
      body: { user_id: ids[1] },
    });

    const author = await ChatSocket.open(url, tokens[0], 'challenge');
    const member = await ChatSocket.open(url, tokens[1]);
    const outsider = await ChatSocket.open(url, tokens[2]);
    sockets.push(author, member, outsider);
    assert.equal(author.replies[0]?.status, 'OK', 'the challenge is answered');

    const posts = [];
    for (let index = 0; index < 5; index++) {
      const response = await call(url, 'POST', '/api/v4/posts', {
        token: tokens[0],
        body: { channel_id: channel.json.id, message: `message ${index}` },
      });
      posts.push(response.json);
    }
    await member.waitFor(() => member.named('posted').length === 5, 'five posted events');
    await new Promise((resolve) => setTimeout(resolve, QUIET_MS));

    const received = member.named('posted').map((event) => JSON.parse(event.data.post));
    assert.deepEqual(received, posts, 'the member got every post, as created, in order');
    const first = member.named('posted')[0];
    assert.equal(typeof first.data.post, 'string', 'data.post is a JSON string');
    assert.equal(first.data.channel_name, 'pair');
    assert.equal(first.data.sender_name, '@user-0');
    assert.equal(first.broadcast.channel_id, channel.json.id);
    assert.equal(author.named('posted').length, 5, 'the author is a member too');
    assert.deepEqual(outsider.named('posted'), [], 'the non-member got no post');

    for (const socket of sockets) {
      const seqs = socket.events.map((event) => event.seq);
      assert.deepEqual(
        seqs,
        seqs.map((_, index) => index),
        `seq from 0 without gaps: ${seqs}`,
      );
      assert.equal(socket.events[0].event, 'hello');
    }
  } finally {
    for (const socket of sockets) socket.close();
    await server.close();
  }
});

test('typing goes to the other members, and every action gets its seq_reply', async () => {
  const server = await startChatServer(2);
  const { url, seed } = server;
  const sockets: ChatSocket[] = [];
  try {
    const [typist, reader] = await Promise.all([
      ChatSocket.open(url, await loginUser(server, 0)),
      ChatSocket.open(url, await loginUser(server, 1)),
    ]);
    sockets.push(typist, reader);
    const channelId = seed.channels['town-square'];

    const typingSeq = typist.send('user_typing', { channel_id: channelId, parent_id: '' });
    const pingSeq = typist.send('ping', {});
    const badSeq = typist.send('no_such_action', {});
    await typist.waitFor(() => typist.replies.length === 3, 'three replies');
    await reader.waitFor(() => reader.named('typing').length === 1, 'a typing event');
    await new Promise((resolve) => setTimeout(resolve, QUIET_MS));

    const bySeq = new Map(typist.replies.map((reply) => [reply.seq_reply, reply]));
    assert.equal(bySeq.get(typingSeq)?.status, 'OK');
    assert.equal((bySeq.get(pingSeq)?.data as { text: string }).text, 'pong');
    assert.equal(bySeq.get(badSeq)?.status, 'FAIL');
    assert.equal(bySeq.get(badSeq)?.error?.status_code, 500);
    assert.equal(reader.named('typing')[0].data.user_id, typist.events[0].broadcast.user_id);
    assert.deepEqual(typist.named('typing'), [], 'the typist does not hear itself');
  } finally {
    for (const socket of sockets) socket.close();
    await server.close();
  }
});

test('a socket with a bad token is refused, one without a token must authenticate', async () => {
  const server = await startChatServer(1);
  try {
    await assert.rejects(ChatSocket.open(server.url, 'x'.repeat(26)), /401/);
    await assert.rejects(ChatSocket.open(server.url, 'y'.repeat(26), 'challenge'), /hello|closed/);
  } finally {
    await server.close();
  }
});
