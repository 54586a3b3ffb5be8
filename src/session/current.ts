// The session a request's cookie names: read with every listed SESSION_SECRET, brought forward to the newest one on use, its use noted for the devices list.

import type { Context } from "hono";
import { afterAnswer } from "../after-answer.js";
import type { Settings } from "../config.js";
import type { TwitterAuthEnv } from "../env.js";
import { SESSION_COOKIE, clearIdCookie, readIdCookie, setIdCookie } from "./cookie.js";
import { type Session, readSession, resealSession, touchSession } from "./session-store.js";
import { userShard } from "./shard.js";
import { type Defer, storeFor } from "./store.js";

/**
 * The session the cookie names, or undefined (and a cookie that names none is cleared). A cookie
 * signed, or a record sealed, with an older SESSION_SECRET is signed and sealed again with the
 * newest (`refresh: false` skips that, and noting its use, for a request that ends the session),
 * keeping when it ends, so that after one session lifetime the old secret can be removed; a record
 * from before the per-user index is indexed.
 */
export async function currentSession(c: Context<TwitterAuthEnv>, settings: Settings, refresh = true): Promise<Session | undefined> {
  const cookie = await readIdCookie(c, SESSION_COOKIE, settings.sessionSecrets, settings.sessionTtlSeconds);
  if (cookie.status === "valid") {
    const store = storeFor(c.env);
    const session = await readSession(store, settings.sessionSecrets, cookie, settings.sessionTtlSeconds);
    if (session) {
      // A cookie from before the shard (KV) is given it, so that its next reads take one round trip.
      const shard = cookie.shard ?? (refresh ? await userShard(session.profile.id) : undefined);
      if (refresh && (cookie.rotated || shard !== cookie.shard)) {
        const remaining = settings.sessionTtlSeconds - (Math.floor(Date.now() / 1000) - cookie.issuedAt);
        await setIdCookie(c, SESSION_COOKIE, settings.sessionSecret, session.id, Math.max(1, remaining), Date.now(), cookie.issuedAt, shard);
      }
      // Best effort, after the answer: a failed write is simply tried again on a later request.
      if (refresh && (session.sealedWithOlderSecret || session.legacy)) await afterAnswer(c, resealSession(store, settings.sessionSecret, session));
      if (refresh) await afterAnswer(c, touchSession(store, session));
      return session;
    }
  }
  if (cookie.status !== "missing") clearIdCookie(c, SESSION_COOKIE);
  return undefined;
}

/** Defers work past the answer of this request (see afterAnswer). */
export function deferFor(c: Context): Defer {
  return (work) => afterAnswer(c, work);
}
