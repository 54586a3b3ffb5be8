// What X's error answers mean, turned into the service's errors (502/504, or the visitor's 4xx).

import { SignInError } from "../errors.js";
import { OAuth1Error } from "../oauth1/index.js";

// X's error codes that the sign-in meets (https://docs.x.com/x-api/fundamentals/response-codes-and-errors):
// 32 could not authenticate you, 89 invalid or expired token, 135 timestamp out of bounds,
// 415 callback URL not approved.

/** The first error code in X's `{"errors":[{"code":N,...}]}` answer (JSON or XML), if any. */
export function twitterErrorCode(body: string | undefined): number | undefined {
  if (!body) return undefined;
  const match = /"code"\s*:\s*(\d{1,6})/.exec(body) ?? /<error[^>]*\bcode="(\d{1,6})"/.exec(body);
  return match ? Number(match[1]) : undefined;
}

/** Which step of the sign-in talked to X, for the messages. */
export type TwitterStep = "request_token" | "access_token" | "verify_credentials";

/** What the explanations may name: the callback URL /login asked for, and where to start again. */
export interface ProviderFailureContext {
  callbackUrl?: string;
  /** e.g. "Start again from /auth/twitter/login"; default "Start again from /login". */
  startAgain?: string;
}

/**
 * Turns a failure of the OAuth client into the answer the visitor gets: what X did, and, for
 * the operator's common mistakes, what to fix. Never echoes a key, secret or token.
 */
export function explainProviderFailure(error: OAuth1Error, step: TwitterStep, context: ProviderFailureContext = {}): SignInError {
  // The step is named as X's endpoint: request_token, access_token or verify_credentials.
  const what = step;
  const startAgain = context.startAgain ?? "Start again from /login";
  switch (error.code) {
    case "ERR_OAUTH1_TIMEOUT":
      return new SignInError(504, "twitter_timeout", `Twitter did not answer in time (${what}). Try again.`, { cause: error });
    case "ERR_OAUTH1_NETWORK":
      return new SignInError(502, "twitter_unreachable", `Twitter could not be reached (${what}). Try again.`, { cause: error });
    case "ERR_OAUTH1_CALLBACK_NOT_CONFIRMED":
      return new SignInError(502, "twitter_bad_response", "Twitter did not confirm the callback (oauth_callback_confirmed). Try again later.", { cause: error });
    case "ERR_OAUTH1_PROVIDER_RESPONSE":
      return new SignInError(502, "twitter_bad_response", `Twitter's answer (${what}) is malformed. Try again later.`, { cause: error });
    case "ERR_OAUTH1_PROVIDER_STATUS":
      return explainStatus(error, step, what, context.callbackUrl, startAgain);
    case "ERR_OAUTH1_INVALID_INPUT":
      return new SignInError(400, "invalid_request", `This sign-in cannot be sent to Twitter. ${startAgain}.`, { cause: error });
  }
}

function explainStatus(error: OAuth1Error, step: TwitterStep, what: string, callbackUrl: string | undefined, startAgain: string): SignInError {
  const status = error.status ?? 0;
  const code = twitterErrorCode(error.body);
  if (step === "request_token" && code === 415) {
    const url = ` Register ${callbackUrl ?? "its /auth URL"} as a callback URL`;
    return new SignInError(502, "callback_not_approved", `Twitter refused the callback URL (error 415).${url} in the app's settings on X's developer portal.`, { cause: error });
  }
  if (step === "request_token" && (status === 401 || code === 32)) {
    return new SignInError(502, "twitter_rejected_credentials", "Twitter rejected the app (error 32): TWITTER_CLIENT_ID or TWITTER_CLIENT_SECRET is wrong.", { cause: error });
  }
  if (code === 135) {
    return new SignInError(502, "twitter_rejected_request", "Twitter says the timestamp is out of bounds (error 135). Try again.", { cause: error });
  }
  if (step === "access_token" && (code === 89 || /verifier|request token/i.test(error.body ?? ""))) {
    // X refuses a request token it already exchanged, an expired one, or a wrong verifier:
    // the callback was replayed, forged or too late.
    return new SignInError(400, "invalid_callback", `Twitter refused this sign-in: already used, expired or forged. ${startAgain}.`, { cause: error });
  }
  if (status === 429) {
    return new SignInError(502, "twitter_rate_limited", `Twitter is rate-limiting this app. Try again in a few minutes.`, { cause: error });
  }
  return new SignInError(502, "twitter_error", `Twitter answered HTTP ${status} (${what}). Try again later.`, { cause: error });
}
