// Signed calls to X's API with a signed-in user's token (Authlib's `oauth.twitter.get(path, token=token)`).

import { SignInError } from "../errors.js";
import { type Credentials, type OAuth1Client, type ParametersInit, readBoundedText } from "../oauth1/index.js";
import { isInvalidToken } from "./revoke.js";

/**
 * X's API on behalf of the signed-in user: every request is signed with their access token.
 * Each method resolves with X's answer whatever its status, except one: when X no longer accepts
 * the token (401 code 89: revoked, or the user removed the app), the session ends and the call
 * throws a 401 `session_revoked` SignInError.
 */
export interface TwitterApi {
  /** GET a path relative to TWITTER_API_BASE_URL, e.g. `get("account/verify_credentials.json", { include_email: "true" })`. */
  get(path: string, query?: ParametersInit): Promise<Response>;
  /** POST a form to a path relative to TWITTER_API_BASE_URL. */
  post(path: string, form?: ParametersInit): Promise<Response>;
  /** Any method, with a query and/or a form body. */
  request(method: string, path: string, init?: { query?: ParametersInit; form?: ParametersInit; headers?: HeadersInit }): Promise<Response>;
}

/** A TwitterApi over a client and the user's token credentials; `endSession` runs when X refuses the token. */
export function createTwitterApi(client: OAuth1Client, token: Credentials, endSession: () => Promise<void> = async () => undefined): TwitterApi {
  const request: TwitterApi["request"] = async (method, path, init = {}) => {
    const response = await client.request(method, path, { ...init, token });
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
