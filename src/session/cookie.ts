// Signed cookies that hold only a random id and when it was issued (HMAC-SHA256 with SESSION_SECRET), in hono/cookie's signed format.

import type { Context } from "hono";
import { deleteCookie, getCookie, setSignedCookie } from "hono/cookie";
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

const encoder = new TextEncoder();
const verifyingKeys = new Map<string, Promise<CryptoKey>>();

function verifyingKey(secret: string): Promise<CryptoKey> {
  let key = verifyingKeys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
    if (verifyingKeys.size > 4) verifyingKeys.clear();
    verifyingKeys.set(secret, key);
  }
  return key;
}

/**
 * hono/cookie's options for the cookie: HttpOnly, SameSite=Lax (Strict would not come back from
 * X's redirect); over https Secure, with `__Host-` when the cookie is for the whole site (it
 * requires `Path=/`) and `__Secure-` for a narrower path.
 */
function options(c: Context, spec: CookieSpec): CookieOptions {
  const https = new URL(c.req.url).protocol === "https:";
  return {
    path: spec.path,
    httpOnly: true,
    sameSite: "Lax",
    ...(https ? { secure: true, prefix: spec.path === "/" ? "host" : "secure" } : {}),
  };
}

/** Sets the cookie to `<id>.<issued at, unix seconds>`, signed (hono/cookie's setSignedCookie). */
export async function setIdCookie(c: Context, spec: CookieSpec, secret: string, id: string, maxAge: number, nowMs = Date.now()): Promise<void> {
  await setSignedCookie(c, spec.name, `${id}.${Math.floor(nowMs / 1000)}`, secret, { ...options(c, spec), maxAge });
}

/**
 * Reads and verifies the cookie (crypto.subtle.verify compares in constant time). `expired` when
 * it is older than maxAge even if the browser still sent it (KV's expiry is not exact, this is).
 *
 * Ours rather than hono/cookie's getSignedCookie, which reads a malformed cookie as missing (we
 * answer it as invalid) and imports the key on every call.
 */
export async function readIdCookie(c: Context, spec: CookieSpec, secret: string, maxAge: number, nowMs = Date.now()): Promise<CookieRead> {
  const { prefix } = options(c, spec);
  const raw = getCookie(c, spec.name, prefix);
  if (raw === undefined) return { status: "missing" };
  const match = /^([A-Za-z0-9_-]{22})\.(\d{1,12})\.([A-Za-z0-9+/]{43}=)$/.exec(raw);
  if (!match) return { status: "invalid" };
  const signature = Uint8Array.from(atob(match[3]!), (character) => character.charCodeAt(0));
  const valid = await crypto.subtle.verify("HMAC", await verifyingKey(secret), signature, encoder.encode(`${match[1]}.${match[2]}`));
  if (!valid) return { status: "invalid" };
  const age = Math.floor(nowMs / 1000) - Number(match[2]);
  if (age > maxAge || age < -60) return { status: "expired", id: match[1]! };
  return { status: "valid", id: match[1]!, issuedAt: Number(match[2]) };
}

/** Clears the cookie (same name and attributes, Max-Age=0). */
export function clearIdCookie(c: Context, spec: CookieSpec): void {
  deleteCookie(c, spec.name, options(c, spec));
}
