// Signed cookies that hold only a random id (HMAC-SHA256 with SESSION_SECRET): the request-token cookie and the session cookie.
// The format is Hono's signed cookie (`encodeURIComponent(value + "." + base64(HMAC))`), written here in a few lines.

import type { Context } from "hono";

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
const signingKeys = new Map<string, Promise<CryptoKey>>();

function signingKey(secret: string): Promise<CryptoKey> {
  let key = signingKeys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
    if (signingKeys.size > 4) signingKeys.clear();
    signingKeys.set(secret, key);
  }
  return key;
}

/**
 * The cookie's full name and attributes: HttpOnly, SameSite=Lax (Strict would not come back
 * from X's redirect); over https Secure, with `__Host-` when the cookie is for the whole site (it
 * requires `Path=/`) and `__Secure-` for a narrower path.
 */
function attributes(c: Context, spec: CookieSpec): { name: string; suffix: string } {
  const https = new URL(c.req.url).protocol === "https:";
  const prefix = !https ? "" : spec.path === "/" ? "__Host-" : "__Secure-";
  return { name: prefix + spec.name, suffix: `; Path=${spec.path}; HttpOnly${https ? "; Secure" : ""}; SameSite=Lax` };
}

/** Sets the cookie to `<id>.<issued at, unix seconds>`, signed. */
export async function setIdCookie(c: Context, spec: CookieSpec, secret: string, id: string, maxAge: number, nowMs = Date.now()): Promise<void> {
  const value = `${id}.${Math.floor(nowMs / 1000)}`;
  const signature = await crypto.subtle.sign("HMAC", await signingKey(secret), encoder.encode(value));
  const { name, suffix } = attributes(c, spec);
  const signed = encodeURIComponent(`${value}.${btoa(String.fromCharCode(...new Uint8Array(signature)))}`);
  c.header("Set-Cookie", `${name}=${signed}; Max-Age=${maxAge}${suffix}`, { append: true });
}

/**
 * Reads and verifies the cookie (crypto.subtle.verify compares in constant time). `expired` when
 * it is older than maxAge even if the browser still sent it (KV's expiry is not exact, this is).
 */
export async function readIdCookie(c: Context, spec: CookieSpec, secret: string, maxAge: number, nowMs = Date.now()): Promise<CookieRead> {
  const raw = cookieValue(c.req.header("Cookie"), attributes(c, spec).name);
  if (raw === undefined) return { status: "missing" };
  const match = /^([A-Za-z0-9_-]{22})\.(\d{1,12})\.([A-Za-z0-9+/]{43}=)$/.exec(raw);
  if (!match) return { status: "invalid" };
  const signature = Uint8Array.from(atob(match[3]!), (character) => character.charCodeAt(0));
  const valid = await crypto.subtle.verify("HMAC", await signingKey(secret), signature, encoder.encode(`${match[1]}.${match[2]}`));
  if (!valid) return { status: "invalid" };
  const age = Math.floor(nowMs / 1000) - Number(match[2]);
  if (age > maxAge || age < -60) return { status: "expired", id: match[1]! };
  return { status: "valid", id: match[1]!, issuedAt: Number(match[2]) };
}

/** Clears the cookie (same name and attributes, Max-Age=0). */
export function clearIdCookie(c: Context, spec: CookieSpec): void {
  const { name, suffix } = attributes(c, spec);
  c.header("Set-Cookie", `${name}=; Max-Age=0${suffix}`, { append: true });
}

/** The decoded value of the first cookie with this name in a Cookie header. */
function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const pair of header.split(";")) {
    const separator = pair.indexOf("=");
    if (separator < 0 || pair.slice(0, separator).trim() !== name) continue;
    try {
      return decodeURIComponent(pair.slice(separator + 1).trim());
    } catch {
      return "";
    }
  }
  return undefined;
}
