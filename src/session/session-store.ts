// Sign-in sessions in KV: the whole record (profile and access token) sealed with AES-GCM under the session's id, and a per-user index.

import type { Credentials } from "../oauth1/index.js";
import type { TwitterProfile } from "../twitter/account.js";
import { isRandomId, randomId } from "./random-id.js";
import { seal, unseal } from "./seal.js";
import { storage } from "./storage.js";

/** The prefix of session keys in KV. */
export const SESSION_KEY_PREFIX = "session:";
/**
 * The prefix of the per-user index: an empty key `user-session:<user id>:<session id>` beside each
 * session, expiring with it, so that every session of a user can be listed (sign-out everywhere)
 * without a record that two sign-ins would have to read, change and write back.
 */
export const USER_SESSION_KEY_PREFIX = "user-session:";

/** A session's record, sealed in KV: a KV dump gives no one the user's Twitter access, and a KV write cannot forge or alter one. */
interface SessionRecord {
  profile: TwitterProfile;
  /** The access token and secret. */
  token: string;
  tokenSecret: string;
  /** Unix seconds. */
  createdAt: number;
  /** Unix seconds; absent in records written before rotation existed (then createdAt + the TTL). */
  expiresAt?: number;
}

/** A session read back. */
export interface Session {
  id: string;
  profile: TwitterProfile;
  /** The user's access token and secret. */
  credentials: Credentials;
  /** Unix seconds. */
  createdAt: number;
  expiresAt: number;
  /** Opened with an older SESSION_SECRET than the newest: {@link resealSession} brings it forward. */
  sealedWithOlderSecret: boolean;
  /** Written before the per-user index existed (no `expiresAt`, no index key): {@link resealSession} indexes it. */
  unindexed: boolean;
}

/** The index key of a user's session. */
function indexKey(userId: string, sessionId: string): string {
  return `${USER_SESSION_KEY_PREFIX}${userId}:${sessionId}`;
}

/** Creates a session under a new random id (never the request-token id), and its index key, with the TTL; returns the id. */
export async function createSession(kv: KVNamespace, sessionSecret: string, profile: TwitterProfile, credentials: Credentials, ttlSeconds: number): Promise<string> {
  const id = randomId();
  const createdAt = Math.floor(Date.now() / 1000);
  const record: SessionRecord = { profile, token: credentials.token, tokenSecret: credentials.tokenSecret, createdAt, expiresAt: createdAt + ttlSeconds };
  const sealed = await seal(sessionSecret, id, record);
  // Side by side: neither waits for the other.
  await storage(() =>
    Promise.all([kv.put(SESSION_KEY_PREFIX + id, sealed, { expirationTtl: ttlSeconds }), kv.put(indexKey(profile.id, id), "", { expirationTtl: ttlSeconds })]),
  );
  return id;
}

/**
 * Reads a session, opening it with each of `sessionSecrets` (newest first); undefined when there is
 * none (expired, signed out, never made) and when its record does not open (altered, moved from
 * another id, or sealed under a SESSION_SECRET no longer listed). `ttlSeconds` dates records that
 * predate `expiresAt`.
 */
export async function readSession(kv: KVNamespace, sessionSecrets: readonly string[], id: string, ttlSeconds: number): Promise<Session | undefined> {
  if (!isRandomId(id)) return undefined;
  const sealed = await storage(() => kv.get(SESSION_KEY_PREFIX + id));
  if (sealed === null) return undefined;
  for (const [index, secret] of sessionSecrets.entries()) {
    const record = asSessionRecord(await unseal(secret, id, sealed));
    if (record) {
      const { profile, token, tokenSecret, createdAt } = record;
      const unindexed = record.expiresAt === undefined;
      return { id, profile, credentials: { token, tokenSecret }, createdAt, expiresAt: record.expiresAt ?? createdAt + ttlSeconds, sealedWithOlderSecret: index > 0, unindexed };
    }
  }
  return undefined;
}

// Sessions this isolate has ended: a re-seal already under way must not write one back.
const ended = new Set<string>();

/**
 * Seals the session again with the newest secret (and indexes a record from before the index),
 * keeping when it ends; a session ending within a minute (KV's least) is left as it is.
 *
 * KV has no conditional write, and a put brings back a record deleted meanwhile. So the write is
 * skipped when this isolate ended the session (and a sign-out here waits for a re-seal under way
 * before deleting), and when its index key is gone (a sign-out deletes the record, then the key;
 * this read is rarely cached, since the key is only ever listed). What is left: a sign-out at
 * another location moments before a request here, both within KV's propagation delay.
 */
export function resealSession(kv: KVNamespace, sessionSecret: string, session: Session): Promise<void> {
  const work = writeSealedAgain(kv, sessionSecret, session).finally(() => resealing.delete(session.id));
  resealing.set(session.id, work);
  return work;
}

