// One structured log line per sign-in step, for `wrangler tail`: never a token, secret or cookie.

/** A step's outcome as logged. Only these fields are ever written. */
export interface StepLog {
  step: "login" | "auth" | "logout";
  outcome: "ok" | "error" | "denied";
  durationMs: number;
  status: number;
  /** The service's error code, when the step failed. */
  error?: string;
  /** The provider's HTTP status, when the failure came from the provider. */
  providerStatus?: number;
}

/** Writes a step's log line as JSON. */
export function logStep(entry: StepLog): void {
  console.log(JSON.stringify({ event: "twitter_sign_in", ...entry }));
}

/** The outcome of revoking a user's access token at X, as logged: never the token. */
export interface RevocationLog {
  outcome: "ok" | "error";
  durationMs: number;
  /** Why it failed: the OAuth client's error code (ERR_OAUTH1_TIMEOUT, ...) or the service's. */
  error?: string;
  providerStatus?: number;
}

/** Writes the revocation's log line as JSON. */
export function logRevocation(entry: RevocationLog): void {
  console.log(JSON.stringify({ event: "twitter_token_revocation", ...entry }));
}
