// Bounds on what a request may carry before any route reads it.

import type { MiddlewareHandler } from "hono";
import { SignInError } from "../errors.js";

/** The longest URL accepted (X's callbacks are a few hundred characters). */
export const MAX_URL_LENGTH = 2048;
/** The largest Cookie header accepted. */
export const MAX_COOKIE_HEADER_LENGTH = 8192;

/** Refuses oversized URLs (414) and Cookie headers (431). (Other methods on the sign-in's paths get 405 with Allow, in twitter-auth.ts.) */
export function requestLimits(): MiddlewareHandler {
  return async (c, next) => {
    if (c.req.url.length > MAX_URL_LENGTH) {
      throw new SignInError(414, "uri_too_long", `The URL is longer than ${MAX_URL_LENGTH} characters.`);
    }
    if ((c.req.header("Cookie")?.length ?? 0) > MAX_COOKIE_HEADER_LENGTH) {
      throw new SignInError(431, "cookie_too_large", "Cookies too large: clear this site's cookies.");
    }
    await next();
  };
}
