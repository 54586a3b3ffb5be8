// Plain http to a gateway whose PUBLIC_ORIGIN is https: sent to https rather than refused.

import type { MiddlewareHandler } from "hono";
import { SignInError } from "../errors.js";

/**
 * For every path (the sign-in's too), when PUBLIC_ORIGIN is https and the request came for its
 * host over plain http: a GET or HEAD gets 301 to the same path and query on PUBLIC_ORIGIN; any
 * other method 400 `https_required`, since its body has already crossed the network in clear and
 * a redirect would only send it again. Another host is left to the `wrong_host` check.
 *
 * @see docs/gateway.md
 */
export function redirectToHttps(publicOrigin: string | undefined): MiddlewareHandler {
  const site = publicOrigin?.startsWith("https:") ? new URL(publicOrigin) : undefined;
  return async (c, next) => {
    const url = new URL(c.req.url);
    if (!site || url.protocol !== "http:" || url.hostname !== site.hostname) return next();
    c.header("Cache-Control", "no-store");
    if (c.req.method === "GET" || c.req.method === "HEAD") return c.redirect(site.origin + url.pathname + url.search, 301);
    throw new SignInError(400, "https_required", `This site is served at ${site.origin} only. Send the request there, over https.`);
  };
}
