// Signed calls to X's API with a signed-in user's token (Authlib's `oauth.twitter.get(path, token=token)`).

import type { Settings } from "../config.js";
import { SignInError } from "../errors.js";
import { type Credentials, type ParametersInit, readBoundedText } from "../oauth1/index.js";
import { createTwitterClient } from "./client.js";
import { isInvalidToken } from "./revoke.js";

/**
 * X's API on behalf of the signed-in user: every request is signed with their access token.
 * A path starting with `2/` is X API v2 (`get("2/users/me")`: the `2/` beside TWITTER_API_BASE_URL's
 * `1.1/`); any other relative path is v1.1, under TWITTER_API_BASE_URL. A path or URL that leaves
 * X's API origin is refused (TypeError), before anything is signed: the user's token goes to X only.
 * Each method resolves with X's answer whatever its status, except one: when X no longer accepts
 * the token (401 code 89: revoked, or the user removed the app), the session ends and the call
 * throws a 401 `session_revoked` SignInError.
 */
export interface TwitterApi {
  /** GET a path of X's API, e.g. `get("2/users/me", { "user.fields": "created_at" })` (v2) or `get("account/settings.json")` (v1.1). */
  get(path: string, query?: ParametersInit): Promise<Response>;
  /** POST a form to a path of X's API. */
  post(path: string, form?: ParametersInit): Promise<Response>;
  /** Any method, with a query and/or a form body. */
  request(method: string, path: string, init?: { query?: ParametersInit; form?: ParametersInit; headers?: HeadersInit }): Promise<Response>;
}

/** A TwitterApi for the settings' app and the user's token credentials; `endSession` runs when X refuses the token. */
export function createTwitterApi(settings: Settings, token: Credentials, endSession: () => Promise<void> = async () => undefined): TwitterApi {
  const client = createTwitterClient(settings);
  const request: TwitterApi["request"] = async (method, path, init = {}) => {
    const response = await client.request(method, resolveApiPath(settings.apiBaseUrl, path), { ...init, token });
    if (response.status === 401 && isInvalidToken(401, await readBoundedText(response.url, response.clone(), 16 * 1024).catch(() => ""))) {
      await endSession();
      throw new SignInError(401, "session_revoked", "Twitter no longer accepts this sign-in: it was revoked, or the app was removed from the account. Sign in again.");
    }
    return response;
  };
  return {
    request,
    get: (path, query) => request("GET", path, query === undefined ? {} : { query }),
    post: (path, form) => request("POST", path, form === undefined ? {} : { form }),
  };
}

/**
 * The URL of a TwitterApi path: `2/…` resolves as `../2/…` from the v1.1 base (X API v2 beside
 * it), anything else against the base itself; the result must stay on the base's origin.
 *
 * @throws {TypeError} the path is an absolute or protocol-relative URL to another origin
 */
export function resolveApiPath(apiBaseUrl: string, path: string): string {
  const url = new URL(path.startsWith("2/") ? `../${path}` : path, apiBaseUrl);
  const base = new URL(apiBaseUrl);
  const origin = base.origin;
  // The origin alone would let `blob:https://api.x.com/...` through: the scheme must be the base's too.
  if (url.origin !== origin || url.protocol !== base.protocol) throw new TypeError(`twitterApi refuses a URL on ${url.origin}: only X's API (${origin}) gets the user's token. Give a path such as 2/users/me.`);
  return url.href;
}
