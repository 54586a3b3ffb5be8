// Whether a request reached the developer's own machine: only there may answers name settings and local addresses.

import type { Context } from "hono";

/**
 * True when the request was sent to the developer's own machine (localhost, *.localhost, 127.x,
 * [::1], as `wrangler dev` serves): only there does an answer name the settings at fault.
 */
export function isLocalDevelopment(c: Context): boolean {
  const { hostname } = new URL(c.req.url);
  return hostname === "localhost" || hostname.endsWith(".localhost") || hostname === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}
