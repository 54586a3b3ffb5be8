// The sign-in store in Durable Objects (AuthStore, auth-store.ts): what one object answers holds everywhere at once.

import type { AuthStore, SessionRow } from "./auth-store.js";
import { isRandomId } from "./random-id.js";
import { storage } from "./storage.js";
import { userShard } from "./shard.js";
import { DEVICES_LISTED, LAST_SEEN_INTERVAL_MS, type SignInStore, type StoredDevice } from "./store.js";

/**
 * The store over an AuthStore namespace. A user's sessions live in the object named
 * `user:<shard>`, the shard a hash of their id that their cookies name (so a session id and its
 * cookie find the object with no lookup); a pending sign-in in `sign-in:<its id>`, created near
 * the browser that started it. Each call is one request to one object.
 */
export function durableObjectStore(namespace: DurableObjectNamespace<AuthStore>): SignInStore {
  const object = (name: string) => namespace.get(namespace.idFromName(name));
  const userObject = (shard: string | undefined) => {
    if (shard === undefined || !isRandomId(shard)) return undefined;
    return object(`user:${shard}`);
  };
  const signInObject = (id: string) => object(`sign-in:${id}`);
  // What the devices list shows of a row (never its sealed record).
  const device = ({ id, createdAt, lastSeenAt, userAgent, country }: SessionRow): StoredDevice => ({ id, createdAt, lastSeenAt, userAgent: userAgent ?? undefined, country: country ?? undefined });

  return {
    savePendingSignIn: (id, value, ttlSeconds) => storage(() => signInObject(id).savePendingSignIn(id, value, Math.floor(Date.now() / 1000) + ttlSeconds)),
    readPendingSignIn: (id) => storage(() => signInObject(id).readPendingSignIn(id)),
    takePendingSignIn: (id) => storage(() => signInObject(id).takePendingSignIn(id)),

    createSession: (session, shard, limit, _defer, startedAt) =>
      storage(() => userObject(shard)!.createSession({ ...session, userAgent: session.userAgent ?? null, country: session.country ?? null }, limit, startedAt)),

    async readSession(ref, open) {
      const stub = userObject(ref.shard);
      if (!stub || !isRandomId(ref.id)) return undefined;
      const row = await storage(() => stub.readSession(ref.id, Date.now() - LAST_SEEN_INTERVAL_MS));
      if (!row) return undefined;
      const opened = await open(row.sealed);
      // The object is the user's: a record that names someone else is not theirs.
      if (!opened || opened.userId !== row.userId) return undefined;
      return { opened, device: device(row) };
    },

    resealSession: async (ref, _owner, sealed) => {
      const record = await sealed();
      await storage(() => userObject(ref.shard)!.resealSession(ref.id, record));
    },
    touchSession: async (ref) => void (await storage(() => userObject(ref.shard)!.touchSession(ref.id))),
    endSession: async (ref) => void (await storage(async () => userObject(ref.shard)?.endSession(ref.id))),
    listSessions: async (userId, shard) => (await storage(() => userObject(shard)!.listSessions(userId, DEVICES_LISTED))).map(device),
    async countOtherSessions(userId, shard, except, open) {
      let live = 0;
      for (const row of await storage(() => userObject(shard)!.listSessions(userId))) if (row.id !== except && (await open(row.id, row.sealed)) !== undefined) live++;
      return live;
    },
    endUserSessions: (userId, shard) => storage(() => userObject(shard)!.endUserSessions(userId)),
    leaseRefresh: async (ref, untilMs) => (await storage(async () => userObject(ref.shard)?.leaseRefresh(ref.id, untilMs))) ?? false,
    readRefreshedGrant: async (ref) => (await storage(async () => userObject(ref.shard)?.readRefreshedGrant(ref.id))) ?? null,
    saveRefreshedGrant: async (ref, _owner, sealed) => void (await storage(async () => userObject(ref.shard)?.saveRefreshedGrant(ref.id, sealed))),
  };
}
