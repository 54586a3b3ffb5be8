// What X's error answers mean, turned into the service's errors (502/504, or the visitor's 4xx).

import { SignInError } from "../errors.js";
import type { ProviderFields } from "../log.js";
import { NetworkError, OAuth1Error } from "../oauth1/index.js";

// X's error codes that the sign-in meets (https://docs.x.com/x-api/fundamentals/response-codes-and-errors;
// each is explained in docs/x-app.md): 32 could not authenticate you, 89 invalid or expired token,
// 135 timestamp out of bounds, 415 callback URL not approved, 416 invalid or suspended app,
// 453 not at this access level.

/** What X said in an error answer: its code and message, bounded, for the log line. */
export interface ProviderError {
  /** v1.1's number (`{"errors":[{"code":453,...}]}`), or a v2 problem's type (`client-forbidden`). */
  code?: number | string;
  message?: string;
}

/**
 * Reads X's error answer in any of its shapes: v1.1's `{"errors":[{"code","message"}]}`, a v2
 * problem (`type`, `title`, `detail`, perhaps inside `errors`), or the XML `<error>` of the OAuth
 * endpoints. Bounded to 200 characters, any `oauth_*` value redacted.
 * @see https://docs.x.com/x-api/fundamentals/response-codes-and-errors
 */
export function readProviderError(body: string | undefined): ProviderError {
  if (!body) return {};
  let json: Json = {};
  try {
    json = Object(JSON.parse(body));
  } catch {
    // XML (the OAuth endpoints' <error>) or HTML.
  }
  const errors = json.errors;
  const first: Json = Object(Array.isArray(errors) ? errors[0] : undefined);
  const problem = text(json.type) ? json : first;
  const type = text(problem.type);
  const code = typeof first.code === "number" ? first.code : type && bounded(type.slice(type.lastIndexOf("/") + 1), 64);
  const message = text(first.message) ?? text(problem.detail) ?? text(problem.title) ?? /<error[^>]*>([^<]+)</.exec(body)?.[1];
  return { code, message: bounded(message, 200) };
}

type Json = Record<string, unknown>;

/** A non-empty string, or undefined. */
const text = (value: unknown) => (typeof value === "string" && value !== "" ? value : undefined);

/**
 * A string from X, for a log line: its first `limit` characters, control characters taken out, and
 * anything that may be a token: the value after any `oauth_...` name (however it is quoted,
 * separated or escaped), and any run of 20 or more letters, digits, `-` and `_` with a digit in it
 * (X's tokens and verifiers; its messages are words).
 */
