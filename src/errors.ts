// The service's HTTP errors: a status, a stable code and a sentence for the person or program that reads it.

import { HTTPException } from "hono/http-exception";

/** The statuses the sign-in answers with. */
export type SignInStatus = 400 | 401 | 403 | 404 | 405 | 414 | 429 | 431 | 500 | 502 | 503 | 504;

/**
 * A failure answered to the client as `{ "error": code, "error_description": description }`.
 * `description` says what happened and what to do; it never holds a secret or a token.
 *
 * It is Hono's HTTPException, so an app that mounts the sign-in answers it in this shape even
 * from its own error handler or Hono's default one (`getResponse()`).
 */
export class SignInError extends HTTPException {
  declare readonly status: SignInStatus;
  readonly code: string;

  constructor(status: SignInStatus, code: string, description: string, options?: { cause?: unknown }) {
    super(status, { message: description, cause: options?.cause });
    this.name = "SignInError";
    this.code = code;
  }

  /** The error as JSON, `Cache-Control: no-store`. */
  override getResponse(): Response {
    return Response.json({ error: this.code, error_description: this.message }, { status: this.status, headers: { "Cache-Control": "no-store" } });
  }
}

/**
 * The operator left settings out or set them wrong: a 500 that names them (never their values)
 * and says how to fix them.
 */
export class ConfigurationError extends SignInError {
  /** The settings at fault. */
  readonly settings: readonly string[];

  constructor(settings: string | readonly string[], problem: string, fix: string) {
    const names = typeof settings === "string" ? [settings] : settings;
    super(500, "server_misconfigured", `The server's ${names.join(", ")} ${names.length > 1 ? "settings are" : "setting is"} ${problem}. ${fix}`);
    this.settings = names;
  }
}
