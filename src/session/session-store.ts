// Sign-in sessions: the whole record (profile and access token) sealed with AES-GCM under the session's id, kept by the store the env binds (store.ts).

import type { Credentials } from "../oauth1/index.js";
import type { TwitterProfile } from "../twitter/account.js";
import { toBase64Url } from "./base64url.js";
import { randomId } from "./random-id.js";
import { seal, unseal } from "./seal.js";
import { userShard } from "./shard.js";
import { type Defer, type DeviceFields, LAST_SEEN_INTERVAL_MS, MOVED_GRANT_PREFIX, type SessionOwner, type SessionRef, type SignInStore, type StoredDevice } from "./store.js";

/** An OAuth 2.0 grant a session holds: X's access token, its expiry and the granted scope, and the refresh token (single-use at X). */
export interface OAuth2Grant {
  accessToken: string;
  refreshToken: string | undefined;
  /** Unix milliseconds. */
  accessTokenExpiresAt: number;
  /** The scope X granted, space-separated. */
  scope: string;
}

/** A session's record, sealed in the store: a dump of it gives no one the user's Twitter access, and a write to it cannot forge or alter one. */
interface SessionRecord {
  profile: TwitterProfile;
  /** The OAuth 1.0a access token and secret; empty strings for a session started under OAuth 2.0. */
  token: string;
  tokenSecret: string;
  /** The protocol the session's X access uses now; absent in records written before OAuth 2.0 (then 1.0a). */
  protocol?: "1.0a" | "2.0";
  /** Its OAuth 2.0 grant, under 2.0. */
  oauth2?: OAuth2Grant;
  /** Unix seconds. */
  createdAt: number;
  /** Unix milliseconds; absent in records written before sign-out everywhere had a mark (then createdAt × 1000). */
  createdAtMs?: number;
  /** Unix seconds; absent in records written before rotation existed (then createdAt + the TTL). */
  expiresAt?: number;
}

/** A session read back. */
export interface Session extends SessionRef {
  profile: TwitterProfile;
  /** The user's OAuth 1.0a access token and secret (empty strings for a session started under OAuth 2.0). */
  credentials: Credentials;
  /** The OAuth 2.0 grant, when the session's X access uses OAuth 2.0. */
  oauth2: OAuth2Grant | undefined;
  /** Unix seconds. */
  createdAt: number;
  /** Unix milliseconds (what a sign-out everywhere's mark is compared with): when its sign-in began. */
  createdAtMs: number;
  /** Unix seconds. */
  expiresAt: number;
  /** Opened with an older SESSION_SECRET than the newest: {@link resealSession} brings it forward. */
  sealedWithOlderSecret: boolean;
  /** Written before the per-user index existed (no `expiresAt`): {@link resealSession} indexes it. */
  legacy: boolean;
  /** What the devices list holds of it; undefined when the store lists it nowhere. */
  device: StoredDevice | undefined;
}

/** A session's record opened: what the store needs of it, and the session. */
type Opened = SessionOwner & { session: Omit<Session, "id" | "shard" | "device"> };

/**
 * Creates a session under a new random id (never the request-token id) with the TTL, in the
 * user's shard, and ends their oldest sessions beyond `limit`; returns its id and shard (which the
 * cookie names). Undefined, and nothing stored, when the user signed out everywhere after
 * `startedAt` (unix ms, when the sign-in began; none: not checked, for a session made directly).
 */
