// One structured log line per sign-in step, for `wrangler tail`: never a token, secret or cookie.

/** What X answered, on a line about a call to it (twitter/errors.ts providerDetails reads them). */
export interface ProviderFields {
  /** The provider's HTTP status, when the failure came from the provider. */
  providerStatus?: number;
  /** X's error code when it answered an error: v1.1's number (453) or a v2 problem's type (`client-forbidden`). */
  providerCode?: number | string;
  /** X's error message (at most 200 characters, anything token-like redacted). */
  providerMessage?: string;
}

/** A step's outcome as logged. Only these fields are ever written. */
export interface StepLog extends ProviderFields {
  step: "login" | "auth" | "logout";
  outcome: "ok" | "error" | "denied";
  durationMs: number;
  status: number;
  /** The service's error code, when the step failed. */
  error?: string;
}

/** Writes a step's log line as JSON. */
export function logStep(entry: StepLog): void {
  console.log(JSON.stringify({ event: "twitter_sign_in", ...entry }));
}

/** The outcome of revoking a user's access token at X, as logged: never the token. */
export interface RevocationLog extends ProviderFields {
  outcome: "ok" | "error";
  durationMs: number;
  /** Why it failed: the OAuth client's error code (ERR_OAUTH1_TIMEOUT, ...) or the service's. */
  error?: string;
}

/** Writes the revocation's log line as JSON. */
export function logRevocation(entry: RevocationLog): void {
  console.log(JSON.stringify({ event: "twitter_token_revocation", ...entry }));
}

/** A sign-in that went on without what X refused: v2 users/me for v1.1 verify_credentials, or the profile without the email. */
export interface ProfileFallbackLog extends ProviderFields {
  fallback: "users_me" | "without_email";
}

/** Writes the fallback's log line as JSON (v2 for v1.1: once per refusal remembered, at most once an hour per isolate; the email: each sign-in that goes on without it, until it is remembered). */
export function logProfileFallback(entry: ProfileFallbackLog): void {
  console.log(JSON.stringify({ event: "twitter_profile_fallback", ...entry }));
}
