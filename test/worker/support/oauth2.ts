// OAuth 2.0 against the stand-in: the env that switches the Worker to 2.0, and the user's part on the stand-in's consent page.
import { Hono } from "hono";
import type { TwitterAuthEnv } from "../../../src/env";
import { twitterSession } from "../../../src/twitter-auth";
import { type StoreName, ENVS, ORIGIN, get, send, sessionCookieOf } from "./stores";

/** A host app whose route calls X as the signed-in user through twitterApi. */
const host = new Hono<TwitterAuthEnv>();
host.use(twitterSession());
host.get("/x/me", async (c) => {
  const response = await c.var.twitterApi!.get("2/users/me");
  return c.json({ status: response.status, body: await response.json() });
});

/** GET the host app's /x/me with a session cookie: X's answer to twitterApi.get("2/users/me"), as JSON { status, body }. */
export function visit(environment: Cloudflare.Env, cookie: string): Promise<Response> {
  return Promise.resolve(host.request(`${ORIGIN}/x/me`, { headers: { Cookie: cookie } }, environment));
}

/** The stand-in's default OAuth 2.0 client (tools/stand-in/oauth2.ts, which workerd cannot import: it is Node's). */
const DEFAULT_OAUTH2_CLIENT_ID = "stand-in-oauth2-client-id";
const DEFAULT_OAUTH2_CLIENT_SECRET = "stand-in-oauth2-client-secret";

/** An env of the given store switched to OAuth 2.0 against a stand-in (the default one unless `origin`). */
export function oauth2Env(base: Cloudflare.Env, origin: string, extra: Record<string, string> = {}): Cloudflare.Env {
  return {
    ...base,
    TWITTER_OAUTH_VERSION: "2.0",
    TWITTER_OAUTH2_CLIENT_ID: DEFAULT_OAUTH2_CLIENT_ID,
    TWITTER_OAUTH2_CLIENT_SECRET: DEFAULT_OAUTH2_CLIENT_SECRET,
    TWITTER_OAUTH2_AUTHORIZE_URL: `${origin}/i/oauth2/authorize`,
    TWITTER_OAUTH2_TOKEN_URL: `${origin}/2/oauth2/token`,
    TWITTER_OAUTH2_REVOKE_URL: `${origin}/2/oauth2/revoke`,
    TWITTER_API_BASE_URL: `${origin}/1.1/`,
    ...extra,
  } as Cloudflare.Env;
}

/** The user on the stand-in's OAuth 2.0 consent page: opens it from /login's redirect, types a screen name, presses Authorize or Cancel. */
export async function consent(authorizeUrl: URL, screenName: string, action: "allow" | "deny" = "allow"): Promise<URL> {
  const page = await fetch(authorizeUrl);
  const html = await page.text();
  const request = /name="request" value="([^"]+)"/.exec(html)?.[1];
  if (page.status !== 200 || request === undefined) throw new Error(`the stand-in's authorize page answered ${page.status}: ${html.slice(0, 300)}`);
  const response = await fetch(`${authorizeUrl.origin}/i/oauth2/authorize`, {
    method: "POST",
    body: new URLSearchParams({ request, screen_name: screenName, action }),
    redirect: "manual",
  });
  if (response.status !== 302) throw new Error(`the stand-in's consent answered ${response.status}`);
  return new URL(response.headers.get("Location")!);
}

/** /login under 2.0: the request-token cookie and X's authorize URL. */
export async function startOAuth2Login(environment: Cloudflare.Env, query = ""): Promise<{ response: Response; cookie: string; authorizeUrl: URL }> {
  const response = await send(environment, `/login${query}`);
  if (response.status !== 302) throw new Error(`/login answered ${response.status}: ${await response.text()}`);
  return { response, cookie: (response.headers.get("Set-Cookie") ?? "").split(";")[0]!, authorizeUrl: new URL(response.headers.get("Location")!) };
}

/** A whole 2.0 sign-in; the callback's answer and the session cookie. */
export async function signInOAuth2(environment: Cloudflare.Env, screenName: string): Promise<{ response: Response; session: ReturnType<typeof sessionCookieOf> }> {
  const { cookie, authorizeUrl } = await startOAuth2Login(environment);
  const back = await consent(authorizeUrl, screenName);
  const response = await get(environment, `${back.pathname}${back.search}`, cookie);
  return { response, session: sessionCookieOf(response) };
}

export { ENVS, type StoreName };
