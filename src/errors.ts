// The service's HTTP errors: a status, a stable code and a sentence for the person or program that reads it.

/**
 * A failure answered to the client as `{ "error": code, "error_description": description }`.
 * `description` says what happened and what to do; it never holds a secret or a token.
 */
export class SignInError extends Error {
  readonly status: 400 | 401 | 403 | 404 | 405 | 414 | 429 | 431 | 500 | 502 | 503 | 504;
  readonly code: string;

  constructor(status: SignInError["status"], code: string, description: string, options?: { cause?: unknown }) {
    super(description, options);
    this.name = "SignInError";
    this.status = status;
    this.code = code;
  }
}

/** The operator left a setting out or set it wrong: a 500 that names the setting, never its value. */
export class ConfigurationError extends SignInError {
  readonly setting: string;

  constructor(setting: string, problem = "is not set") {
    super(500, "server_misconfigured", `The server's ${setting} setting ${problem} (see .dev.vars.example).`);
    this.setting = setting;
  }
}
