// Ids as Mattermost makes them: 26 lowercase base32 characters from 128 random bits.
// Session tokens use the same form, so a token is unguessable and looks familiar.

import { randomBytes } from 'node:crypto';

const ALPHABET = 'ybndrfg8ejkmcpqxot1uwisza345h769';
const BATCH = 16 * 256;

let pool = randomBytes(BATCH);
let offset = 0;

export function newId(): string {
  // Drawing 16 bytes at a time from a larger buffer keeps id creation off the hot path.
  if (offset + 16 > pool.length) {
    pool = randomBytes(BATCH);
    offset = 0;
  }
  let bits = 0;
  let value = 0;
  let id = '';
  for (let index = offset; index < offset + 16; index++) {
    value = (value << 8) | pool[index];
    bits += 8;
    while (bits >= 5) {
      id += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  offset += 16;
  return id + ALPHABET[(value << (5 - bits)) & 31];
}

const ID_PATTERN = /^[a-z0-9]{26}$/;

export function isId(value: unknown): value is string {
  return typeof value === 'string' && ID_PATTERN.test(value);
}
