// Paths the sign-in reads from requests: where it is mounted, and where it may send the browser.

import type { Context } from "hono";
import { SignInError } from "../errors.ts";

/** The longest `next` path accepted. */
export const MAX_NEXT_LENGTH = 512;

/**
 * The prefix the sign-in routes are mounted under, from the path of the request that reached
 * `route` (e.g. `/auth/twitter` for `/auth/twitter/login`); `` at the root.
 */
export function mountPrefix(c: Context, route: string): string {
  const path = c.req.path;
  return path.endsWith(route) ? path.slice(0, path.length - route.length) : "";
}

/**
 * A same-origin relative path to send the browser to, or undefined when `value` could lead
 * elsewhere: only `/path?query#fragment`, never `//host`, `/\\host`, a scheme, a backslash,
 * whitespace or a control character (no open redirect).
 */
export function safeNextPath(value: string): string | undefined {
  if (value.length === 0 || value.length > MAX_NEXT_LENGTH) return undefined;
  if (!value.startsWith("/") || value.startsWith("//")) return undefined;
  if (/[\\\s\u0000-\u001f\u007f]/.test(value)) return undefined;
  // Browsers resolve what remains the same way: it must stay on this origin.
  const resolved = new URL(value, "https://origin.invalid");
  return resolved.origin === "https://origin.invalid" ? value : undefined;
}

/** A query parameter, undefined when absent; refuses one given more than once or longer than maxLength. */
export function queryParameter(c: Context, name: string, maxLength = MAX_NEXT_LENGTH): string | undefined {
  const values = c.req.queries(name);
  if (values === undefined || values.length === 0) return undefined;
  if (values.length > 1) throw new SignInError(400, "invalid_request", `${name} is given more than once.`);
  if (values[0]!.length > maxLength) throw new SignInError(400, "invalid_request", `${name} is too long.`);
  return values[0];
}
