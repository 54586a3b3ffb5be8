// GET /auth: X's callback. Check the cookie and token, exchange the verifier, start a session, answer X's profile JSON.

import type { Context } from "hono";
import { afterAnswer } from "../after-answer.js";
import type { Settings } from "../config.js";
import type { TwitterAuthEnv } from "../env.js";
import { SignInError } from "../errors.js";
import { SESSION_COOKIE, clearIdCookie, readIdCookie, requestTokenCookie, setIdCookie } from "../session/cookie.js";
import { constantTimeEqual } from "../session/random-id.js";
import { REQUEST_TOKEN_TTL_SECONDS, takeRequestToken } from "../session/request-token-store.js";
import { deviceOf } from "../session/devices.js";
import { createSession, endSessionById } from "../session/session-store.js";
import { type Defer, type DeviceFields, type SessionRef, type SignInStore, inPlace, storeFor } from "../session/store.js";
import type { Credentials } from "../oauth1/index.js";
import type { TwitterProfile } from "../twitter/account.js";
import { callTwitter, createTwitterClient } from "../twitter/client.js";
import { fetchProfile } from "../twitter/profile.js";
import { userShard } from "../session/shard.js";
import { revokeIfLastSession } from "./logout.js";
import { mountPrefix, queryParameter } from "./paths.js";

const DENIED = "You declined to sign in with Twitter. Nothing was shared.";

/** The longest token or verifier accepted from the query (X's are under 100 characters). */
const MAX_PARAMETER_LENGTH = 256;
/** What a token or verifier may be made of: visible ASCII, no spaces or quotes. */
const TOKEN_CHARACTERS = /^[\x21\x23-\x7e]+$/;

/**
 * Finishes a sign-in. The stored entry is deleted by the first callback that carries its own token
 * (oauth_token, or denied when the user cancelled), whatever the outcome, and the request-token
 * cookie is cleared; a callback without it, or with another token, changes nothing. On success a
 * session starts (its own random id and cookie, ending the session the browser had before, if
 * any) and the answer is X's profile JSON exactly as X sent it (verify_credentials', or
 * /2/users/me's when X allows the app only v2: see fetchProfile), or a 303 to the `next` path
 * /login was given.
 */
