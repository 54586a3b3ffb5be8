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
