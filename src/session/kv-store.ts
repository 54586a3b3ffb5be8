// The sign-in store in Workers KV (the default): every entry under its own key with KV's expiry, a per-user index, and a per-user sign-out mark.

import { DEVICES_LISTED, type Defer, type DeviceFields, LAST_SEEN_INTERVAL_MS, type NewSession, type SessionOwner, type SessionRef, type SignInStore, type StoredDevice } from "./store.js";
import { isRandomId } from "./random-id.js";
import { userShard } from "./shard.js";
import { storage } from "./storage.js";

/** The prefix of request-token (pending sign-in) keys. */
export const REQUEST_TOKEN_KEY_PREFIX = "request-token:";
/** The prefix of session keys: the sealed record, nothing else. */
export const SESSION_KEY_PREFIX = "session:";
/**
 * The prefix of the per-user index: `user-session:<user id>:<session id>` beside each session,
 * expiring with it, its metadata the devices list's fields; so every session of a user can be
 * listed without a record that two sign-ins would have to read, change and write back.
 */
export const USER_SESSION_KEY_PREFIX = "user-session:";
/**
 * The prefix of the per-user sign-out mark: `user-signed-out:<user's shard>` holds when the user
 * last signed out everywhere (unix ms), and every session read checks it, so a session that
 * sign-out could not delete (more than an invocation may, or missed by KV's eventually consistent
 * list) opens nothing either. Keyed by the shard (shard.ts), which the session cookie names, so a
 * read gets the record and the mark side by side.
 */
export const SIGNED_OUT_KEY_PREFIX = "user-signed-out:";
/** The prefix of a session's refreshed OAuth 2.0 grant (sealed), expiring with the session; read only while its record opens. */
export const GRANT_KEY_PREFIX = "session-grant:";
/** The prefix of a session's refresh lease: until when (unix ms) one request refreshes its grant. */
export const REFRESH_LEASE_KEY_PREFIX = "refresh-lease:";

/**
 * KV operations one sign-out everywhere may make: a Worker invocation may make 1,000 (Free and
 * Paid alike); the rest is left to the session read before it, the other calls of the request
 * and its waitUntil work. Sessions beyond it are refused by the mark and expire with their TTL.
 */
export const SIGN_OUT_OPERATION_BUDGET = 900;

/** What an index key's metadata holds (absent on keys from before the devices list). */
interface IndexMetadata extends DeviceFields {
  createdAt?: number;
  lastSeenAt?: number;
}

// Sessions this isolate has ended: an index write already under way takes its key back.
const ended = new Set<string>();
// When this isolate last looked at a session's lastSeenAt (unix ms): it looks again after LAST_SEEN_INTERVAL_MS only, so most reads stay two KV reads.
const lookedAt = new Map<string, number>();