// Re-seals under way in this isolate, which a sign-out waits for before deleting.
const resealing = new Map<string, Promise<void>>();

async function writeSealedAgain(kv: KVNamespace, sessionSecret: string, session: Session): Promise<void> {
  if (session.expiresAt - Date.now() / 1000 < 60 || ended.has(session.id)) return;
  const key = indexKey(session.profile.id, session.id);
  if (!session.unindexed && (await storage(() => kv.get(key))) === null) return;
  const { profile, credentials, createdAt, expiresAt } = session;
  const record: SessionRecord = { profile, token: credentials.token, tokenSecret: credentials.tokenSecret, createdAt, expiresAt };
  const sealed = await seal(sessionSecret, session.id, record);
  if (ended.has(session.id)) return;
  await storage(() =>
    Promise.all([kv.put(SESSION_KEY_PREFIX + session.id, sealed, { expiration: expiresAt }), session.unindexed ? kv.put(key, "", { expiration: expiresAt }) : undefined]),
  );
}

/**
 * Ends a session: its record first (from then on it opens nothing), then, when its user is known,
 * its index key. A failure leaves the index listing it, so ending it can be tried again.
 */
export async function deleteSession(kv: KVNamespace, id: string, userId?: string): Promise<void> {
  await deleteSessionRecord(kv, id);
  if (userId !== undefined) await deleteSessionIndex(kv, userId, id);
}

/** Deletes a session's record (the session ends; its index key, if any, stays for deleteSessionIndex). */
export async function deleteSessionRecord(kv: KVNamespace, id: string): Promise<void> {
  if (!isRandomId(id)) return;
  if (ended.size >= 1000) ended.clear();
  ended.add(id);
  // A re-seal already writing is let finish first: the delete then comes after its put.
  await resealing.get(id)?.catch(() => undefined);
  await storage(() => kv.delete(SESSION_KEY_PREFIX + id));
}

/** Deletes a session's index key. */
export async function deleteSessionIndex(kv: KVNamespace, userId: string, id: string): Promise<void> {
  if (isRandomId(id)) await storage(() => kv.delete(indexKey(userId, id)));
}

/**
 * Deletes the index keys of sessions whose records are already gone (endUserSessions' ids), side
 * by side; a key left by a failure only names a session that no longer opens, which the next
 * sign-out drops.
 */
export async function deleteSessionIndexes(kv: KVNamespace, userId: string, ids: readonly string[]): Promise<void> {
  await Promise.allSettled(ids.map((id) => deleteSessionIndex(kv, userId, id)));
}

/**
 * The most sessions of one user listed, and so ended by one sign-out everywhere: two deletes each
 * stay under the 1,000 KV operations a Worker invocation may make.
 */
export const MAX_LISTED_SESSIONS = 400;

/**
 * The ids of a user's sessions (at most MAX_LISTED_SESSIONS: a user with more keeps the rest
 * until they expire or their token is refused), from the index. KV's list is eventually
 * consistent: a session started or ended at another location in the last minute may be missing
 * or still listed.
 */
export async function listUserSessions(kv: KVNamespace, userId: string): Promise<string[]> {
  const prefix = `${USER_SESSION_KEY_PREFIX}${userId}:`;
  const listed = await storage(() => kv.list({ prefix, limit: MAX_LISTED_SESSIONS }));
  return listed.keys.map((key) => key.name.slice(prefix.length)).filter(isRandomId);
}

/** Ends a session known only by its id (a browser's previous one): its record names the user, so its index key goes too. */
export async function endSessionById(kv: KVNamespace, sessionSecrets: readonly string[], id: string, ttlSeconds: number): Promise<void> {
  const session = await readSession(kv, sessionSecrets, id, ttlSeconds);
  await deleteSession(kv, id, session?.profile.id);
}

/**
 * Ends every listed session of a user but `last`, then `last` (so that while another fails, the
 * browser holding `last` can still try again): their records only. Throws (503) when a record
 * could not be deleted; its index key still lists it. Resolves with the ids ended, for
 * deleteSessionIndex.
 */
export async function endUserSessions(kv: KVNamespace, userId: string, last: string): Promise<string[]> {
  const others = (await listUserSessions(kv, userId)).filter((id) => id !== last);
  const results = await Promise.allSettled(others.map((id) => deleteSessionRecord(kv, id)));
  const failed = results.find((result) => result.status === "rejected");
  if (failed) throw failed.reason;
  await deleteSessionRecord(kv, last);
  return [last, ...others];
}

/** Our own record, opened; anything else counts as none. */
function asSessionRecord(value: unknown): SessionRecord | undefined {
  const record = value as Partial<SessionRecord> | undefined;
  return typeof record?.token === "string" && typeof record.tokenSecret === "string" && typeof record.profile?.screenName === "string" && typeof record.createdAt === "number"
    ? (record as SessionRecord)
    : undefined;
}
