// GET /auth: X's callback. Check the cookie and token, exchange the verifier, start a session, answer X's profile JSON.

import type { Context } from "hono";
import type { Settings } from "../config.js";
import type { TwitterAuthEnv } from "../env.js";
import { SignInError } from "../errors.js";
import { isLocalDevelopment } from "../local-development.js";
import { type CookieRead, clearIdCookie, readIdCookie, requestTokenCookie } from "../session/cookie.js";
import { constantTimeEqual } from "../session/random-id.js";
import { REQUEST_TOKEN_TTL_SECONDS, takeRequestToken } from "../session/request-token-store.js";
import { storeFor } from "../session/store.js";
import { callTwitter, createTwitterClient } from "../twitter/client.js";
import { fetchProfile } from "../twitter/profile.js";
import { userShard } from "../session/shard.js";
import { revokeIfLastSession } from "./logout.js";
import { startSession } from "./start-session.js";
import { mountPrefix, queryParameter } from "./paths.js";

export const DENIED = "You declined to sign in with Twitter. Nothing was shared.";

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
 * /2/users/me's when X allows the app only v2: see fetchProfile; `{"id","screenName"}` from X's
 * token answer with TWITTER_PROFILE_ENDPOINT=none), or a 303 to the `next` path /login was given.
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
  refuseWithoutSignInCookie(c, cookie, cookieName, denied !== undefined, startAgain);
  if (cookie.status === "valid" && denied === undefined && (oauthToken === undefined || verifier === undefined)) {
    // Nothing is used up: this is not X's callback, and the sign-in can still finish.
    throw new SignInError(400, "invalid_callback", `The callback lacks oauth_token or oauth_verifier. ${startAgain}.`);
  }
  const client = createTwitterClient(settings);
  // Taken (read, and its delete started) before anything else can fail, and only by its own
  // callback: a request token works once. An expired cookie's entry is simply removed.
  const store = storeFor(c.env);
  // A 2.0 sign-in's entry (its state in `token`) is never this callback's: a forged 1.0a callback cannot use it up.
  const taken = await takeRequestToken(store, cookie.id, (pending) => cookie.status === "expired" || (pending.protocol === undefined && constantTimeEqual(claimed ?? "", pending.token)), startAgain);
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
  const failureContext = { startAgain, local: isLocalDevelopment(c.req.url) };

  const signedIn = (async () => {
    const token = await callTwitter(
      "access_token",
      () => client.fetchTokenCredentials(settings.accessTokenUrl, { token: pending.token, tokenSecret: pending.tokenSecret, verifier }),
      failureContext,
    );
    return { token, ...(await fetchProfile(client, token, settings, failureContext)) };
  })();
  // The delete runs beside both calls to X. A failed delete answers 503, whatever X said, and
  // starts no session: a sign-in finishes only once its request token is gone from the store (X, which
  // has now seen it, takes it once too).
  const [outcome, deletion] = await Promise.allSettled([signedIn, taken.deleted]);
  if (deletion.status === "rejected") throw deletion.reason;
  clearIdCookie(c, cookieName);
  if (outcome.status === "rejected") throw outcome.reason;
  const { token, json, profile, source } = outcome.value;

  // Refused, the token is revoked as a sign-out would (TWITTER_REVOKE_ON_LOGOUT), unless a session of
  // the user's holds it: X gives a user one token per app, so one begun since the sign-out has it too.
  const revoke = async () => {
    if (settings.revokeOnLogout) await revokeIfLastSession(store, settings, { id: "", shard: await userShard(profile.id), profile, credentials: token });
  };
  return startSession(c, settings, store, { json, profile, source, credentials: token, startedAt: pending.startedAt, next: pending.next }, startAgain, revoke);
}

/**
 * Refuses a callback whose sign-in cookie is missing or does not verify (an invalid one is
 * cleared), either protocol's: 400 `missing_cookie` or `invalid_cookie`; a cancelled sign-in
 * (`cancelled`) is answered 403 `access_denied` first, since there is nothing to finish.
 */
export function refuseWithoutSignInCookie(c: Context, cookie: CookieRead, cookieName: string, cancelled: boolean, startAgain: string): asserts cookie is Exclude<CookieRead, { status: "missing" | "invalid" }> {
  if (cookie.status !== "missing" && cookie.status !== "invalid") return;
  if (cancelled) throw new SignInError(403, "access_denied", DENIED);
  if (cookie.status === "invalid") clearIdCookie(c, cookieName);
  throw cookie.status === "missing"
    ? new SignInError(400, "missing_cookie", `The sign-in cookie is missing. ${startAgain}, with cookies enabled.`)
    : new SignInError(400, "invalid_cookie", `The sign-in cookie is not valid. ${startAgain}.`);
}

/** A token or verifier from the callback's query: at most 256 visible ASCII characters, given once. */
function tokenParameter(c: Context, name: string): string | undefined {
  const value = queryParameter(c, name, MAX_PARAMETER_LENGTH);
  if (value !== undefined && !TOKEN_CHARACTERS.test(value)) throw new SignInError(400, "invalid_request", `The callback's ${name} holds characters no token has.`);
  return value;
}
