// X's POST 1.1/oauth/invalidate_token: revoking a user's access token, so that nobody (this service included) can use it again.

import { type Credentials, type OAuth1Client, ProviderStatusError } from "../oauth1/index.js";
import { twitterErrorCode } from "./errors.js";

/**
 * Revokes the access token the call is signed with. A token X already refuses (401 code 89:
 * revoked before, or the user removed the app) counts as revoked.
 *
 * @throws {OAuth1Error} X could not be reached, did not answer in time, or answered another error
 * @see https://developer.x.com/en/docs/authentication/api-reference/invalidate_access_token
 */
export async function invalidateToken(client: OAuth1Client, token: Credentials): Promise<void> {
  const { response, body, url } = await client.requestText("POST", "oauth/invalidate_token", { token }, 16 * 1024);
  if (response.ok || isInvalidToken(response.status, body)) return;
  throw new ProviderStatusError(url, response.status, body);
}

/** X's answer to a token it does not accept: 401 with error code 89 ("Invalid or expired token"). */
export function isInvalidToken(status: number, body: string): boolean {
  return status === 401 && twitterErrorCode(body) === 89;
}
