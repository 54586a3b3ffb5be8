// GET /login: obtain a request token from X, keep its secret in the store, send the browser to X's authorize page.

import type { Context } from "hono";
import type { Settings } from "../config.js";
import type { TwitterAuthEnv } from "../env.js";
import { SignInError } from "../errors.js";
import { isLocalDevelopment } from "../local-development.js";
import { requestTokenCookie, setIdCookie } from "../session/cookie.js";
import { REQUEST_TOKEN_TTL_SECONDS, saveRequestToken } from "../session/request-token-store.js";
import { storeFor } from "../session/store.js";
import { callTwitter, createTwitterClient } from "../twitter/client.js";
import { callbackUrl, mountPrefix, nextParameter, queryParameter } from "./paths.js";

const SCREEN_NAME = /^[A-Za-z0-9_]{1,15}$/;

/**
 * Starts a sign-in: a request token with `oauth_callback` = the `/auth` beside this `/login` on
 * PUBLIC_ORIGIN (or, unset, the host that received the request), its secret in the store under a random
 * id, that id alone in a signed cookie, and a 302 to X's authorize page.
 *
 * Query: `next` (a same-origin path `/auth` redirects to afterwards), `force_login` and
 * `screen_name` (passed on to X's page).
 */
export async function login(c: Context<TwitterAuthEnv>, settings: Settings): Promise<Response> {
  const next = nextParameter(c);
  const authorizeParameters: Record<string, string> = {};
  const forceLogin = queryParameter(c, "force_login");
  if (forceLogin !== undefined) {
    if (forceLogin !== "true" && forceLogin !== "false") throw new SignInError(400, "invalid_request", 'force_login must be "true" or "false".');
    authorizeParameters.force_login = forceLogin;
  }
  const screenName = queryParameter(c, "screen_name");
  if (screenName !== undefined) {
    if (!SCREEN_NAME.test(screenName)) throw new SignInError(400, "invalid_request", "screen_name must be 1 to 15 letters, digits or underscores.");
    authorizeParameters.screen_name = screenName;
  }

  const prefix = mountPrefix(c);
  const callback = callbackUrl(c, settings);
  const client = createTwitterClient(settings);
  const temporary = await callTwitter(
    "request_token",
    () =>
      client.fetchTemporaryCredentials(settings.requestTokenUrl, {
        callback,
        ...(settings.accessType ? { parameters: { x_auth_access_type: settings.accessType } } : {}),
      }),
    { callbackUrl: callback, startAgain: `Start again from ${prefix}/login`, local: isLocalDevelopment(c.req.url) },
  );
  const id = await saveRequestToken(storeFor(c.env), {
    token: temporary.token,
    tokenSecret: temporary.tokenSecret,
    ...(next === undefined ? {} : { next }),
  });
  await setIdCookie(c, requestTokenCookie(prefix), settings.sessionSecret, id, REQUEST_TOKEN_TTL_SECONDS);
  c.header("Cache-Control", "no-store");
  return c.redirect(client.authorizationUrl(settings.authorizeUrl, temporary.token, authorizeParameters), 302);
}
