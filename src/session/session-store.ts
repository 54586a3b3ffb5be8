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
      return { id, profile, credentials: { token, tokenSecret }, createdAt, expiresAt: record.expiresAt ?? createdAt + ttlSeconds, sealedWithOlderSecret: index > 0 };
    }
  }
  return undefined;
}

/** Seals the session again with the newest secret, keeping when it ends; a session ending within a minute (KV's least) is left as it is. */
export async function resealSession(kv: KVNamespace, sessionSecret: string, session: Session): Promise<void> {
  if (session.expiresAt - Date.now() / 1000 < 60) return;
  const { profile, credentials, createdAt, expiresAt } = session;
  const record: SessionRecord = { profile, token: credentials.token, tokenSecret: credentials.tokenSecret, createdAt, expiresAt };
  const sealed = await seal(sessionSecret, session.id, record);
  await storage(() => kv.put(SESSION_KEY_PREFIX + session.id, sealed, { expiration: expiresAt }));
}

/** Deletes a session and, when its user is known, its index key (signing out). */
export async function deleteSession(kv: KVNamespace, id: string, userId?: string): Promise<void> {
  if (!isRandomId(id)) return;
  await storage(() => Promise.all([kv.delete(SESSION_KEY_PREFIX + id), userId === undefined ? undefined : kv.delete(indexKey(userId, id))]));
}

/**
 * The most sessions of one user listed, and so ended by one sign-out everywhere: two deletes each
 * stay under the 1,000 KV operations a Worker invocation may make.
 */
export const MAX_LISTED_SESSIONS = 400;

/**
 * The ids of a user's sessions (at most MAX_LISTED_SESSIONS), from the index. KV's list is
 * eventually consistent: a session started or ended at another location in the last minute may be
 * missing or still listed.
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

/** Our own record, opened; anything else counts as none. */
function asSessionRecord(value: unknown): SessionRecord | undefined {
  const record = value as Partial<SessionRecord> | undefined;
  return typeof record?.token === "string" && typeof record.tokenSecret === "string" && typeof record.profile?.screenName === "string" && typeof record.createdAt === "number"
    ? (record as SessionRecord)
    : undefined;
}
