// The request-token store: each request token and its secret in KV under a random id, read once.

import { isRandomId, randomId } from "./random-id.ts";

/** How long a request token is kept: X's request tokens live about 15 minutes (KV's minimum TTL is 60 s). */
export const REQUEST_TOKEN_TTL_SECONDS = 15 * 60;

/** What /login keeps for /auth. Never sent to the browser. */
export interface PendingSignIn {
  token: string;
  tokenSecret: string;
  /** Unix seconds when /login stored it. */
  createdAt: number;
}

const KEY_PREFIX = "request-token:";

/** Stores a pending sign-in under a fresh random id, with the TTL; returns the id. */
export async function saveRequestToken(kv: KVNamespace, pending: PendingSignIn): Promise<string> {
  const id = randomId();
  await kv.put(KEY_PREFIX + id, JSON.stringify(pending), { expirationTtl: REQUEST_TOKEN_TTL_SECONDS });
  return id;
}

/**
 * Reads the pending sign-in for an id and deletes it, whatever happens next: a request token
 * works once. Returns undefined when there is none (expired, used, or never issued).
 */
export async function takeRequestToken(kv: KVNamespace, id: string): Promise<PendingSignIn | undefined> {
  if (!isRandomId(id)) return undefined;
  const key = KEY_PREFIX + id;
  const stored = await kv.get(key);
  if (stored === null) return undefined;
  await kv.delete(key);
  return parsePendingSignIn(stored);
}

function parsePendingSignIn(stored: string): PendingSignIn | undefined {
  try {
    const value: unknown = JSON.parse(stored);
    if (typeof value !== "object" || value === null) return undefined;
    const { token, tokenSecret, createdAt } = value as Record<string, unknown>;
    if (typeof token !== "string" || typeof tokenSecret !== "string" || typeof createdAt !== "number") return undefined;
    return { token, tokenSecret, createdAt };
  } catch {
    return undefined;
  }
}