export async function auth(c: Context<TwitterAuthEnv>, settings: Settings): Promise<Response> {
  const denied = tokenParameter(c, "denied");
  const oauthToken = tokenParameter(c, "oauth_token");
  const verifier = tokenParameter(c, "oauth_verifier");

  const prefix = mountPrefix(c);
  const startAgain = `Start again from ${prefix}/login`;
  const cookieName = requestTokenCookie(prefix);
  const cookie = await readIdCookie(c, cookieName, settings.sessionSecrets, REQUEST_TOKEN_TTL_SECONDS);

  // X names the request token the callback is for: oauth_token, or denied=<token> when the user cancelled.
  const claimed = denied ?? oauthToken;
  if (cookie.status === "missing" || cookie.status === "invalid") {
    if (denied !== undefined) throw new SignInError(403, "access_denied", DENIED);
    if (cookie.status === "invalid") clearIdCookie(c, cookieName);
    throw cookie.status === "missing"
      ? new SignInError(400, "missing_cookie", `The sign-in cookie is missing. ${startAgain}, with cookies enabled.`)
      : new SignInError(400, "invalid_cookie", `The sign-in cookie is not valid. ${startAgain}.`);
  }
  if (cookie.status === "valid" && denied === undefined && (oauthToken === undefined || verifier === undefined)) {
    // Nothing is used up: this is not X's callback, and the sign-in can still finish.
    throw new SignInError(400, "invalid_callback", `The callback lacks oauth_token or oauth_verifier. ${startAgain}.`);
  }
  const client = createTwitterClient(settings);
  // Taken (read, and its delete started) before anything else can fail, and only by its own
  // callback: a request token works once. An expired cookie's entry is simply removed.
  const store = storeFor(c.env);
  const taken = await takeRequestToken(store, cookie.id, (pending) => cookie.status === "expired" || constantTimeEqual(claimed ?? "", pending.token), startAgain);
  if (taken.status === "not_its_callback") {
    throw new SignInError(400, "token_mismatch", `The callback's oauth_token is not this sign-in's. ${startAgain}.`);
  }
  // Its stored entry is being deleted (no other callback can take it meanwhile): beside the token
  // exchange when there is one to make; every other answer waits for the delete here.
  const exchanging = taken.status === "taken" && denied === undefined && cookie.status === "valid";
  if (!exchanging) {
    if (taken.status === "taken") await taken.deleted;
    clearIdCookie(c, cookieName);
  }
  if (denied !== undefined) throw new SignInError(403, "access_denied", DENIED);
  if (cookie.status === "expired" || taken.status === "none") {
    throw new SignInError(400, "expired_sign_in", `This sign-in has expired or was already used. ${startAgain}.`);
  }
  if (verifier === undefined) {
    throw new SignInError(400, "invalid_callback", `The callback lacks oauth_token or oauth_verifier. ${startAgain}.`);
  }
  const pending = taken.pending;

  const signedIn = (async () => {
    const token = await callTwitter(
      "access_token",
      () => client.fetchTokenCredentials(settings.accessTokenUrl, { token: pending.token, tokenSecret: pending.tokenSecret, verifier }),
      { startAgain },
    );
    return { token, ...(await fetchProfile(client, token, settings, { startAgain })) };
  })();
  // The delete runs beside both calls to X. A failed delete answers 503, whatever X said, and
  // starts no session: a sign-in finishes only once its request token is gone from the store (X, which
  // has now seen it, takes it once too).
  const [outcome, deletion] = await Promise.allSettled([signedIn, taken.deleted]);
  if (deletion.status === "rejected") throw deletion.reason;
  clearIdCookie(c, cookieName);
  if (outcome.status === "rejected") throw outcome.reason;
  const { token, json, profile, source } = outcome.value;

  // The session this browser had before, if any: the new one replaces it.
  const previous = await readIdCookie(c, SESSION_COOKIE, settings.sessionSecrets, settings.sessionTtlSeconds);
  // What may wait (the store's cap, the previous session's end) runs after the answer, as one piece of work.
  const later: Promise<unknown>[] = [];
  const defer: Defer = async (work) => void later.push(work.catch(() => undefined));
  // Refused, the token is revoked as a sign-out would (TWITTER_REVOKE_ON_LOGOUT), unless a session of
  // the user's holds it: X gives a user one token per app, so one begun since the sign-out has it too.
  const session = await startSession(c, settings, store, { profile, credentials: token, startedAt: pending.startedAt, device: deviceOf(c), defer }, startAgain, async () => {
    if (settings.revokeOnLogout) await revokeIfLastSession(store, settings, { id: "", shard: await userShard(profile.id), profile, credentials: token });
  });
  await setIdCookie(c, SESSION_COOKIE, settings.sessionSecret, session.id, settings.sessionTtlSeconds, Date.now(), undefined, session.shard);
  // Best effort, after the answer (waitUntil) when the runtime allows: nothing in the answer needs
  // it, the new session stands either way, and the old one ends with its TTL at the latest.
  if ("id" in previous) later.push(endSessionById(store, settings.sessionSecrets, previous, settings.sessionTtlSeconds, inPlace));
  await afterAnswer(c, Promise.allSettled(later));
  c.header("Cache-Control", "no-store");
  if (pending.next !== undefined) return c.redirect(pending.next, 303);
  // X's JSON as it came: v1.1's user object, or v2's {"data":{...}}; the header says which.
  return c.body(json, 200, { "Content-Type": "application/json; charset=utf-8", "X-Twitter-Profile-Source": source });
}

/** A sign-in X has completed: whose it is, the credentials X issued, when it began (unix ms), the browser's device fields. */
export interface CompletedSignIn {
  profile: TwitterProfile;
  credentials: Credentials;
  startedAt: number;
  device: DeviceFields;
  defer: Defer;
}

/**
 * Starts the session of a sign-in X has completed, unless its user signed out of all devices
 * after it began (someone who held the callback, and the request-token cookie, past that sign-out
 * must not get a session): then nothing is stored, the credentials X has just issued are revoked
 * with `revoke` (after the answer; it logs its own failure, and leaves alone a token a live
 * session holds) and the answer is 403
 * `signed_out_everywhere`, with no session cookie. The store checks and creates in one step.
 */
export async function startSession(c: Context, settings: Settings, store: SignInStore, signIn: CompletedSignIn, startAgain: string, revoke: () => Promise<void>): Promise<SessionRef> {
  const { profile, credentials, startedAt, device, defer } = signIn;
  const session = await createSession(store, settings.sessionSecret, profile, credentials, { ttlSeconds: settings.sessionTtlSeconds, limit: settings.maxSessionsPerUser, device, defer, startedAt });
  if (session) return session;
  await afterAnswer(c, revoke());
  throw new SignInError(403, "signed_out_everywhere", `You signed out of all devices after this sign-in began, so it was not completed. ${startAgain}.`);
}

/** A token or verifier from the callback's query: at most 256 visible ASCII characters, given once. */
function tokenParameter(c: Context, name: string): string | undefined {
  const value = queryParameter(c, name, MAX_PARAMETER_LENGTH);
  if (value !== undefined && !TOKEN_CHARACTERS.test(value)) throw new SignInError(400, "invalid_request", `The callback's ${name} holds characters no token has.`);
  return value;
}
