// The one place where every failure becomes an answer: JSON for programs, an HTML page for people.

import type { Context } from "hono";
import { ConfigurationError, SignInError } from "./errors.js";
import { isLocalDevelopment } from "./local-development.js";
import { type StepLog, logStep } from "./log.js";
import { OAuth1Error } from "./oauth1/index.js";
import { OAuth2Error } from "./oauth2/index.js";
import { errorPage, prefersHtml } from "./pages/error-page.js";
import { providerDetails } from "./twitter/errors.js";

/** Any thrown value as the service's error; unknown ones become a bare 500 that says nothing of them. */
export function toSignInError(error: unknown): SignInError {
  if (error instanceof SignInError) return error;
  return new SignInError(500, "internal_error", "Something went wrong on our side. Try again later.");
}

/**
 * Hono's onError: `{ "error", "error_description" }` with the error's status, or an HTML page
 * when the client prefers HTML; `Cache-Control: no-store` either way.
 */
export function handleError(error: unknown, c: Context, home = "/"): Response | Promise<Response> {
  const failure = toSignInError(error);
  if (failure.code === "internal_error") {
    // An unexpected exception: its name only, never its message (it may hold anything).
    console.error(JSON.stringify({ event: "unexpected_error", name: error instanceof Error ? error.name : typeof error }));
  } else if (failure instanceof ConfigurationError) {
    // For wrangler tail: which settings, never their values (it may be met before any step's log line).
    console.error(JSON.stringify({ event: "server_misconfigured", settings: failure.settings }));
  }
  c.header("Cache-Control", "no-store");
  const shown = failure instanceof ConfigurationError && !isLocalDevelopment(c.req.url) ? NOT_CONFIGURED : failure;
  if (prefersHtml(c)) return errorPage(c, shown, home);
  return c.json({ error: shown.code, error_description: shown.message }, shown.status);
}

/** What a visitor anywhere but on the developer's own machine learns of a missing or invalid setting: not its name. */
const NOT_CONFIGURED = new SignInError(500, "server_misconfigured", "This site's sign-in is not configured yet. Its operator can see what is missing in the Worker's logs.");

/** Runs a sign-in step and writes its one log line, whatever the outcome. */
export async function logged(step: StepLog["step"], run: () => Promise<Response>): Promise<Response> {
  const started = Date.now();
  try {
    const response = await run();
    logStep({ step, outcome: "ok", durationMs: Date.now() - started, status: response.status });
    return response;
  } catch (error) {
    const failure = toSignInError(error);
    const cause = failure.cause instanceof OAuth1Error ? failure.cause : undefined;
    // An OAuth 2.0 call's status; its body is JSON whose tokens the error already redacted, but X's words are not read from it.
    const oauth2Cause = failure.cause instanceof OAuth2Error ? failure.cause : undefined;
    logStep({
      step,
      outcome: failure.code === "access_denied" ? "denied" : "error",
      durationMs: Date.now() - started,
      status: failure.status,
      error: failure.code,
      ...(cause && providerDetails(cause)),
      ...(oauth2Cause?.status !== undefined && { providerStatus: oauth2Cause.status, providerCode: oauth2Cause.code }),
    });
    throw error;
  }
}
