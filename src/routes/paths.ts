// Paths the sign-in reads from requests: where it is mounted, and its query parameters.

import type { Context } from "hono";
import { SignInError } from "../errors.js";
import { MAX_NEXT_LENGTH } from "../next-path.js";

/**
 * The prefix the sign-in routes are mounted under, from the path of the request that reached
 * `route` (e.g. `/auth/twitter` for `/auth/twitter/login`); `` at the root.
 */
export function mountPrefix(c: Context, route: string): string {
  const path = c.req.path;
  return path.endsWith(route) ? path.slice(0, path.length - route.length) : "";
}

/** A query parameter, undefined when absent; refuses one given more than once or longer than maxLength. */
export function queryParameter(c: Context, name: string, maxLength = MAX_NEXT_LENGTH): string | undefined {
  const values = c.req.queries(name);
  if (values === undefined || values.length === 0) return undefined;
  if (values.length > 1) throw new SignInError(400, "invalid_request", `${name} is given more than once.`);
  if (values[0]!.length > maxLength) throw new SignInError(400, "invalid_request", `${name} is too long.`);
  return values[0];
}
