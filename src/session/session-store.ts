// Sign-in sessions in KV: the profile in clear, the access token and secret sealed with AES-GCM.

import type { Credentials } from "../oauth1/index.js";
import type { TwitterProfile } from "../twitter/account.js";
import { isRandomId, randomId } from "./random-id.js";
import { storage } from "./storage.js";
import { decryptCredentials, encryptCredentials } from "./token-encryption.js";

/** The prefix of session keys in KV. */
export const SESSION_KEY_PREFIX = "session:";

/** A session as kept in KV: a KV dump alone gives no one the user's Twitter access. */
interface StoredSession {
  profile: TwitterProfile;
  /** The access token and secret, sealed (see token-encryption.ts). */
  credentials: string;
  /** Unix seconds. */
  createdAt: number;
}

/** A session read back, with a way to unseal the user's token credentials. */
export interface Session {
  id: string;
  profile: TwitterProfile;
  /** The access token and secret; undefined when the record was altered or SESSION_SECRET changed. */
  credentials(): Promise<Credentials | undefined>;
}

/** Creates a session under a new random id (never the request-token id), with the TTL; returns the id. */
export async function createSession(kv: KVNamespace, sessionSecret: string, profile: TwitterProfile, credentials: Credentials, ttlSeconds: number): Promise<string> {
  const id = randomId();
  const stored: StoredSession = {
    profile,
    credentials: await encryptCredentials(sessionSecret, id, credentials),
    createdAt: Math.floor(Date.now() / 1000),
  };
  await storage(() => kv.put(SESSION_KEY_PREFIX + id, JSON.stringify(stored), { expirationTtl: ttlSeconds }));
  return id;
}

/** Reads a session; undefined when there is none (expired, signed out, never made). */
export async function readSession(kv: KVNamespace, sessionSecret: string, id: string): Promise<Session | undefined> {
  if (!isRandomId(id)) return undefined;
  const text = await storage(() => kv.get(SESSION_KEY_PREFIX + id));
  if (text === null) return undefined;
  const stored = parseStoredSession(text);
  if (!stored) return undefined;
  return {
    id,
    profile: stored.profile,
    credentials: () => decryptCredentials(sessionSecret, id, stored.credentials),
  };
}

/** Deletes a session (signing out). */
export async function deleteSession(kv: KVNamespace, id: string): Promise<void> {
  if (isRandomId(id)) await storage(() => kv.delete(SESSION_KEY_PREFIX + id));
}

/** Our own record, read back; anything else in its place (not JSON, no profile or credentials) counts as none. */
function parseStoredSession(text: string): StoredSession | undefined {
  try {
    const value = JSON.parse(text) as Partial<StoredSession> | null;
    return typeof value?.credentials === "string" && typeof value.profile?.screenName === "string" ? (value as StoredSession) : undefined;
  } catch {
    return undefined;
  }
}
