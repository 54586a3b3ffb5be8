// The end of a successful sign-in, whichever protocol: a session for the profile, its cookie, the browser's previous session ended, and the answer.

import type { Context } from "hono";
import { afterAnswer } from "../after-answer.js";
import type { Settings } from "../config.js";
import type { TwitterAuthEnv } from "../env.js";
import type { Credentials } from "../oauth1/index.js";
import { SESSION_COOKIE, readIdCookie, setIdCookie } from "../session/cookie.js";
import { deviceOf } from "../session/devices.js";
import { type OAuth2Grant, createSession, endSessionById } from "../session/session-store.js";
import { type Defer, type SignInStore, inPlace } from "../session/store.js";
import type { VerifiedCredentials } from "../twitter/account.js";

/**
 * Starts the session (its own random id and cookie, ending the session the browser had before,
 * if any, after the answer) and answers X's profile JSON exactly as X sent it, or a 303 to `next`.
 */
export async function startSession(
  c: Context<TwitterAuthEnv>,
  settings: Settings,
  store: SignInStore,
  signedIn: VerifiedCredentials & { credentials: Credentials | OAuth2Grant; source: string; next: string | undefined },
): Promise<Response> {
  // The session this browser had before, if any: the new one replaces it.
  const previous = await readIdCookie(c, SESSION_COOKIE, settings.sessionSecrets, settings.sessionTtlSeconds);
  // What may wait (the store's cap, the previous session's end) runs after the answer, as one piece of work.
  const later: Promise<unknown>[] = [];
  const defer: Defer = async (work) => void later.push(work.catch(() => undefined));
  const session = await createSession(store, settings.sessionSecret, signedIn.profile, signedIn.credentials, {
    ttlSeconds: settings.sessionTtlSeconds,
    limit: settings.maxSessionsPerUser,
    device: deviceOf(c),
    defer,
  });
  await setIdCookie(c, SESSION_COOKIE, settings.sessionSecret, session.id, settings.sessionTtlSeconds, Date.now(), undefined, session.shard);
  if ("id" in previous) later.push(endSessionById(store, settings.sessionSecrets, previous, settings.sessionTtlSeconds, inPlace));
  await afterAnswer(c, Promise.allSettled(later));
  c.header("Cache-Control", "no-store");
  if (signedIn.next !== undefined) return c.redirect(signedIn.next, 303);
  return c.body(signedIn.json, 200, { "Content-Type": "application/json; charset=utf-8", "X-Twitter-Profile-Source": signedIn.source });
}
