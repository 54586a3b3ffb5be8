// Paths the sign-in reads from requests: where it is mounted, and its query parameters.

import type { Context } from "hono";
import { basePath } from "hono/route";
import { SignInError } from "../errors.js";
import type { Settings } from "../config.js";
import { MAX_NEXT_LENGTH, safeNextPath } from "../next-path.js";

/** A plain path: segments of unreserved characters (RFC 3986), none of them `.` or `..`. */
export const PLAIN_PATH = /^(\/(?!\.\.?(\/|$))[A-Za-z0-9._~-]+)*$/;

/**
 * The prefix the sign-in routes are mounted under (e.g. `/auth/twitter`; `` at the root), from the
 * route Hono matched, with its parameters filled in (`/acme` for `app.route("/:tenant", ...)`),
 * never from the raw path. Refuses (400) a prefix that is not a plain path: it names cookies and
 * makes the callback URL, so `;`, `\\`, controls or a `..` in it would inject or escape.
 */
export function mountPrefix(c: Context): string {
  const prefix = basePath(c).replace(/\/+$/, "");
  if (!PLAIN_PATH.test(prefix)) {
    throw new SignInError(400, "invalid_request", "The sign-in is mounted under a path it cannot use: only letters, digits and . _ ~ - between slashes.");
  }
  return prefix;
}

/** A query parameter, undefined when absent; refuses one given more than once or longer than maxLength. */
export function queryParameter(c: Context, name: string, maxLength = MAX_NEXT_LENGTH): string | undefined {
  const values = c.req.queries(name);
  if (values === undefined || values.length === 0) return undefined;
  if (values.length > 1) throw new SignInError(400, "invalid_request", `${name} is given more than once.`);
  if (values[0]!.length > maxLength) throw new SignInError(400, "invalid_request", `${name} is too long.`);
  return values[0];
}

/** /login's `next`: a path on this site, or undefined when not given; anything else is refused (400). */
export function nextParameter(c: Context): string | undefined {
  const asked = queryParameter(c, "next");
  const next = asked === undefined ? undefined : safeNextPath(asked);
  if (asked !== undefined && next === undefined) throw new SignInError(400, "invalid_request", "next must be a path on this site, such as /account.");
  return next;
}

/**
 * The callback URL of this mount (1.0a's `oauth_callback`, 2.0's `redirect_uri`: /login and /auth
 * must send X exactly the same one): the `/auth` beside this `/login` on PUBLIC_ORIGIN when set
 * (then the request's own origin was checked against it), else the request's.
 */
export function callbackUrl(c: Context, settings: Pick<Settings, "publicOrigin">): string {
  return `${settings.publicOrigin ?? new URL(c.req.url).origin}${mountPrefix(c)}/auth`;
}