function bounded(text: string | undefined, limit: number): string | undefined {
  return text
    ?.replace(/[\0-\x1f\x7f]+/g, " ")
    .replace(/(oauth_\w+(?:["'\s:=>]|%3D)+)[^&"'\s,<]+/gi, "$1[redacted]")
    .replace(/[\w-]{20,}/g, (run) => (/\d/.test(run) ? "[redacted]" : run))
    .slice(0, limit);
}

/** The first error code in X's `{"errors":[{"code":N,...}]}` answer, if any. */
export function twitterErrorCode(body: string | undefined): number | undefined {
  const { code } = readProviderError(body);
  return typeof code === "number" ? code : undefined;
}

/**
 * What a failed call to X puts in a log line: X's status, and its code and message when it
 * answered an error (fields left undefined are left out of the JSON line).
 */
export function providerDetails(error: OAuth1Error): ProviderFields {
  // Only an error answer is X's own words; a malformed 2xx (a token answer) is never read for them.
  const { code, message } = error.code === "ERR_OAUTH1_PROVIDER_STATUS" ? readProviderError(error.body) : {};
  return { providerStatus: error.status, providerCode: code, providerMessage: message };
}

/** Which step of the sign-in talked to X, for the messages. */
export type TwitterStep = "request_token" | "access_token" | "verify_credentials" | "users_me";

/** What the explanations may name: the callback URL /login asked for, and where to start again. */
export interface ProviderFailureContext {
  callbackUrl?: string;
  /** The request came to the developer's own machine: a failure may name the address and the setting behind it. */
  local?: boolean;
  /** e.g. "Start again from /auth/twitter/login"; default "Start again from /login". */
  startAgain?: string;
}

/**
 * Turns a failure of the OAuth client into the answer the visitor gets: what X did, and, for
 * the operator's common mistakes, what to fix. Never echoes a key, secret or token.
 */
export function explainProviderFailure(error: OAuth1Error, step: TwitterStep, context: ProviderFailureContext = {}): SignInError {
  // The step is named as X's endpoint: request_token, access_token, verify_credentials or users_me.
  const what = step;
  const startAgain = context.startAgain ?? "Start again from /login";
  switch (error.code) {
    case "ERR_OAUTH1_TIMEOUT":
      return new SignInError(504, "twitter_timeout", `Twitter did not answer in time (${what}). Try again.`, { cause: error });
    case "ERR_OAUTH1_NETWORK":
      return new SignInError(502, "twitter_unreachable", `Twitter could not be reached (${what}).${whereLocally(error, step, context)} Try again.`, { cause: error });
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

/** The setting that points each step at X. */
const STEP_SETTINGS: Record<TwitterStep, string> = {
  request_token: "TWITTER_REQUEST_TOKEN_URL",
  access_token: "TWITTER_ACCESS_TOKEN_URL",
  verify_credentials: "TWITTER_API_BASE_URL",
  users_me: "TWITTER_API_BASE_URL",
};

/**
 * In local development (a request to the developer's machine, or X's address on loopback: a
 * stand-in), the address that did not answer and the setting that points at it; nothing otherwise.
 */
function whereLocally(error: OAuth1Error, step: TwitterStep, context: ProviderFailureContext): string {
  if (!(error instanceof NetworkError)) return "";
  const loopback = /^https?:\/\/(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?\//.test(error.endpoint);
  if (!loopback && !context.local) return "";
  const standIn = loopback ? " Is the local X stand-in running?" : "";
  return ` Nothing answered at ${error.endpoint} (the ${STEP_SETTINGS[step]} setting).${standIn}`;
}

function explainStatus(error: OAuth1Error, step: TwitterStep, what: string, callbackUrl: string | undefined, startAgain: string): SignInError {
  const status = error.status ?? 0;
  const code = twitterErrorCode(error.body);
  if (step === "request_token" && code === 415) {
    const url = ` Register ${callbackUrl ?? "its /auth URL"} as a callback URL`;
    return new SignInError(502, "callback_not_approved", `Twitter refused the callback URL (error 415).${url} in the app's settings on X's developer portal.`, { cause: error });
  }
  if (step === "request_token" && code === 416) {
    return new SignInError(502, "twitter_rejected_credentials", "Twitter says this app is suspended or invalid (error 416): see it in X's developer console (console.x.com).", { cause: error });
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

/**
 * X refused the profile for the app's access level, which no retry changes: 403 with error 453
 * (v1.1's words for it), a `client-forbidden` problem (v2's), or from v2 a bare 403; from v1.1
 * also 404 or 410, once X retires the endpoint.
 */
export function isAccessRefusal(error: unknown, step: "verify_credentials" | "users_me"): error is OAuth1Error {
  if (!(error instanceof OAuth1Error) || error.code !== "ERR_OAUTH1_PROVIDER_STATUS") return false;
  const { code } = readProviderError(error.body);
  if (error.status === 403) return code === 453 || code === "client-forbidden" || (step === "users_me" && code === undefined);
  // Only X's own error answer says the endpoint is gone: an edge's HTML 404 says nothing of it.
  return step === "verify_credentials" && (error.status === 404 || error.status === 410) && code !== undefined;
}

/** The answer when X refused the profile for the app's access level: what to change, not "try again". */
export function accessLevelError(error: OAuth1Error, step: "verify_credentials" | "users_me"): SignInError {
  const { code } = readProviderError(error.body);
  const [endpoint, fix] =
    step === "users_me"
      ? ["2/users/me", "In X's developer console (console.x.com), give the app access to X API v2 (pay-per-use credits or a plan)."]
      : ["account/verify_credentials", "Set TWITTER_PROFILE_ENDPOINT=auto to use X API v2, or raise the app's access in X's developer console (console.x.com)."];
  // X's own code says for certain; a bare 403 (no code) is most likely the access level, not certainly.
  const said = code === undefined ? `(HTTP ${error.status}, no X error code)` : `(error ${code})`;
  const certainty = code === undefined ? "If it persists, that is what to change." : "Trying again will not help.";
  return new SignInError(502, "twitter_access_level", `Twitter does not let this app call GET ${endpoint} at its access level ${said}. ${fix} ${certainty}`, { cause: error });
}
