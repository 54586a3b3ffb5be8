// Sign-in sessions in KV: the whole record (profile and access token) sealed with AES-GCM under the session's id.

import type { Credentials } from "../oauth1/index.js";
import type { TwitterProfile } from "../twitter/account.js";
import { isRandomId, randomId } from "./random-id.js";
import { seal, unseal } from "./seal.js";
import { storage } from "./storage.js";

/** The prefix of session keys in KV. */
export const SESSION_KEY_PREFIX = "session:";

/** A session's record, sealed in KV: a KV dump gives no one the user's Twitter access, and a KV write cannot forge or alter one. */
interface SessionRecord {
  profile: TwitterProfile;
  /** The access token and secret. */
  token: string;
  tokenSecret: string;
  /** Unix seconds. */
  createdAt: number;
}

/** A session read back. */
export interface Session {
  id: string;
  profile: TwitterProfile;
  /** The user's access token and secret. */
  credentials: Credentials;
}

/** Creates a session under a new random id (never the request-token id), with the TTL; returns the id. */
export async function createSession(kv: KVNamespace, sessionSecret: string, profile: TwitterProfile, credentials: Credentials, ttlSeconds: number): Promise<string> {
  const id = randomId();
  const record: SessionRecord = { profile, token: credentials.token, tokenSecret: credentials.tokenSecret, createdAt: Math.floor(Date.now() / 1000) };
  const sealed = await seal(sessionSecret, id, record);
  await storage(() => kv.put(SESSION_KEY_PREFIX + id, sealed, { expirationTtl: ttlSeconds }));
  return id;
}

/**
 * Reads a session; undefined when there is none (expired, signed out, never made) and when its
 * record does not open (altered, moved from another id, or sealed under another SESSION_SECRET).
 */
export async function readSession(kv: KVNamespace, sessionSecret: string, id: string): Promise<Session | undefined> {
  if (!isRandomId(id)) return undefined;
  const sealed = await storage(() => kv.get(SESSION_KEY_PREFIX + id));
  if (sealed === null) return undefined;
  const record = asSessionRecord(await unseal(sessionSecret, id, sealed));
  return record && { id, profile: record.profile, credentials: { token: record.token, tokenSecret: record.tokenSecret } };
}

/** Deletes a session (signing out). */
export async function deleteSession(kv: KVNamespace, id: string): Promise<void> {
  if (isRandomId(id)) await storage(() => kv.delete(SESSION_KEY_PREFIX + id));
}

/** Our own record, opened; anything else counts as none. */
function asSessionRecord(value: unknown): SessionRecord | undefined {
  const record = value as Partial<SessionRecord> | undefined;
  return typeof record?.token === "string" && typeof record.tokenSecret === "string" && typeof record.profile?.screenName === "string" ? (record as SessionRecord) : undefined;
}
