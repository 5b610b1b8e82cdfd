/**
 * Stateless session tokens (`<user>.<expiresAtMs>.<signature>`, HMAC-SHA256 with a shared
 * secret), so that any replica verifies what any other issued.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const sign = (secret: string, payload: string) =>
  createHmac('sha256', secret).update(payload).digest('base64url');

/** A token for `user`, valid for `ttlMs`. */
export function issueToken(secret: string, user: string, nowMs: number, ttlMs: number) {
  const expiresAtMs = nowMs + ttlMs;
  const payload = `${Buffer.from(user).toString('base64url')}.${expiresAtMs}`;
  return { token: `${payload}.${sign(secret, payload)}`, expiresAtMs };
}

/** The user of a valid, unexpired token, or `undefined`. */
export function verifyToken(secret: string, token: string, nowMs: number): string | undefined {
  const [user, expiresAt, signature] = token.split('.');
  if (user === undefined || expiresAt === undefined || signature === undefined) return undefined;
  const expected = Buffer.from(sign(secret, `${user}.${expiresAt}`));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
  if (Number(expiresAt) < nowMs) return undefined;
  return Buffer.from(user, 'base64url').toString();
}
