// The end of a successful sign-in, whichever protocol: a session for the profile (unless the user signed out everywhere since it began), its cookie, the browser's previous session ended, and the answer.

import type { Context } from "hono";
import { afterAnswer } from "../after-answer.js";
import type { Settings } from "../config.js";
import type { TwitterAuthEnv } from "../env.js";
import { SignInError } from "../errors.js";
import type { Credentials } from "../oauth1/index.js";
import { SESSION_COOKIE, readIdCookie, setIdCookie } from "../session/cookie.js";
import { deviceOf } from "../session/devices.js";
import { type OAuth2Grant, createSession, endSessionById } from "../session/session-store.js";
import { type Defer, type SignInStore, inPlace } from "../session/store.js";
import type { VerifiedCredentials } from "../twitter/account.js";

/** A sign-in X has completed: whose it is (X's JSON and the profile read from it), the credentials X issued, when it began (unix ms), and where to go next. */
export interface CompletedSignIn extends VerifiedCredentials {
  credentials: Credentials | OAuth2Grant;
  /** The X-Twitter-Profile-Source header: which of X's answers `json` is. */
  source: string;
  startedAt: number;
  next: string | undefined;
}

/**
 * Starts the session (its own random id and cookie, ending the session the browser had before,
 * if any, after the answer) and answers X's profile JSON exactly as X sent it, or a 303 to `next`.
 * Unless its user signed out of all devices after it began (someone who held the callback, and
 * the sign-in cookie, past that sign-out must not get a session): then nothing is stored, the
 * credentials X has just issued are revoked with `revoke` (after the answer; it logs its own
 * failure) and the answer is 403 `signed_out_everywhere`, with no session cookie. The store
 * checks and creates in one step.
 */
export async function startSession(
  c: Context<TwitterAuthEnv>,
  settings: Settings,
  store: SignInStore,
  signedIn: CompletedSignIn,
  startAgain: string,
  revoke: () => Promise<void>,
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
    startedAt: signedIn.startedAt,
  });
  if (!session) {
    await afterAnswer(c, Promise.allSettled([...later, revoke()]));
    throw new SignInError(403, "signed_out_everywhere", `You signed out of all devices after this sign-in began, so it was not completed. ${startAgain}.`);
  }
  await setIdCookie(c, SESSION_COOKIE, settings.sessionSecret, session.id, settings.sessionTtlSeconds, Date.now(), undefined, session.shard);
  // Best effort, after the answer (waitUntil) when the runtime allows: nothing in the answer needs
  // it, the new session stands either way, and the old one ends with its TTL at the latest.
  if ("id" in previous) later.push(endSessionById(store, settings.sessionSecrets, previous, settings.sessionTtlSeconds, inPlace));
  await afterAnswer(c, Promise.allSettled(later));
  c.header("Cache-Control", "no-store");
  if (signedIn.next !== undefined) return c.redirect(signedIn.next, 303);
  // X's JSON as it came: v1.1's user object, or v2's {"data":{...}}; with `none`, {"id","screenName"}. The header says which.
  return c.body(signedIn.json, 200, { "Content-Type": "application/json; charset=utf-8", "X-Twitter-Profile-Source": signedIn.source });
}
