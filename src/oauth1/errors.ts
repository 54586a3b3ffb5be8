// Errors of the OAuth 1.0a client: one base class, one subclass per failure, each with a stable `code`.

/** Every failure the client can report, as a stable string usable as a discriminant. */
export type OAuth1ErrorCode =
  | "ERR_OAUTH1_INVALID_INPUT"
  | "ERR_OAUTH1_PROVIDER_STATUS"
  | "ERR_OAUTH1_PROVIDER_RESPONSE"
  | "ERR_OAUTH1_CALLBACK_NOT_CONFIRMED"
  | "ERR_OAUTH1_NETWORK"
  | "ERR_OAUTH1_TIMEOUT";

/**
 * The base of every error the OAuth 1.0a client throws.
 * Messages never contain a secret; the provider's answer, when there is one, is kept on
 * `status` and `body` (with any `oauth_token_secret` value redacted).
 */
export class OAuth1Error extends Error {
  /** Stable machine-readable code. */
  readonly code: OAuth1ErrorCode;
  /** The provider's HTTP status, when the provider answered. */
  readonly status: number | undefined;
  /** The provider's body (at most 4 KiB, secrets redacted), when the provider answered. */
  readonly body: string | undefined;

  constructor(code: OAuth1ErrorCode, message: string, details: { status?: number; body?: string; cause?: unknown } = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = details.status;
    this.body = details.body === undefined ? undefined : redactSecrets(details.body).slice(0, 4096);
  }
}

/** Bad input from the caller of the client, e.g. a URL that is not absolute. Nothing was sent. */
export class InvalidInputError extends OAuth1Error {
  constructor(message: string) {
    super("ERR_OAUTH1_INVALID_INPUT", message);
  }
}

/** The provider answered with a status outside 2xx. */
export class ProviderStatusError extends OAuth1Error {
  constructor(url: string, status: number, body: string) {
    super("ERR_OAUTH1_PROVIDER_STATUS", `${describeEndpoint(url)} answered HTTP ${status}`, { status, body });
  }
}

/** The provider answered 2xx with a body that is not what the protocol says (e.g. no token or secret). */
export class ProviderResponseError extends OAuth1Error {
  constructor(url: string, status: number, body: string, what: string) {
    super("ERR_OAUTH1_PROVIDER_RESPONSE", `${describeEndpoint(url)} answered with ${what}`, { status, body });
  }
}

/** The temporary-credentials answer lacked `oauth_callback_confirmed=true` (RFC 5849 section 2.1). */
export class CallbackNotConfirmedError extends OAuth1Error {
  constructor(url: string, status: number, body: string) {
    super(
      "ERR_OAUTH1_CALLBACK_NOT_CONFIRMED",
      `${describeEndpoint(url)} did not confirm the callback (oauth_callback_confirmed is not "true")`,
      { status, body },
    );
  }
}

/** The request could not reach the provider (DNS, connection refused, reset...). */
export class NetworkError extends OAuth1Error {
  /** The endpoint that could not be reached, by origin and path only (never its query). */
  readonly endpoint: string;

  constructor(url: string, cause: unknown) {
    const endpoint = describeEndpoint(url);
    super("ERR_OAUTH1_NETWORK", `${endpoint} could not be reached`, { cause });
    this.endpoint = endpoint;
  }
}

/** The provider did not answer within the client's timeout. */
export class TimeoutError extends OAuth1Error {
  constructor(url: string, timeoutMs: number) {
    super("ERR_OAUTH1_TIMEOUT", `${describeEndpoint(url)} did not answer within ${timeoutMs} ms`);
  }
}

/** Names an endpoint by origin and path only: a query may carry tokens, so it never enters a message. */
function describeEndpoint(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return "the provider";
  }
}

/** Replaces the value of any `oauth_token_secret` in a provider's body by `[redacted]`. */
function redactSecrets(body: string): string {
  return body.replace(/(oauth_token_secret"?\s*[=:]\s*"?)[^&"\s]*/gi, "$1[redacted]");
}
