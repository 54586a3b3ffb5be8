// Secure defaults on every answer (the set hono/secure-headers sets, in a few lines: the bundle stays small).

import type { MiddlewareHandler } from "hono";

/** The policy for answers that are not pages: nothing may load, nothing may frame them. */
export const DEFAULT_CONTENT_SECURITY_POLICY = "default-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const HEADERS: readonly (readonly [string, string])[] = [
  ["Content-Security-Policy", DEFAULT_CONTENT_SECURITY_POLICY],
  // The callback's query (oauth_token, oauth_verifier) never leaks in a Referer.
  ["Referrer-Policy", "no-referrer"],
  ["X-Content-Type-Options", "nosniff"],
  ["X-Frame-Options", "DENY"],
  ["Cross-Origin-Opener-Policy", "same-origin"],
  ["Cross-Origin-Resource-Policy", "same-origin"],
  ["Strict-Transport-Security", "max-age=15552000; includeSubDomains"],
];

/**
 * Sets the secure headers on the answer; a header the route set itself (a page's own
 * Content-Security-Policy with its nonce) is kept.
 */
export function secureHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const headers = c.res.headers;
    for (const [name, value] of HEADERS) if (!headers.has(name)) headers.set(name, value);
  };
}
