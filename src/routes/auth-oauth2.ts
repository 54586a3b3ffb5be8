// GET /auth under OAuth 2.0: X's redirect. Check the cookie and state, redeem the code with the PKCE verifier, read /2/users/me, start a session.

import type { Context } from "hono";
import type { Settings } from "../config.js";
import type { TwitterAuthEnv } from "../env.js";
import { SignInError } from "../errors.js";
import { clearIdCookie, readIdCookie, requestTokenCookie } from "../session/cookie.js";
import { constantTimeEqual } from "../session/random-id.js";
import { REQUEST_TOKEN_TTL_SECONDS, takeRequestToken } from "../session/request-token-store.js";
import type { OAuth2Grant } from "../session/session-store.js";
import { storeFor } from "../session/store.js";
import { revokeGrant } from "../twitter/oauth2-revoke.js";
import { callTwitterOAuth2, createOAuth2Client, getUsersMeWithBearer } from "../twitter/oauth2-client.js";
import { DENIED, refuseWithoutSignInCookie } from "./auth.js";
import { callbackUrl, mountPrefix, queryParameter } from "./paths.js";
import { startSession } from "./start-session.js";

/** What a code or state may be made of: visible ASCII, no spaces or quotes, at most 256 characters. */
const CALLBACK_VALUE = /^[\x21\x23-\x7e]{1,256}$/;
/** RFC 6749 section 4.1.2.1's error codes are lowercase words with underscores. */
const ERROR_CODE = /^[a-z_]{1,64}$/;

/**
 * Finishes an OAuth 2.0 sign-in, with the 1.0a flow's answers for the same failures: the stored
 * entry is taken by the first redirect that carries its own `state` (with a code, or with
 * `error=access_denied` when the user cancelled), whatever the outcome; a redirect with another
 * state changes nothing (400 `token_mismatch`). The code is redeemed (HTTP Basic, the verifier,
 * the same redirect URI) beside the entry's delete, the profile read once from /2/users/me
 * (`confirmed_email` when the email is asked for and X granted users.email), and the session
 * holds the tokens, their expiry and the granted scope.
 */
export async function authOAuth2(c: Context<TwitterAuthEnv>, settings: Settings): Promise<Response> {
  const oauth2 = settings.oauth2!;
  const error = callbackValue(c, "error", ERROR_CODE);
  const code = callbackValue(c, "code", CALLBACK_VALUE);
  const state = callbackValue(c, "state", CALLBACK_VALUE);
  const prefix = mountPrefix(c);
  const startAgain = `Start again from ${prefix}/login`;
  const cookieName = requestTokenCookie(prefix);
  const cookie = await readIdCookie(c, cookieName, settings.sessionSecrets, REQUEST_TOKEN_TTL_SECONDS);

  refuseWithoutSignInCookie(c, cookie, cookieName, error === "access_denied", startAgain);
  if (state === undefined || (error === undefined && code === undefined)) {
    // Nothing is used up: this is not X's redirect, and the sign-in can still finish.
    if (error === "access_denied") throw new SignInError(403, "access_denied", DENIED);
    throw new SignInError(400, "invalid_callback", `The callback lacks code or state. ${startAgain}.`);
  }
  const store = storeFor(c.env);
  const taken = await takeRequestToken(store, cookie.id, (pending) => cookie.status === "expired" || (pending.protocol === "2.0" && constantTimeEqual(state, pending.token)), startAgain);
  if (taken.status === "not_its_callback") throw new SignInError(400, "token_mismatch", `The callback's state is not this sign-in's. ${startAgain}.`);
  const exchanging = taken.status === "taken" && error === undefined && cookie.status === "valid";
  if (!exchanging) {
    if (taken.status === "taken") await taken.deleted;
    clearIdCookie(c, cookieName);
  }
  if (error === "access_denied") throw new SignInError(403, "access_denied", DENIED);
  if (error !== undefined) throw new SignInError(502, "twitter_error", `Twitter refused the authorization request (${error}). ${startAgain}.`);
  if (cookie.status === "expired" || taken.status === "none" || code === undefined) {
    throw new SignInError(400, "expired_sign_in", `This sign-in has expired or was already used. ${startAgain}.`);
  }
  const pending = taken.pending;

  const signedIn = (async () => {
    const client = createOAuth2Client(settings, oauth2);
    const tokens = await callTwitterOAuth2("oauth2_token", () => client.exchangeAuthorizationCode({ code, redirectUri: callbackUrl(c, settings), codeVerifier: pending.tokenSecret }), startAgain);
    const scope = tokens.scope ?? oauth2.scopes;
    const includeEmail = settings.includeEmail && scope.split(" ").includes("users.email");
    const verified = await callTwitterOAuth2("users_me", () => getUsersMeWithBearer(settings, tokens.accessToken, includeEmail), startAgain);
    const grant: OAuth2Grant = {
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken,
      // X documents two hours; without expires_in the token is taken to live that long.
      accessTokenExpiresAt: Date.now() + (tokens.expiresIn ?? 7200) * 1000,
      scope,
    };
    return { ...verified, credentials: grant };
  })();
  // As under 1.0a: a failed delete answers 503 whatever X said, and starts no session.
  const [outcome, deletion] = await Promise.allSettled([signedIn, taken.deleted]);
  if (deletion.status === "rejected") throw deletion.reason;
  clearIdCookie(c, cookieName);
  if (outcome.status === "rejected") throw outcome.reason;
  const { credentials } = outcome.value;
  // Refused, the grant X has just issued is this sign-in's alone: revoked as a sign-out would (TWITTER_REVOKE_ON_LOGOUT).
  const revoke = async () => {
    if (settings.revokeOnLogout) await revokeGrant(settings, oauth2, credentials);
  };
  return startSession(c, settings, store, { ...outcome.value, source: "users_me", startedAt: pending.startedAt, next: pending.next }, startAgain, revoke);
}

/** A value of X's redirect: given once, of the allowed characters. */
function callbackValue(c: Context, name: string, allowed: RegExp): string | undefined {
  const value = queryParameter(c, name, 256);
  if (value !== undefined && !allowed.test(value)) throw new SignInError(400, "invalid_request", `The callback's ${name} holds characters it cannot have.`);
  return value;
}
