// GET /login: obtain a request token from X, keep its secret in KV, send the browser to X's authorize page.

import type { Context } from "hono";
import { readSettings } from "../config.ts";
import type { Env } from "../env.ts";
import { setRequestTokenCookie } from "../session/cookie.ts";
import { REQUEST_TOKEN_TTL_SECONDS, saveRequestToken } from "../session/request-token-store.ts";
import { callTwitter, createTwitterClient } from "../twitter/client.ts";

/**
 * Starts a sign-in: request token with `oauth_callback` = this host's `/auth`, its secret in KV
 * under a random id, that id alone in a signed cookie, and a 302 to X's authorize page.
 */
export async function login(c: Context<{ Bindings: Env }>): Promise<Response> {
  const settings = readSettings(c.env);
  const client = createTwitterClient(settings);
  // The /auth beside this /login, on the host that received the request.
  const callbackUrl = new URL("auth", c.req.url).href;

  const temporary = await callTwitter(
    "request_token",
    () => client.fetchTemporaryCredentials(settings.requestTokenUrl, { callback: callbackUrl }),
    { callbackUrl },
  );
  const id = await saveRequestToken(c.env.AUTH_KV, {
    token: temporary.token,
    tokenSecret: temporary.tokenSecret,
    createdAt: Math.floor(Date.now() / 1000),
  });
  await setRequestTokenCookie(c, settings.sessionSecret, id, REQUEST_TOKEN_TTL_SECONDS);
  c.header("Cache-Control", "no-store");
  return c.redirect(client.authorizationUrl(settings.authorizeUrl, temporary.token), 302);
}