export async function createSession(
  store: SignInStore,
  sessionSecret: string,
  profile: TwitterProfile,
  credentials: Credentials | OAuth2Grant,
  options: { ttlSeconds: number; limit: number; device: DeviceFields; defer: Defer; startedAt?: number },
): Promise<SessionRef | undefined> {
  const id = randomId();
  const now = Date.now();
  const createdAt = Math.floor(now / 1000);
  const expiresAt = createdAt + options.ttlSeconds;
  const access =
    "accessToken" in credentials
      ? { token: "", tokenSecret: "", protocol: "2.0" as const, oauth2: credentials }
      : { token: credentials.token, tokenSecret: credentials.tokenSecret };
  // What a sign-out everywhere's mark is compared with: when the sign-in began. A session whose
  // sign-in began before the mark opens nowhere that has seen it, even where the store's check at
  // creation read a stale mark (KV at another location, within its propagation delay).
  const startedMs = Math.min(options.startedAt ?? now, now);
  const record: SessionRecord = { profile, ...access, createdAt, createdAtMs: startedMs, expiresAt };
  const [sealed, shard] = await Promise.all([seal(sessionSecret, id, record), userShard(profile.id)]);
  const created = await store.createSession({ id, userId: profile.id, sealed, createdAt: startedMs, expiresAt, ...options.device }, shard, options.limit, options.defer, options.startedAt);
  return created ? { id, shard } : undefined;
}

/**
 * Reads a session, opening it with each of `sessionSecrets` (newest first); undefined when there
 * is none (expired, signed out, never made, or its user signed out everywhere since) and when its
 * record does not open (altered, moved from another id, or sealed under a SESSION_SECRET no longer
 * listed). `ttlSeconds` dates records that predate `expiresAt`.
 */
export async function readSession(store: SignInStore, sessionSecrets: readonly string[], ref: SessionRef, ttlSeconds: number): Promise<Session | undefined> {
  const read = await store.readSession(ref, (sealed) => openRecord(sessionSecrets, ref.id, sealed, ttlSeconds));
  return read && { id: ref.id, shard: ref.shard, ...read.opened.session, device: read.device };
}

async function openRecord(sessionSecrets: readonly string[], id: string, sealed: string, ttlSeconds: number): Promise<Opened | undefined> {
  for (const [index, secret] of sessionSecrets.entries()) {
    const record = asSessionRecord(await unseal(secret, id, sealed));
    if (record) {
      const { profile, token, tokenSecret, createdAt, oauth2 } = record;
      const createdAtMs = record.createdAtMs ?? createdAt * 1000;
      const expiresAt = record.expiresAt ?? createdAt + ttlSeconds;
      return {
        userId: profile.id,
        createdAt: createdAtMs,
        expiresAt,
        session: { profile, credentials: { token, tokenSecret }, oauth2: record.protocol === "2.0" ? oauth2 : undefined, createdAt, createdAtMs, expiresAt, sealedWithOlderSecret: index > 0, legacy: record.expiresAt === undefined },
      };
    }
  }
  return undefined;
}

/** The store's view of a session: whose it is, and its times. */
function owner(session: Session): SessionOwner {
  return { userId: session.profile.id, createdAt: session.createdAtMs, expiresAt: session.expiresAt };
}

/**
 * Seals the session again with the newest secret (and indexes a record from before the index),
 * keeping when it ends; a session ending within a minute is left as it is. The store never
 * writes back a session that has ended.
 */
export async function resealSession(store: SignInStore, sessionSecret: string, session: Session): Promise<void> {
  const { profile, credentials, createdAt, createdAtMs, expiresAt } = session;
  const record: SessionRecord = { profile, token: credentials.token, tokenSecret: credentials.tokenSecret, ...oauth2Fields(session.oauth2), createdAt, createdAtMs, expiresAt };
  await store.resealSession(session, { ...owner(session), legacy: session.legacy }, () => seal(sessionSecret, session.id, record));
}

/**
 * Notes the session's use for the devices list unless the read showed a lastSeenAt of the last few
 * minutes (a store whose read does not show it, KV, looks itself); a session the store lists
 * nowhere (ended elsewhere, or from before the index) is left to resealSession.
 */
export async function touchSession(store: SignInStore, session: Session): Promise<void> {
  const { device } = session;
  if (device?.lastSeenAt !== undefined && Date.now() - device.lastSeenAt < LAST_SEEN_INTERVAL_MS) return;
  await store.touchSession(session, { ...owner(session), userAgent: device?.userAgent, country: device?.country });
}

/** Ends a session known only by its id (a browser's previous one): read first, so that its user's index forgets it too. */
export async function endSessionById(store: SignInStore, sessionSecrets: readonly string[], ref: SessionRef, ttlSeconds: number, defer: Defer): Promise<void> {
  const session = await readSession(store, sessionSecrets, ref, ttlSeconds);
  await store.endSession(ref, session?.profile.id, defer);
}

