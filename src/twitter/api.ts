// Signed calls to X's API with a signed-in user's token (Authlib's `oauth.twitter.get(path, token=token)`).

import type { Credentials, OAuth1Client, ParametersInit } from "../oauth1/index.js";

/** X's API on behalf of the signed-in user: every request is signed with their access token. */
export interface TwitterApi {
  /** GET a path relative to TWITTER_API_BASE_URL, e.g. `get("account/verify_credentials.json", { include_email: "true" })`. */
  get(path: string, query?: ParametersInit): Promise<Response>;
  /** POST a form to a path relative to TWITTER_API_BASE_URL. */
  post(path: string, form?: ParametersInit): Promise<Response>;
  /** Any method, with a query and/or a form body. */
  request(method: string, path: string, init?: { query?: ParametersInit; form?: ParametersInit; headers?: HeadersInit }): Promise<Response>;
}

/** A TwitterApi over a client and the user's token credentials. */
export function createTwitterApi(client: OAuth1Client, token: Credentials): TwitterApi {
  const request: TwitterApi["request"] = (method, path, init = {}) => client.request(method, path, { ...init, token });
  return {
    request,
    get: (path, query) => request("GET", path, query === undefined ? {} : { query }),
    post: (path, form) => request("POST", path, form === undefined ? {} : { form }),
  };
}