/** The KV store over one namespace. `operationBudget` bounds what one sign-out everywhere deletes (tests lower it). */
export function kvStore(kv: KVNamespace, operationBudget = SIGN_OUT_OPERATION_BUDGET): SignInStore {
  const indexKey = (userId: string, sessionId: string) => `${USER_SESSION_KEY_PREFIX}${userId}:${sessionId}`;
  /** When the user whose shard this is last signed out everywhere (unix ms; 0: never). */
  const signedOut = async (shard: string) => Number((await kv.get(SIGNED_OUT_KEY_PREFIX + shard)) ?? 0);
  const signedOutUser = async (userId: string) => signedOut(await userShard(userId));

  /** Deletes a session's record: from then on it opens nothing. */
  const deleteRecord = async (id: string) => {
    if (ended.size >= 1000) ended.clear();
    ended.add(id);
    await storage(() => kv.delete(SESSION_KEY_PREFIX + id));
  };
  /** Deletes index keys of sessions whose records are gone; a key left by a failure names a session that no longer opens. */
  const deleteIndexKeys = (userId: string, ids: readonly string[]) => Promise.allSettled(ids.map((id) => kv.delete(indexKey(userId, id))));

  /** Index keys of the user, following the list cursor for at most `pages` pages (one KV operation each) of at most `limit` keys. */
  const listIndex = async (userId: string, pages: number, limit = 1000) => {
    const prefix = indexKey(userId, "");
    const keys: { id: string; metadata: IndexMetadata | null }[] = [];
    let cursor: string | undefined;
    let listed = 0;
    do {
      const page: KVNamespaceListResult<IndexMetadata> = await storage(() => kv.list<IndexMetadata>({ prefix, limit, ...(cursor ? { cursor } : {}) }));
      listed++;
      for (const key of page.keys) {
        const id = key.name.slice(prefix.length);
        if (isRandomId(id)) keys.push({ id, metadata: key.metadata ?? null });
      }
      cursor = page.list_complete ? undefined : page.cursor;
    } while (cursor && listed < pages);
    return { keys, listed, complete: cursor === undefined };
  };

  const device = (id: string, metadata: IndexMetadata | null): StoredDevice => ({ ...metadata, id });

  const writeIndex = (userId: string, sessionId: string, expiresAt: number, metadata: IndexMetadata) => kv.put(indexKey(userId, sessionId), "", { expiration: expiresAt, metadata });
  /**
   * Writes an existing session's index key, then takes it back if the session's record is gone by
   * then: a sign-out that deleted both meanwhile must not find its device listed again. (At another
   * location KV's reads may lag: such a key lists a session that opens nothing, until it expires or
   * is signed out from the list.)
   */
  const writeLiveIndex = async (userId: string, sessionId: string, expiresAt: number, metadata: IndexMetadata) => {
    await storage(() => writeIndex(userId, sessionId, expiresAt, metadata));
    if ((await storage(() => kv.get(SESSION_KEY_PREFIX + sessionId))) === null || ended.has(sessionId)) await storage(() => kv.delete(indexKey(userId, sessionId)));
  };

  return {
    savePendingSignIn: (id, value, ttlSeconds) => storage(() => kv.put(REQUEST_TOKEN_KEY_PREFIX + id, value, { expirationTtl: ttlSeconds })),
    readPendingSignIn: (id) => storage(() => kv.get(REQUEST_TOKEN_KEY_PREFIX + id)),
    takePendingSignIn: (id) => storage(() => kv.delete(REQUEST_TOKEN_KEY_PREFIX + id)).then(() => true),

    async createSession(session, shard, limit, defer, startedAt) {
      const { id, userId, sealed, createdAt, expiresAt, userAgent, country } = session;
      // A sign-in begun before the user's last sign-out everywhere (a callback held past it) starts nothing.
      if (startedAt !== undefined && (await storage(() => (shard === undefined ? signedOutUser(userId) : signedOut(shard)))) > startedAt) return false;
      // Side by side: neither waits for the other.
      await storage(() =>
        Promise.all([
          kv.put(SESSION_KEY_PREFIX + id, sealed, { expiration: expiresAt }),
          // (KV keeps metadata as JSON: a field left undefined is not stored.)
          writeIndex(userId, id, expiresAt, { createdAt, lastSeenAt: createdAt, userAgent, country }),
        ]),
      );
      // The cap, after the answer: KV's list is eventually consistent, so it holds within a minute.
      await defer(
        (async () => {
          const { keys } = await listIndex(userId, 1);
          const oldest = keys.sort((a, b) => (b.metadata?.createdAt ?? 0) - (a.metadata?.createdAt ?? 0)).slice(limit);
          await Promise.all(oldest.map((key) => deleteRecord(key.id)));
          await deleteIndexKeys(userId, oldest.map((key) => key.id));
        })(),
      );
      return true;
    },

    /**
     * The record and the user's sign-out mark side by side, when the cookie names the user's shard
     * (it is checked against the record's user once opened); one after the other for a cookie from
     * before the shard. The devices list's index key is not read here: touchSession reads it, after
     * the answer.
     */
    async readSession<T extends SessionOwner>(ref: SessionRef, open: (sealed: string) => Promise<T | undefined>) {
      if (!isRandomId(ref.id)) return undefined;
      const shard = ref.shard !== undefined && isRandomId(ref.shard) ? ref.shard : undefined;
      const [sealed, markByCookie] = await storage(() => Promise.all([kv.get(SESSION_KEY_PREFIX + ref.id), shard === undefined ? undefined : signedOut(shard)]));
      if (sealed === null) return undefined;
      const opened = await open(sealed);
      if (!opened) return undefined;
      const own = await userShard(opened.userId);
      // Signed with the session's id, the shard is ours; one that is not the record's user's opens nothing.
      if (shard !== undefined && shard !== own) return undefined;
      const mark = markByCookie ?? (await storage(() => signedOut(own)));
      if (opened.createdAt <= mark) return undefined;
      return { opened, device: undefined };
    },

    /**
     * KV has no conditional write: a put could bring back a record that a sign-out deleted meanwhile
     * (in another isolate, or at another location), for the session's whole lifetime. So the record
     * is never written again: it keeps the seal it was made with, which opens while that secret is
     * listed in SESSION_SECRET, and a rotation waits one session lifetime anyway, by which time it
     * has expired; only the cookie moves to the newest secret. A session from before the index
     * (`legacy`) is indexed, as touchSession writes the key.
     */
    async resealSession(ref, owner) {
      if (!owner.legacy || owner.expiresAt - Date.now() / 1000 < 60 || ended.has(ref.id)) return;
      await writeLiveIndex(owner.userId, ref.id, owner.expiresAt, { createdAt: owner.createdAt, lastSeenAt: Date.now() });
    },

    /**
     * Only the index key, and only when its lastSeenAt is older than LAST_SEEN_INTERVAL_MS (this
     * isolate looks at most that often): a record written back could bring an ended session back; a
     * stray key only lists one. A session whose key is gone (ended, or from before the index) is
     * left alone.
     */
    async touchSession(ref, owner) {
      const now = Date.now();
      if (owner.expiresAt - now / 1000 < 60 || ended.has(ref.id) || now - (lookedAt.get(ref.id) ?? 0) < LAST_SEEN_INTERVAL_MS) return;
      if (lookedAt.size >= 1000) lookedAt.clear();
      lookedAt.set(ref.id, now);
      const key = indexKey(owner.userId, ref.id);
      const index = await storage(() => kv.getWithMetadata<IndexMetadata>(key));
      if (index.value === null || now - (index.metadata?.lastSeenAt ?? 0) < LAST_SEEN_INTERVAL_MS || ended.has(ref.id)) return;
      const { createdAt, userAgent, country } = { ...owner, ...index.metadata };
      await writeLiveIndex(owner.userId, ref.id, owner.expiresAt, { createdAt, lastSeenAt: now, userAgent, country });
    },

    // The record first (from then on it opens nothing), its index key (and refreshed grant) after
    // the answer: a failure leaves the index listing it, so ending it can be tried again.
    async endSession(ref, userId, defer) {
      if (!isRandomId(ref.id)) return;
      await deleteRecord(ref.id);
      await defer(Promise.allSettled([GRANT_KEY_PREFIX, REFRESH_LEASE_KEY_PREFIX].map((prefix) => kv.delete(prefix + ref.id))));
      if (userId !== undefined) await defer(storage(() => kv.delete(indexKey(userId, ref.id))));
    },

    // Read, then write: two locations can both see no lease within KV's propagation delay.
    async leaseRefresh(ref, untilMs) {
      const key = REFRESH_LEASE_KEY_PREFIX + ref.id;
      if (Number((await storage(() => kv.get(key))) ?? 0) > Date.now()) return false;
      await storage(() => kv.put(key, String(untilMs), { expirationTtl: 60 }));
      return true;
    },
    readRefreshedGrant: (ref) => storage(() => kv.get(GRANT_KEY_PREFIX + ref.id)),
    // Never the record: only a key beside it, which nothing reads once the record is gone.
    async saveRefreshedGrant(ref, owner, sealed) {
      if (ended.has(ref.id) || owner.expiresAt - Date.now() / 1000 < 60) return;
      await storage(() => kv.put(GRANT_KEY_PREFIX + ref.id, sealed, { expiration: owner.expiresAt }));
      await storage(() => kv.delete(REFRESH_LEASE_KEY_PREFIX + ref.id));
    },

    async listSessions(userId) {
      const [{ keys }, mark] = await Promise.all([listIndex(userId, 1, DEVICES_LISTED), storage(() => signedOutUser(userId))]);
      return keys.filter((key) => !refused(key.metadata, mark)).map((key) => device(key.id, key.metadata));
    },

    /**
     * A listed id whose record is gone or no longer opens (a sign-out whose index delete failed, a
     * session sealed with a removed secret) is no session: its index key is removed.
     */
    async countOtherSessions(userId, _shard, except, open) {
      const [{ keys }, mark] = await Promise.all([listIndex(userId, 1), storage(() => signedOutUser(userId))]);
      let live = 0;
      for (const { id, metadata } of keys) {
        if (id === except || refused(metadata, mark)) continue;
        const sealed = await storage(() => kv.get(SESSION_KEY_PREFIX + id));
        if (sealed !== null && (await open(id, sealed)) !== undefined) live++;
        else await storage(() => kv.delete(indexKey(userId, id)));
      }
      return live;
    },

    /**
     * The mark first: from the moment it is written every session of the user begun before it is
     * refused, listed or not, so nothing else can make the sign-out partial (a failure before it,
     * 503, changed nothing and can be tried again). Then, after the answer, the clean-up: `last`'s
     * record, and every listed session's record and index key, following the list's cursor within
     * the invocation's operation budget (what it does not reach expires with its TTL, refused).
     */
    async endUserSessions(userId, _shard, last, defer) {
      const shard = await userShard(userId);
      await storage(() => kv.put(SIGNED_OUT_KEY_PREFIX + shard, String(Date.now()), { expirationTtl: MARK_TTL_SECONDS }));
      ended.add(last);
      await defer(
        (async () => {
          await deleteRecord(last);
          const { keys, listed } = await listIndex(userId, Math.ceil(operationBudget / 100));
          // Each listed session: its record, then its index key; the mark, `last`'s record and the lists came first.
          const ids = keys.map((key) => key.id).filter((id) => id !== last);
          const records = ids.slice(0, Math.max(0, Math.floor((operationBudget - listed - 3) / 2)));
          await Promise.allSettled(records.map((id) => deleteRecord(id)));
          await deleteIndexKeys(userId, [last, ...records]);
        })(),
      );
    },
  };
}

/** The mark outlives every session it refuses: 400 days, the longest SESSION_TTL_SECONDS (KV drops it then). */
const MARK_TTL_SECONDS = 400 * 24 * 60 * 60;

/** True for an index entry the user's sign-out mark refuses (one from before the devices list predates every mark). */
function refused(metadata: IndexMetadata | null, mark: number): boolean {
  return mark > 0 && (metadata?.createdAt ?? 0) <= mark;
}
