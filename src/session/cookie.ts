// Signed cookies that hold only a random id (HMAC-SHA256 with SESSION_SECRET): the request-token cookie and the session cookie.

import type { Context } from "hono";
import { deleteCookie, getSignedCookie, setSignedCookie } from "hono/cookie";
import type { CookieOptions } from "hono/utils/cookie";

/** The request-token cookie's base name (`__Host-` or `__Secure-` is put before it over https). */
export const REQUEST_TOKEN_COOKIE = "twitter_login";
/** The session cookie's base name (`__Host-` over https). */
export const SESSION_COOKIE = "twitter_session";

/** Which cookie, and on which path. */
export interface CookieSpec {
  name: string;
  /** `/` or the prefix the sign-in routes are mounted under. */
  path: string;
}

/** What reading a cookie found. */
export type CookieRead =
  | { status: "valid"; id: string; issuedAt: number }
  | { status: "missing" }
  | { status: "invalid" }
  | { status: "expired"; id: string };

function isHttps(c: Context): boolean {
  return new URL(c.req.url).protocol === "https:";
}

/**
 * The prefix over https: `__Host-` when the cookie is for the whole site (it requires `Path=/`),
 * `__Secure-` for a narrower path. None over http (local development).
 */
function prefixOf(c: Context, spec: CookieSpec): "host" | "secure" | undefined {
  if (!isHttps(c)) return undefined;
  return spec.path === "/" ? "host" : "secure";
}

/** HttpOnly, SameSite=Lax (Strict would not come back from X's redirect), Secure over https. */
function cookieOptions(c: Context, spec: CookieSpec, maxAge: number): CookieOptions {
  const prefix = prefixOf(c, spec);
  const options: CookieOptions = { httpOnly: true, sameSite: "Lax", path: spec.path, maxAge };
  if (prefix) Object.assign(options, { secure: true, prefix });
  return options;
}

/** Sets the cookie to `<id>.<issued at, unix seconds>`, signed. */
export async function setIdCookie(c: Context, spec: CookieSpec, secret: string, id: string, maxAge: number, nowMs = Date.now()): Promise<void> {
  await setSignedCookie(c, spec.name, `${id}.${Math.floor(nowMs / 1000)}`, secret, cookieOptions(c, spec, maxAge));
}

/**
 * Reads and verifies the cookie. `expired` when it is older than maxAge even if the browser
 * still sent it (KV's expiry is not exact, this is).
 */
export async function readIdCookie(c: Context, spec: CookieSpec, secret: string, maxAge: number, nowMs = Date.now()): Promise<CookieRead> {
  const value = await getSignedCookie(c, secret, spec.name, prefixOf(c, spec));
  if (value === undefined) return { status: "missing" };
  if (value === false) return { status: "invalid" };
  const match = /^([A-Za-z0-9_-]{22})\.(\d{1,12})$/.exec(value);
  if (!match) return { status: "invalid" };
  const age = Math.floor(nowMs / 1000) - Number(match[2]);
  if (age > maxAge || age < -60) return { status: "expired", id: match[1]! };
  return { status: "valid", id: match[1]!, issuedAt: Number(match[2]) };
}

/** Clears the cookie (same attributes, Max-Age=0). */
export function clearIdCookie(c: Context, spec: CookieSpec): void {
  deleteCookie(c, spec.name, cookieOptions(c, spec, 0));
}
