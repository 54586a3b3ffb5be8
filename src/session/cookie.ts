// Signed cookies that hold only a random id, when it was issued and, for a session, its user's shard (HMAC-SHA256 with SESSION_SECRET), in hono/cookie's signed format.

import type { Context } from "hono";
import { generateCookie, generateSignedCookie, getCookie } from "hono/cookie";
import type { CookieOptions } from "hono/utils/cookie";

/** The session cookie's name (`__Host-` is put before it over https). */
export const SESSION_COOKIE = "twitter_session";

/**
 * The request-token cookie's name for the sign-in mounted under `prefix` (`` at the root):
 * `twitter_login`, then the prefix percent-encoded (`twitter_login%2Fauth%2Ftwitter`), so that two
 * mounts on one site never share it. `__Host-` is put before it over https.
 */
export function requestTokenCookie(prefix: string): string {
  return `twitter_login${encodeURIComponent(prefix)}`;
}

/** What reading a cookie found. `rotated`: signed with an older SESSION_SECRET than the newest; `shard`: where the store keeps the session, when it says. */
export type CookieRead =
  | { status: "valid"; id: string; issuedAt: number; rotated: boolean; shard: string | undefined }
  | { status: "missing" }
  | { status: "invalid" }
  | { status: "expired"; id: string; shard: string | undefined };

const encoder = new TextEncoder();
const verifyingKeys = new Map<string, Promise<CryptoKey>>();

function verifyingKey(secret: string): Promise<CryptoKey> {
  let key = verifyingKeys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
    if (verifyingKeys.size > 8) verifyingKeys.clear();
    verifyingKeys.set(secret, key);
  }
  return key;
}

/**
 * hono/cookie's options for every cookie: `Path=/`, HttpOnly, SameSite=Lax (Strict would not come
 * back from X's redirect); over https Secure and `__Host-`, which no other host (a sibling
 * subdomain with `Domain=`) can set, so nobody can plant a cookie of theirs in a victim's browser.
 */
function options(c: Context): CookieOptions {
  const https = c.req.url.startsWith("https:");
  return { path: "/", httpOnly: true, sameSite: "Lax", ...(https ? { secure: true, prefix: "host" } : {}) };
}

/**
 * Sets the cookie to `<id>.<issued at, unix seconds>` (then `.<shard>` when given), signed
 * (hono/cookie's setSignedCookie). `issuedAt` keeps an older cookie's age when it is signed again
 * with a newer secret.
 */
export async function setIdCookie(c: Context, name: string, secret: string, id: string, maxAge: number, nowMs = Date.now(), issuedAt = Math.floor(nowMs / 1000), shard?: string): Promise<void> {
  // The session's with `Priority=High`: when a protected site's own cookies fill the jar, Chromium evicts it last.
  const priority = name === SESSION_COOKIE ? ({ priority: "High" } as const) : {};
  send(c, await generateSignedCookie(name, `${id}.${issuedAt}${shard === undefined ? "" : `.${shard}`}`, secret, { ...options(c), ...priority, maxAge }));
}

/** The Set-Cookie headers each request's context was given here. */
const sent = new WeakMap<Context, string[]>();

function send(c: Context, header: string): void {
  c.header("Set-Cookie", header, { append: true });
  const headers = sent.get(c);
  if (headers) headers.push(header);
  else sent.set(c, [header]);
}

/**
 * Puts the cookies set during this request on its answer when the answer did not come through
 * the context (a route that returned `new Response(...)`, a proxied `fetch`): Hono keeps headers
 * set with `c.header()` only on answers it builds itself.
 */
export function keepCookies(c: Context): void {
  const headers = sent.get(c);
  // Not answered yet (a middleware called without a route after it): the answer will be built later.
  if (!headers || !c.finalized) return;
  const present = c.res.headers.getSetCookie();
  for (const header of headers) if (!present.includes(header)) c.header("Set-Cookie", header, { append: true });
}

/**
 * Reads and verifies the cookie (crypto.subtle.verify compares in constant time) with each of
 * `secrets` (SESSION_SECRET's list, newest first). `expired` when it is older than maxAge even if
 * the browser still sent it (KV's expiry is not exact, this is).
 *
 * Ours rather than hono/cookie's getSignedCookie, which reads a malformed cookie as missing (we
 * answer it as invalid), accepts a signature in a non-canonical base64 (the two unused low bits of
 * its last character can be anything: four spellings of one signature) and imports the key on
 * every call.
 */
export async function readIdCookie(c: Context, name: string, secrets: readonly string[], maxAge: number, nowMs = Date.now()): Promise<CookieRead> {
  const raw = getCookie(c, name, options(c).prefix);
  if (raw === undefined) return { status: "missing" };
  const match = /^(([A-Za-z0-9_-]{22})\.(\d{1,12})(?:\.([A-Za-z0-9_-]{22}))?)\.([A-Za-z0-9+/]{43}=)$/.exec(raw);
  if (!match) return { status: "invalid" };
  const signature = Uint8Array.from(atob(match[5]!), (character) => character.charCodeAt(0));
  // Only the canonical spelling: the one the signature's own bytes encode to.
  if (btoa(String.fromCharCode(...signature)) !== match[5]) return { status: "invalid" };
  const signed = encoder.encode(match[1]);
  let index = 0;
  while (!(await crypto.subtle.verify("HMAC", await verifyingKey(secrets[index]!), signature, signed))) {
    if (++index === secrets.length) return { status: "invalid" };
  }
  const age = Math.floor(nowMs / 1000) - Number(match[3]);
  if (age > maxAge || age < -60) return { status: "expired", id: match[2]!, shard: match[4] };
  return { status: "valid", id: match[2]!, issuedAt: Number(match[3]), rotated: index > 0, shard: match[4] };
}

/** Clears the cookie (same name and attributes, Max-Age=0). */
export function clearIdCookie(c: Context, name: string): void {
  send(c, generateCookie(name, "", { ...options(c), maxAge: 0 }));
}

/** The cookie that carries a notice to the next page for a minute: a code from {@link NOTICES}, never text. */
export const NOTICE_COOKIE = "twitter_notice";

/** Every notice a page may show, by its code: fixed sentences, so a cookie can choose one but never write one. */
export const NOTICES = {
  device_signed_out: "The other device is signed out: it needs to sign in again to get back in.",
} as const;

/** Sets the notice the next page shows (for a minute at most). */
export function setNoticeCookie(c: Context, code: keyof typeof NOTICES): void {
  send(c, generateCookie(NOTICE_COOKIE, code, { ...options(c), maxAge: 60 }));
}

/** The notice the cookie names, if it names one (cleared either way: it is shown once); undefined otherwise. */
export function takeNotice(c: Context): string | undefined {
  const code = getCookie(c, NOTICE_COOKIE, options(c).prefix);
  if (code === undefined) return undefined;
  clearIdCookie(c, NOTICE_COOKIE);
  return Object.hasOwn(NOTICES, code) ? NOTICES[code as keyof typeof NOTICES] : undefined;
}
