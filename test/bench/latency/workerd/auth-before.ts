// Bench only (never in the bundle): GET /auth in the order it ran at 92fa0d5 (before issue 12), every wait one after another, with today's storage calls,
// built from the same src/ modules as the Worker; the latency bench's reference for /auth.
//
// The order before issue 12: KV get, KV delete (then inside takeRequestToken), access_token, verify_credentials,
// KV put of the session, and the previous session's delete, each awaited before the next starts.

import type { Context } from "hono";
import type { Settings } from "../../../../src/config";
import type { TwitterAuthEnv } from "../../../../src/env";
import { SignInError } from "../../../../src/errors";
import { SESSION_COOKIE, clearIdCookie, readIdCookie, requestTokenCookie, setIdCookie } from "../../../../src/session/cookie";
import { deferFor } from "../../../../src/session/current";
import { constantTimeEqual } from "../../../../src/session/random-id";
import { REQUEST_TOKEN_TTL_SECONDS, takeRequestToken } from "../../../../src/session/request-token-store";
import { createSession, endSessionById } from "../../../../src/session/session-store";
import { storeFor } from "../../../../src/session/store";
import { verifyCredentials } from "../../../../src/twitter/account";
import { callTwitter, createTwitterClient } from "../../../../src/twitter/client";
import { mountPrefix, queryParameter } from "../../../../src/routes/paths";

const DENIED = "You declined to sign in with Twitter. Nothing was shared.";

/** The longest token or verifier accepted from the query (X's are under 100 characters). */
const MAX_PARAMETER_LENGTH = 256;
/** What a token or verifier may be made of: visible ASCII, no spaces or quotes. */
const TOKEN_CHARACTERS = /^[\x21\x23-\x7e]+$/;

/**
 * Finishes a sign-in. The KV entry is deleted by the first callback that carries its own token
 * (oauth_token, or denied when the user cancelled), whatever the outcome, and the request-token
 * cookie is cleared; a callback without it, or with another token, changes nothing. On success a
 * session starts (its own random id and cookie, ending the session the browser had before, if
 * any) and the answer is X's verify_credentials JSON exactly as X sent it, or a 303 to the `next`
 * path /login was given.
 */
export async function authInOrderBeforeIssue12(c: Context<TwitterAuthEnv>, settings: Settings): Promise<Response> {
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
  // Taken (read and deleted) before anything else can fail, and only by its own callback: a
  // request token works once. An expired cookie's entry is simply removed.
  const store = storeFor(c.env);
  const taken = await takeRequestToken(store, cookie.id, (pending) => cookie.status === "expired" || constantTimeEqual(claimed ?? "", pending.token), startAgain);
  // The delete, awaited here as takeRequestToken itself awaited it then.
  if (taken.status === "taken") await taken.deleted;
  if (taken.status === "not_its_callback") {
    throw new SignInError(400, "token_mismatch", `The callback's oauth_token is not this sign-in's. ${startAgain}.`);
  }
  clearIdCookie(c, cookieName);
  if (denied !== undefined) throw new SignInError(403, "access_denied", DENIED);
  if (cookie.status === "expired" || taken.status === "none") {
    throw new SignInError(400, "expired_sign_in", `This sign-in has expired or was already used. ${startAgain}.`);
  }
  if (verifier === undefined) {
    throw new SignInError(400, "invalid_callback", `The callback lacks oauth_token or oauth_verifier. ${startAgain}.`);
  }
  const pending = taken.pending;

  const client = createTwitterClient(settings);
  const token = await callTwitter(
    "access_token",
    () => client.fetchTokenCredentials(settings.accessTokenUrl, { token: pending.token, tokenSecret: pending.tokenSecret, verifier }),
    { startAgain },
  );
  const { json, profile } = await callTwitter("verify_credentials", () => verifyCredentials(client, token, { includeEmail: settings.includeEmail }), { startAgain });

  // The session this browser had before, if any: the new one replaces it.
  const previous = await readIdCookie(c, SESSION_COOKIE, settings.sessionSecrets, settings.sessionTtlSeconds);
  // Ending the previous session awaited in place, as it was then; the cap (which came later) after the answer, as the Worker does.
  const defer = async (work: Promise<unknown>) => void (await work.catch(() => undefined));
  const session = (await createSession(store, settings.sessionSecret, profile, token, { ttlSeconds: settings.sessionTtlSeconds, limit: settings.maxSessionsPerUser, device: {}, defer: deferFor(c) }))!;
  await setIdCookie(c, SESSION_COOKIE, settings.sessionSecret, session.id, settings.sessionTtlSeconds, Date.now(), undefined, session.shard);
  if ("id" in previous) {
    // Best effort: the new session stands either way, and the old one ends with its TTL at the latest.
    await endSessionById(store, settings.sessionSecrets, previous, settings.sessionTtlSeconds, defer).catch(() => undefined);
  }
  c.header("Cache-Control", "no-store");
  if (pending.next !== undefined) return c.redirect(pending.next, 303);
  return c.body(json, 200, { "Content-Type": "application/json; charset=utf-8" });
}

/** A token or verifier from the callback's query: at most 256 visible ASCII characters, given once. */
function tokenParameter(c: Context, name: string): string | undefined {
  const value = queryParameter(c, name, MAX_PARAMETER_LENGTH);
  if (value !== undefined && !TOKEN_CHARACTERS.test(value)) throw new SignInError(400, "invalid_request", `The callback's ${name} holds characters no token has.`);
  return value;
}
