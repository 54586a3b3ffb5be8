// The request-token store: each request token and its secret in KV under a random id, read once.

import { isRandomId, randomId } from "./random-id.js";
import { storage } from "./storage.js";

/** How long a request token is kept: X's request tokens live about 15 minutes (KV's minimum TTL is 60 s). */
export const REQUEST_TOKEN_TTL_SECONDS = 15 * 60;

/** What /login keeps for /auth. Never sent to the browser. */
export interface PendingSignIn {
  token: string;
  tokenSecret: string;
  /** Where /auth sends the browser afterwards (a same-origin path), if /login was asked to. */
  next?: string;
}

/** The prefix of request-token keys in KV. */
export const REQUEST_TOKEN_KEY_PREFIX = "request-token:";

// Ids being taken in this isolate: a second callback for the same sign-in arriving while the first
// is still at work is refused here; across isolates X's own one-time rule refuses it.
const taking = new Set<string>();

/** Stores a pending sign-in under a fresh random id, with the TTL; returns the id. */
export async function saveRequestToken(kv: KVNamespace, pending: PendingSignIn): Promise<string> {
  const id = randomId();
  await storage(() => kv.put(REQUEST_TOKEN_KEY_PREFIX + id, JSON.stringify(pending), { expirationTtl: REQUEST_TOKEN_TTL_SECONDS }));
  return id;
}

/**
 * Reads the pending sign-in for an id and deletes it, whatever happens next: a request token
 * works once. Returns undefined when there is none (expired, used, or never issued).
 */
export async function takeRequestToken(kv: KVNamespace, id: string): Promise<PendingSignIn | undefined> {
  if (!isRandomId(id) || taking.has(id)) return undefined;
  const key = REQUEST_TOKEN_KEY_PREFIX + id;
  taking.add(id);
  try {
    const stored = await storage(() => kv.get(key));
    if (stored === null) return undefined;
    await storage(() => kv.delete(key));
    return parsePendingSignIn(stored);
  } finally {
    taking.delete(id);
  }
}

/** Our own record, read back; anything else in its place (not JSON, no token or secret) counts as none. */
function parsePendingSignIn(stored: string): PendingSignIn | undefined {
  try {
    const value = JSON.parse(stored) as Partial<PendingSignIn> | null;
    return typeof value?.token === "string" && typeof value.tokenSecret === "string" ? (value as PendingSignIn) : undefined;
  } catch {
    return undefined;
  }
}
