// Plays the browser's and the user's part in a sign-in against the Worker and the Twitter stand-in.
import { exports } from "cloudflare:workers";
import { inject } from "vitest";

export const standInOrigin = (): string => inject("standInOrigin");

/** What /login answered. */
export interface LoginStart {
  response: Response;
  /** `name=value` of the request-token cookie, as a browser would send it back. */
  cookie: string;
  /** The whole Set-Cookie header. */
  setCookie: string;
  location: URL;
  oauthToken: string;
}

let clients = 0;
/**
 * A new client address for each visitor, as Cloudflare's CF-Connecting-IP header: /login is
 * rate-limited per client. (Header values only, in the 198.18.0.0/15 benchmarking range.)
 */
export function nextClientIp(): string {
  clients++;
  return `198.18.${(clients >> 8) & 255}.${clients & 255}`;
}

/** GET /login on the given origin, without following the redirect. */
export async function startLogin(origin = "http://localhost:8787", path = "/login"): Promise<LoginStart> {
  const response = await exports.default.fetch(`${origin}${path}`, { redirect: "manual", headers: { "CF-Connecting-IP": nextClientIp() } });
  if (response.status !== 302) throw new Error(`/login answered ${response.status}: ${await response.text()}`);
  const setCookie = response.headers.get("Set-Cookie") ?? "";
  const location = new URL(response.headers.get("Location") ?? "");
  return { response, cookie: setCookie.split(";")[0]!, setCookie, location, oauthToken: location.searchParams.get("oauth_token") ?? "" };
}

/** The user on the stand-in's consent page: types a screen name and presses Authorize (or Cancel). */
export async function decide(oauthToken: string, screenName: string, action: "allow" | "deny" = "allow"): Promise<URL> {
  const response = await fetch(`${standInOrigin()}/oauth/authorize`, {
    method: "POST",
    body: new URLSearchParams({ oauth_token: oauthToken, screen_name: screenName, action }),
    redirect: "manual",
  });
  if (response.status !== 302) throw new Error(`the stand-in's authorize answered ${response.status}: ${await response.text()}`);
  return new URL(response.headers.get("Location") ?? "");
}

/** X's redirect back to the Worker's callback, carrying the browser's cookie. */
export function callback(url: URL | string, cookie?: string): Promise<Response> {
  return exports.default.fetch(String(url), { headers: cookie ? { Cookie: cookie } : {}, redirect: "manual" });
}

/** A whole sign-in: login, authorize as screenName, callback. */
export async function signIn(screenName: string, origin?: string): Promise<{ start: LoginStart; callbackUrl: URL; response: Response }> {
  const start = await startLogin(origin);
  const callbackUrl = await decide(start.oauthToken, screenName);
  return { start, callbackUrl, response: await callback(callbackUrl, start.cookie) };
}

/** Every key under a prefix in the Worker's KV. */
export async function kvKeys(kv: KVNamespace, prefix: string): Promise<string[]> {
  return (await kv.list({ prefix })).keys.map((key) => key.name);
}
