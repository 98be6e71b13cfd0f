// Passwords and sessions. Hashing runs scrypt on libuv's thread pool (the async form), so
// a burst of logins costs CPU, as it does on a real server, without blocking other requests.

import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const KEY_LENGTH = 32;
// A real server's cost. Benchmarks of the generator set CHATLOAD_FAST_PASSWORDS=1 (through
// `launchBundledServer({ fastPasswords: true })`) so that logging in thousands of users
// does not take minutes; hashes record their cost, so both kinds verify.
const COST =
  process.env.CHATLOAD_FAST_PASSWORDS === '1' ? { N: 1024, r: 8, p: 1 } : { N: 16384, r: 8, p: 1 };

function scryptAsync(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, KEY_LENGTH, options, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

/** `scrypt$N$r$p$salt$hash`, so the cost can be raised later without breaking old rows. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, COST);
  return ['scrypt', COST.N, COST.r, COST.p, salt.toString('base64'), key.toString('base64')].join(
    '$',
  );
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || hash === undefined) return false;
  const expected = Buffer.from(hash, 'base64');
  const options = { N: Number(n), r: Number(r), p: Number(p) };
  const key = await scryptAsync(password, Buffer.from(salt, 'base64'), options);
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** The session token of a request: `Authorization: Bearer …` (or the older `Token …`). */
export function tokenOf(request: IncomingMessage): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^(?:bearer|token)\s+(\S+)$/i.exec(header.trim());
  return match?.[1];
}

export const isAdmin = (roles: string) => roles.split(' ').includes('system_admin');
