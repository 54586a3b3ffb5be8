// The signed cookie that names a pending sign-in: only a random id, HMAC-SHA256-signed with SESSION_SECRET.

import type { Context } from "hono";
import { deleteCookie, getSignedCookie, setSignedCookie } from "hono/cookie";
import type { CookieOptions } from "hono/utils/cookie";

/** The cookie's base name; `__Host-` is put before it over https. */
export const REQUEST_TOKEN_COOKIE = "twitter_login";

/** What reading the cookie found. */
export type CookieRead =
  | { status: "valid"; id: string; issuedAt: number }
  | { status: "missing" }
  | { status: "invalid" }
  | { status: "expired"; id: string };

function isHttps(c: Context): boolean {
  return new URL(c.req.url).protocol === "https:";
}

/** The cookie's attributes: HttpOnly, SameSite=Lax (Strict would not come back from X), Path=/, Secure and `__Host-` over https. */
function cookieOptions(c: Context, maxAge: number): CookieOptions {
  return isHttps(c)
    ? { httpOnly: true, sameSite: "Lax", path: "/", maxAge, secure: true, prefix: "host" }
    : { httpOnly: true, sameSite: "Lax", path: "/", maxAge };
}

/** Sets the cookie to `<id>.<issued at, unix seconds>`, signed. */
export async function setRequestTokenCookie(c: Context, secret: string, id: string, maxAge: number, nowMs = Date.now()): Promise<void> {
  const value = `${id}.${Math.floor(nowMs / 1000)}`;
  await setSignedCookie(c, REQUEST_TOKEN_COOKIE, value, secret, cookieOptions(c, maxAge));
}

/**
 * Reads and verifies the cookie. `expired` when it is older than maxAge even if the browser
 * still sent it (KV's expiry is not exact, this is).
 */
export async function readRequestTokenCookie(c: Context, secret: string, maxAge: number, nowMs = Date.now()): Promise<CookieRead> {
  const value = await getSignedCookie(c, secret, REQUEST_TOKEN_COOKIE, isHttps(c) ? "host" : undefined);
  if (value === undefined) return { status: "missing" };
  if (value === false) return { status: "invalid" };
  const match = /^([A-Za-z0-9_-]{22})\.(\d{1,12})$/.exec(value);
  if (!match) return { status: "invalid" };
  const issuedAt = Number(match[2]);
  const age = Math.floor(nowMs / 1000) - issuedAt;
  if (age > maxAge || age < -60) return { status: "expired", id: match[1]! };
  return { status: "valid", id: match[1]!, issuedAt };
}

/** Clears the cookie (same attributes, Max-Age=0). */
export function clearRequestTokenCookie(c: Context): void {
  deleteCookie(c, REQUEST_TOKEN_COOKIE, cookieOptions(c, 0));
}