/**
 * How many other sessions of the session's user still open and hold a 1.0a token (began under
 * 1.0a, moved or not): none means it was the last holder of the user's token (an `id` of none
 * counts them all). A session that began under 2.0 holds a grant of its own, not the token.
 */
export function countOtherSessions(store: SignInStore, sessionSecrets: readonly string[], session: Pick<Session, "id" | "shard"> & { profile: Pick<TwitterProfile, "id"> }, ttlSeconds: number): Promise<number> {
  return store.countOtherSessions(session.profile.id, session.shard, session.id, async (id, sealed) => {
    const opened = await openRecord(sessionSecrets, id, sealed, ttlSeconds);
    return opened?.session.credentials.token ? opened : undefined;
  });
}

/** The record's OAuth 2.0 fields for a grant (none for a 1.0a session). */
function oauth2Fields(grant: OAuth2Grant | undefined): Pick<SessionRecord, "protocol" | "oauth2"> {
  return grant === undefined ? {} : { protocol: "2.0", oauth2: grant };
}

/** Our own record, opened; anything else counts as none (a 2.0 record without its grant included). */
function asSessionRecord(value: unknown): SessionRecord | undefined {
  const record = value as Partial<SessionRecord> | undefined;
  const grant = record?.oauth2;
  if (record?.protocol === "2.0" && (typeof grant?.accessToken !== "string" || typeof grant.accessTokenExpiresAt !== "number" || typeof grant.scope !== "string")) return undefined;
  return typeof record?.token === "string" && typeof record.tokenSecret === "string" && typeof record.profile?.screenName === "string" && typeof record.createdAt === "number"
    ? (record as SessionRecord)
    : undefined;
}

/**
 * The session's newest OAuth 2.0 grant: a refreshed one kept beside the record (store.saveRefreshedGrant),
 * else the record's own. A kept grant that does not open (another SESSION_SECRET, altered) counts as none.
 */
export async function readNewestGrant(store: SignInStore, sessionSecrets: readonly string[], session: Session): Promise<OAuth2Grant | undefined> {
  const holder = await grantHolder(session);
  const sealed = await store.readRefreshedGrant(holder);
  if (sealed !== null) {
    for (const secret of sessionSecrets) {
      const grant = asGrant(await unseal(secret, `grant:${holder.id}`, sealed));
      if (grant) return grant;
    }
  }
  return session.oauth2;
}

/** Keeps a refreshed grant for the session (sealed under its own context, so it can never pass for a record) and lets the refresh lease go. */
export async function saveRefreshedGrant(store: SignInStore, sessionSecret: string, session: Session, grant: OAuth2Grant): Promise<void> {
  const holder = await grantHolder(session);
  await store.saveRefreshedGrant(holder, owner(session), await seal(sessionSecret, `grant:${holder.id}`, grant));
}

/**
 * Whose OAuth 2.0 grant a session uses: its own when it began under 2.0; when it began under 1.0a,
 * one grant shared by every session of the user holding the same 1.0a token, under an id made from
 * that token's hash. X gives a user one 1.0a token per app, shared by all their devices, and
 * exchanging it again ends the pair issued before: a grant per session would sign every device
 * but the last one to move out of X. The store keeps, leases and reads it like a session's.
 */
export async function grantHolder(session: Session): Promise<Session> {
  if (session.oauth2 !== undefined || session.id.startsWith(MOVED_GRANT_PREFIX)) return session;
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${session.profile.id}\n${session.credentials.token}`));
  return { ...session, id: MOVED_GRANT_PREFIX + toBase64Url(new Uint8Array(digest)).slice(0, 32) };
}

function asGrant(value: unknown): OAuth2Grant | undefined {
  const grant = value as Partial<OAuth2Grant> | undefined;
  return typeof grant?.accessToken === "string" && typeof grant.accessTokenExpiresAt === "number" && typeof grant.scope === "string" ? (grant as OAuth2Grant) : undefined;
}
