// Secure headers on every answer: hono/secure-headers with the sign-in's policies.

import type { MiddlewareHandler } from "hono";
import { secureHeaders as honoSecureHeaders } from "hono/secure-headers";

/**
 * Hono's secure headers, with a Content-Security-Policy that lets nothing load, `Referrer-Policy:
 * no-referrer` (the callback's oauth_token and oauth_verifier never leak in a Referer) and
 * `X-Frame-Options: DENY`. A header the route set itself (a page's own Content-Security-Policy
 * with its nonce and avatar origin) is kept. HSTS only when asked: it binds the whole host and
 * its subdomains, a decision for the site, not for a sign-in mounted in it.
 *
 * @see https://hono.dev/docs/middleware/builtin/secure-headers
 */
export function secureHeaders(options: { strictTransportSecurity?: boolean } = {}): MiddlewareHandler {
  return honoSecureHeaders({
    // For answers that are not pages: nothing may load, nothing may frame them.
    contentSecurityPolicy: { defaultSrc: ["'none'"], baseUri: ["'none'"], formAction: ["'self'"], frameAncestors: ["'none'"] },
    referrerPolicy: "no-referrer",
    xFrameOptions: "DENY",
    strictTransportSecurity: options.strictTransportSecurity ?? false,
    overwrite: false,
  });
}
