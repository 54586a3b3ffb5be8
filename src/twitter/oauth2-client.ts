// X's OAuth 2.0 from the service's settings: the client, /2/users/me with a Bearer token, and what X's OAuth 2.0 failures mean to a visitor.

import type { OAuth2Settings, Settings } from "../config.js";
import { SignInError } from "../errors.js";
import { OAuth2Client, OAuth2Error, ProviderResponseError, ProviderStatusError, TokenEndpointError, readBoundedText } from "../oauth2/index.js";
import { type VerifiedCredentials, readUsersMeProfile } from "./account.js";
import { resolveApiPath } from "./api.js";

/** The largest profile answer read (X's is a few KiB). */
const MAX_PROFILE_BYTES = 256 * 1024;

/** Which OAuth 2.0 call to X failed, for the messages. */
export type OAuth2Step = "oauth2_token" | "users_me";

/** An OAuth2Client for X's confidential client (HTTP Basic), with the settings' timeout per call. */
export function createOAuth2Client(settings: Pick<Settings, "timeoutMs">, oauth2: OAuth2Settings): OAuth2Client {
  return new OAuth2Client({
    clientId: oauth2.clientId,
    clientSecret: oauth2.clientSecret,
    tokenEndpoint: oauth2.tokenUrl,
    revocationEndpoint: oauth2.revokeUrl,
    timeoutMs: settings.timeoutMs,
  });
}

/**
 * X API v2 `GET /2/users/me` with the user's OAuth 2.0 access token (`Authorization: Bearer`),
 * asking `profile_image_url`, and `confirmed_email` when `includeEmail`. X's 2.0 token answer
 * carries no user id, so under 2.0 this is where the profile always comes from.
 *
 * @throws {OAuth2Error} X could not be reached, answered non-2xx, or without a profile
 * @see https://docs.x.com/x-api/users/lookup/quickstart/authenticated-lookup
 */
export async function getUsersMeWithBearer(settings: Pick<Settings, "apiBaseUrl" | "timeoutMs">, accessToken: string, includeEmail: boolean): Promise<VerifiedCredentials> {
  const url = new URL(resolveApiPath(settings.apiBaseUrl, "2/users/me"));
  url.searchParams.set("user.fields", includeEmail ? "profile_image_url,confirmed_email" : "profile_image_url");
  const response = await sendBearer(url.href, accessToken, settings.timeoutMs);
  const json = await readBoundedText(url.href, response, MAX_PROFILE_BYTES);
  if (response.status < 200 || response.status > 299) throw new ProviderStatusError(url.href, response.status, json);
  const profile = readUsersMeProfile(json);
  if (!profile) throw new ProviderResponseError(url.href, response.status, json, "no user with an id of digits and a username");
  return { json, profile };
}

/** Sends a request with the user's Bearer token under the settings' deadline; a failure to reach X is an OAuth2Error. */
export async function sendBearer(url: string, accessToken: string, timeoutMs: number, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("Authorization", `Bearer ${accessToken}`);
  try {
    return await fetch(url, { ...init, headers, redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
    const { origin, pathname } = new URL(url);
    throw new OAuth2Error(timedOut ? "ERR_OAUTH2_TIMEOUT" : "ERR_OAUTH2_NETWORK", `${origin}${pathname} ${timedOut ? `did not answer within ${timeoutMs} ms` : "could not be reached"}`, { cause: error });
  }
}

/** Runs one OAuth 2.0 call to X; a client failure becomes the service's explained error for that step. */
export async function callTwitterOAuth2<T>(step: OAuth2Step, call: () => Promise<T>, startAgain: string): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof OAuth2Error) throw explainOAuth2Failure(error, step, startAgain);
    throw error;
  }
}

/**
 * Turns a failure of an OAuth 2.0 call to X into the answer the visitor gets, in the words the
 * 1.0a flow uses for the same thing. Never echoes a client secret, code or token.
 */
export function explainOAuth2Failure(error: OAuth2Error, step: OAuth2Step, startAgain: string): SignInError {
  const what = step === "oauth2_token" ? "oauth2/token" : "users_me";
  if (error instanceof TokenEndpointError) {
    switch (error.code) {
      case "invalid_grant":
      case "invalid_request":
        // A code already redeemed, older than X's 30 seconds, or not this sign-in's (verifier, redirect URI).
        return new SignInError(400, "invalid_callback", `Twitter refused this sign-in: already used, expired or forged. ${startAgain}.`, { cause: error });
      case "invalid_client":
      case "unauthorized_client":
        return new SignInError(502, "twitter_rejected_credentials", `Twitter rejected the app (${error.code}): TWITTER_OAUTH2_CLIENT_ID or TWITTER_OAUTH2_CLIENT_SECRET is wrong.`, { cause: error });
      default:
        return new SignInError(502, "twitter_error", `Twitter answered HTTP ${error.status} ${error.code} (${what}). Try again later.`, { cause: error });
    }
  }
  switch (error.code) {
    case "ERR_OAUTH2_TIMEOUT":
      return new SignInError(504, "twitter_timeout", `Twitter did not answer in time (${what}). Try again.`, { cause: error });
    case "ERR_OAUTH2_NETWORK":
      return new SignInError(502, "twitter_unreachable", `Twitter could not be reached (${what}). Try again.`, { cause: error });
    case "ERR_OAUTH2_PROVIDER_RESPONSE":
      return new SignInError(502, "twitter_bad_response", `Twitter's answer (${what}) is malformed. Try again later.`, { cause: error });
    case "ERR_OAUTH2_INVALID_INPUT":
      return new SignInError(400, "invalid_request", `This sign-in cannot be sent to Twitter. ${startAgain}.`, { cause: error });
  }
  if (error.status === 429) return new SignInError(502, "twitter_rate_limited", "Twitter is rate-limiting this app. Try again in a few minutes.", { cause: error });
  if (step === "users_me" && error.status === 403) {
    return new SignInError(
      502,
      "twitter_access_level",
      "Twitter refused this app GET 2/users/me (HTTP 403). In X's developer console (console.x.com), give the app access to X API v2, and keep users.read and tweet.read in TWITTER_OAUTH2_SCOPES.",
      { cause: error },
    );
  }
  return new SignInError(502, "twitter_error", `Twitter answered HTTP ${error.status} (${what}). Try again later.`, { cause: error });
}
