// The signed-in user's profile from whichever endpoint X allows the app: v1.1 verify_credentials, or X API v2 /2/users/me; or, with `none`, from X's token answer.

import type { Settings } from "../config.js";
import { SignInError } from "../errors.js";
import { logProfileFallback } from "../log.js";
import { type Credentials, type OAuth1Client, OAuth1Error, type TokenResponse } from "../oauth1/index.js";
import { type VerifiedCredentials, getUsersMe, userOfTokenAnswer, verifyCredentials } from "./account.js";
import { type ProviderFailureContext, accessLevelError, explainProviderFailure, isAccessRefusal, providerDetails } from "./errors.js";

/** Which endpoint served the profile (the `X-Twitter-Profile-Source` header of /auth's answer): `access_token` with `none`. */
export type ProfileSource = "verify_credentials" | "users_me" | "access_token";

/** How long a refusal is remembered before v1.1 (or the email) is asked for again: the app may have been upgraded. */
export const REMEMBER_REFUSAL_MS = 60 * 60 * 1000;

/**
 * What X refused lately, per app and API base, and until when: kept for the isolate's life, so the
 * sign-ins after a refusal go straight to what works. `now` is the clock (tests move it).
 */
export const refusals = { until: new Map<string, number>(), now: () => Date.now() };

const remembered = (key: string) => (refusals.until.get(key) ?? 0) > refusals.now();
const remember = (key: string) => refusals.until.set(key, refusals.now() + REMEMBER_REFUSAL_MS);

/**
 * The user's profile, as `profileEndpoint` says. `auto`: v1.1 `account/verify_credentials` (its
 * JSON is what /auth has always answered); when X refuses it at the app's access level (403 error
 * 453; 404 or 410 once retired), v2 `GET /2/users/me` with the same token, and for the next hour
 * v2 straight away. `verify_credentials`, `users_me`: that one only. Refused at the access level
 * with nothing left to try: 502 `twitter_access_level`. `none`: no call; the user X named in
 * the token answer (see profileOfTokenAnswer).
 *
 * @throws {SignInError} the explained failure of the last call to X
 */
export async function fetchProfile(
  client: OAuth1Client,
  token: TokenResponse,
  settings: Pick<Settings, "consumerKey" | "apiBaseUrl" | "includeEmail" | "profileEndpoint">,
  context: ProviderFailureContext,
): Promise<VerifiedCredentials & { source: ProfileSource }> {
  const mode = settings.profileEndpoint;
  if (mode === "none") return profileOfTokenAnswer(token);
  const key = `${settings.consumerKey}\n${settings.apiBaseUrl}`;
  let step: ProfileSource = "users_me";
  try {
    if (mode === "verify_credentials" || (mode === "auto" && !remembered(key))) {
      step = "verify_credentials";
      try {
        return { ...(await verifyCredentials(client, token, settings)), source: step };
      } catch (error) {
        if (mode !== "auto" || !isAccessRefusal(error, step)) throw error;
        step = "users_me";
        const profile = await usersMe(client, token, settings.includeEmail, `${key}\nemail`);
        // Remembered only once v2 has served the profile: a refusal that v2 cannot stand in for is not worth an hour.
        remember(key);
        logProfileFallback({ fallback: "users_me", ...providerDetails(error) });
        return { ...profile, source: step };
      }
    }
    return { ...(await usersMe(client, token, settings.includeEmail, `${key}\nemail`)), source: step };
  } catch (error) {
    if (!(error instanceof OAuth1Error)) throw error;
    throw isAccessRefusal(error, step) ? accessLevelError(error, step) : explainProviderFailure(error, step, context);
  }
}

/**
 * /2/users/me, with `confirmed_email` when the email is wanted. X documents that field for OAuth
 * 2.0 and is silent on OAuth 1.0a, and on how it would refuse it: after any 400 or 403 to the
 * request that asked for it, the sign-in asks once more without it. When that succeeds, the
 * refusal was the email's (logged); when the sign-in before was refused it too, the email is not
 * asked for again for an hour (one odd answer does not turn it off); when the request without it
 * fails too, its own failure is the answer and nothing is remembered.
 */
async function usersMe(client: OAuth1Client, token: Credentials, includeEmail: boolean, key: string): Promise<VerifiedCredentials> {
  const email = includeEmail && !remembered(key);
  try {
    const profile = await getUsersMe(client, token, { includeEmail: email });
    if (email) refusals.until.delete(`${key}\nonce`);
    return profile;
  } catch (error) {
    if (!email || !(error instanceof OAuth1Error) || (error.status !== 400 && error.status !== 403)) throw error;
    const profile = await getUsersMe(client, token);
    // The first refusal is noted (`once`, for the hour); the second in a row is remembered.
    if (remembered(`${key}\nonce`)) remember(key);
    else remember(`${key}\nonce`);
    logProfileFallback({ fallback: "without_email", ...providerDetails(error) });
    return profile;
  }
}

/**
 * TWITTER_PROFILE_ENDPOINT=none: the user from X's `oauth/access_token` answer, with no call to X
 * (nothing billed). The JSON /auth answers is `{"id","screenName"}`, the id a string: the names
 * /me uses, as X sent no profile to pass on. An answer without a `user_id` of digits and a
 * `screen_name` is X's fault: 502 `twitter_bad_response`, and no session starts.
 *
 * @throws {SignInError} 502 `twitter_bad_response`
 */
function profileOfTokenAnswer(token: TokenResponse): VerifiedCredentials & { source: "access_token" } {
  const profile = userOfTokenAnswer(token.parameters);
  if (!profile) {
    throw new SignInError(
      502,
      "twitter_bad_response",
      "Twitter's answer (access_token) names no user (a user_id of digits and a screen_name), which TWITTER_PROFILE_ENDPOINT=none signs in with. Try again later; if it persists, set TWITTER_PROFILE_ENDPOINT=auto.",
    );
  }
  return { json: JSON.stringify({ id: profile.id, screenName: profile.screenName }), profile, source: "access_token" };
}
