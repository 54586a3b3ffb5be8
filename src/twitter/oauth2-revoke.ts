// X's POST /2/oauth2/revoke (RFC 7009) at sign-out: the session's refresh token, which ends the access token issued with it.

import type { OAuth2Settings, Settings } from "../config.js";
import { logRevocation } from "../log.js";
import { OAuth2Error } from "../oauth2/index.js";
import type { OAuth2Grant } from "../session/session-store.js";
import { createOAuth2Client } from "./oauth2-client.js";

/**
 * Revokes a session's OAuth 2.0 grant at X and logs the outcome (never a token): the refresh
 * token when there is one (X: revoking it ends its access token too), else the access token.
 * A token X already refuses counts as revoked (RFC 7009 section 2.2: 200 either way).
 * @see https://docs.x.com/fundamentals/authentication/oauth-2-0/user-access-token
 */
export async function revokeGrant(settings: Pick<Settings, "timeoutMs">, oauth2: OAuth2Settings | undefined, grant: OAuth2Grant): Promise<void> {
  const started = Date.now();
  try {
    if (oauth2 === undefined) throw new OAuth2Error("ERR_OAUTH2_INVALID_INPUT", "TWITTER_OAUTH2_CLIENT_ID and _SECRET are not set");
    const client = createOAuth2Client(settings, oauth2);
    if (grant.refreshToken !== undefined) await client.revoke(grant.refreshToken, "refresh_token");
    else await client.revoke(grant.accessToken, "access_token");
    logRevocation({ outcome: "ok", durationMs: Date.now() - started });
  } catch (error) {
    const known = error instanceof OAuth2Error;
    logRevocation({ outcome: "error", durationMs: Date.now() - started, error: known ? error.code : "internal_error", ...(known && { providerStatus: error.status }) });
  }
}
