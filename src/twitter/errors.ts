// What X's error answers mean, turned into the service's errors (502/504, or the visitor's 4xx).

import { SignInError } from "../errors.ts";
import { OAuth1Error } from "../oauth1/index.ts";

/** X's error codes that the sign-in meets. @see https://docs.x.com/x-api/fundamentals/response-codes-and-errors */
export const TWITTER_ERROR_CODES = {
  COULD_NOT_AUTHENTICATE: 32,
  INVALID_OR_EXPIRED_TOKEN: 89,
  TIMESTAMP_OUT_OF_BOUNDS: 135,
  CALLBACK_NOT_APPROVED: 415,
} as const;

/** The first error code in X's `{"errors":[{"code":N,...}]}` answer (JSON or XML), if any. */
export function twitterErrorCode(body: string | undefined): number | undefined {
  if (!body) return undefined;
  const match = /"code"\s*:\s*(\d{1,6})/.exec(body) ?? /<error[^>]*\bcode="(\d{1,6})"/.exec(body);
  return match ? Number(match[1]) : undefined;
}

/** Which step of the sign-in talked to X, for the messages. */
export type TwitterStep = "request_token" | "access_token" | "verify_credentials";

const STEP_NAMES: Record<TwitterStep, string> = {
  request_token: "the request token",
  access_token: "the access token",
  verify_credentials: "the account's credentials",
};

/**
 * Turns a failure of the OAuth client into the answer the visitor gets: what X did, and, for
 * the operator's common mistakes, what to fix. Never echoes a key, secret or token.
 */
export function explainProviderFailure(error: OAuth1Error, step: TwitterStep, context: { callbackUrl?: string } = {}): SignInError {
  const what = STEP_NAMES[step];
  switch (error.code) {
    case "ERR_OAUTH1_TIMEOUT":
      return new SignInError(504, "twitter_timeout", `Twitter did not answer in time when asked for ${what}. Try again in a moment.`, { cause: error });
    case "ERR_OAUTH1_NETWORK":
      return new SignInError(502, "twitter_unreachable", `Twitter could not be reached when asking for ${what}. Try again in a moment.`, { cause: error });
    case "ERR_OAUTH1_CALLBACK_NOT_CONFIRMED":
      return new SignInError(502, "twitter_bad_response", "Twitter did not confirm the callback URL (oauth_callback_confirmed is missing), so the sign-in cannot go on safely. Try again later.", { cause: error });
    case "ERR_OAUTH1_PROVIDER_RESPONSE":
      return new SignInError(502, "twitter_bad_response", `Twitter's answer for ${what} is not what the protocol says. Try again later.`, { cause: error });
    case "ERR_OAUTH1_PROVIDER_STATUS":
      return explainStatus(error, step, what, context.callbackUrl);
    case "ERR_OAUTH1_INVALID_INPUT":
      return new SignInError(400, "invalid_request", "The sign-in request holds a value that cannot be sent to Twitter. Start again from /login.", { cause: error });
  }
}

function explainStatus(error: OAuth1Error, step: TwitterStep, what: string, callbackUrl: string | undefined): SignInError {
  const status = error.status ?? 0;
  const code = twitterErrorCode(error.body);
  if (step === "request_token" && code === TWITTER_ERROR_CODES.CALLBACK_NOT_APPROVED) {
    const url = callbackUrl ? ` Register ${callbackUrl} as a callback URL` : " Register this service's /auth URL as a callback URL";
    return new SignInError(502, "callback_not_approved", `Twitter refused the callback URL (error 415).${url} in the app's settings on the X developer portal.`, { cause: error });
  }
  if (step === "request_token" && (status === 401 || code === TWITTER_ERROR_CODES.COULD_NOT_AUTHENTICATE)) {
    return new SignInError(502, "twitter_rejected_credentials", "Twitter rejected the app's credentials (error 32): TWITTER_CLIENT_ID or TWITTER_CLIENT_SECRET is wrong. The operator must check them against the X developer portal.", { cause: error });
  }
  if (code === TWITTER_ERROR_CODES.TIMESTAMP_OUT_OF_BOUNDS) {
    return new SignInError(502, "twitter_rejected_request", "Twitter says the request's timestamp is out of bounds (error 135). Try again.", { cause: error });
  }
  if (step === "access_token" && (code === TWITTER_ERROR_CODES.INVALID_OR_EXPIRED_TOKEN || /verifier|request token/i.test(error.body ?? ""))) {
    // X refuses a request token it already exchanged, an expired one, or a wrong verifier:
    // the callback was replayed, forged or too late.
    return new SignInError(400, "invalid_callback", "Twitter refused to exchange this sign-in (it was already used, expired, or the verifier is wrong). Start again from /login.", { cause: error });
  }
  if (status === 429) {
    return new SignInError(502, "twitter_rate_limited", `Twitter is rate-limiting the app when asked for ${what}. Try again in a few minutes.`, { cause: error });
  }
  return new SignInError(502, "twitter_error", `Twitter answered HTTP ${status} when asked for ${what}. Try again later.`, { cause: error });
}
