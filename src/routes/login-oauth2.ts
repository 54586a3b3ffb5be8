// GET /login under OAuth 2.0: a PKCE verifier and a state kept in the store, and the browser sent to X's OAuth 2.0 authorize page.

import type { Context } from "hono";
import type { Settings } from "../config.js";
import type { TwitterAuthEnv } from "../env.js";
import { calculateCodeChallenge, generateCodeVerifier } from "../oauth2/index.js";
import { requestTokenCookie, setIdCookie } from "../session/cookie.js";
import { randomId } from "../session/random-id.js";
import { REQUEST_TOKEN_TTL_SECONDS, saveRequestToken } from "../session/request-token-store.js";
import { storeFor } from "../session/store.js";
import { createOAuth2Client } from "../twitter/oauth2-client.js";
import { callbackUrl, mountPrefix, nextParameter } from "./paths.js";

/**
 * Starts an OAuth 2.0 sign-in: a code verifier (RFC 7636) and a `state` of 128 random bits, kept
 * in the store under a random id exactly as a 1.0a request token's secret is (15 minutes, taken
 * once), that id alone in the signed cookie, and a 302 to X's authorize page with the S256
 * challenge, the scopes and the redirect URI (the `/auth` beside this `/login` on PUBLIC_ORIGIN,
 * or the host that received the request). Query: `next`. X's OAuth 2.0 page has no
 * `force_login` or `screen_name`: they are ignored.
 */
export async function loginOAuth2(c: Context<TwitterAuthEnv>, settings: Settings): Promise<Response> {
  const oauth2 = settings.oauth2!;
  const next = nextParameter(c);
  const prefix = mountPrefix(c);
  const redirectUri = callbackUrl(c, settings);
  const state = randomId();
  const codeVerifier = generateCodeVerifier();
  const id = await saveRequestToken(storeFor(c.env), { token: state, tokenSecret: codeVerifier, protocol: "2.0", ...(next === undefined ? {} : { next }) });
  await setIdCookie(c, requestTokenCookie(prefix), settings.sessionSecret, id, REQUEST_TOKEN_TTL_SECONDS);
  c.header("Cache-Control", "no-store");
  const url = createOAuth2Client(settings, oauth2).authorizationUrl(oauth2.authorizeUrl, {
    redirectUri,
    scope: oauth2.scopes,
    state,
    codeChallenge: await calculateCodeChallenge(codeVerifier),
  });
  return c.redirect(url, 302);
}
