// Errors of the OAuth 2.0 client: one base class, one subclass per failure, each with a stable `code`.

/**
 * The error codes a token or revocation endpoint answers with (RFC 6749 section 5.2, RFC 7009
 * section 2.2.1), kept as the provider spelled them.
 */
export type TokenErrorCode =
  | "invalid_request"
  | "invalid_client"
  | "invalid_grant"
  | "unauthorized_client"
  | "unsupported_grant_type"
  | "invalid_scope"
  | "unsupported_token_type";

/** Every failure the client can report, as a stable string usable as a discriminant. */
export type OAuth2ErrorCode =
  | TokenErrorCode
  | "ERR_OAUTH2_INVALID_INPUT"
  | "ERR_OAUTH2_PROVIDER_STATUS"
  | "ERR_OAUTH2_PROVIDER_RESPONSE"
  | "ERR_OAUTH2_NETWORK"
  | "ERR_OAUTH2_TIMEOUT";

const TOKEN_ERROR_CODES: ReadonlySet<string> = new Set<TokenErrorCode>([
  "invalid_request",
  "invalid_client",
  "invalid_grant",
  "unauthorized_client",
  "unsupported_grant_type",
  "invalid_scope",
  "unsupported_token_type",
]);

/** Whether a provider's `error` value is one of RFC 6749's or RFC 7009's codes. */
export function isTokenErrorCode(value: string): value is TokenErrorCode {
  return TOKEN_ERROR_CODES.has(value);
}

/**
 * The base of every error the OAuth 2.0 client throws.
 * Messages never contain a secret; the provider's answer, when there is one, is kept on
 * `status` and `body` (with any token value redacted).
 */
export class OAuth2Error extends Error {
  /** Stable machine-readable code. */
  readonly code: OAuth2ErrorCode;
  /** The provider's HTTP status, when the provider answered. */
  readonly status: number | undefined;
  /** The provider's body (at most 4 KiB, tokens redacted), when the provider answered. */
  readonly body: string | undefined;

  constructor(code: OAuth2ErrorCode, message: string, details: { status?: number; body?: string; cause?: unknown } = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = details.status;
    this.body = details.body === undefined ? undefined : redactTokens(details.body).slice(0, 4096);
  }
}

/** Bad input from the caller of the client, e.g. a URL that is not absolute. Nothing was sent. */
export class InvalidInputError extends OAuth2Error {
  constructor(message: string) {
    super("ERR_OAUTH2_INVALID_INPUT", message);
  }
}

/**
 * The endpoint refused the request with one of the protocol's error codes (RFC 6749 section 5.2):
 * `invalid_grant` for a code or refresh token that is expired, used or revoked, and so on.
 */
export class TokenEndpointError extends OAuth2Error {
  declare readonly code: TokenErrorCode;
  /** The provider's `error_description`, when it gave one (at most 256 characters). */
  readonly description: string | undefined;

  constructor(url: string, status: number, body: string, code: TokenErrorCode, description: string | undefined) {
    super(code, `${describeEndpoint(url)} answered HTTP ${status} ${code}`, { status, body });
    this.description = description?.slice(0, 256);
  }
}

/** The provider answered with a status outside 2xx and no error code of the protocol. */
export class ProviderStatusError extends OAuth2Error {
  /** The provider's `error` value when it sent one outside the protocol's list (X: `rate_limited`). */
  readonly error: string | undefined;

  constructor(url: string, status: number, body: string, error?: string) {
    super("ERR_OAUTH2_PROVIDER_STATUS", `${describeEndpoint(url)} answered HTTP ${status}`, { status, body });
    this.error = error?.slice(0, 64);
  }
}

/** The provider answered 2xx with a body that is not what the protocol says (e.g. no access_token). */
export class ProviderResponseError extends OAuth2Error {
  constructor(url: string, status: number, body: string, what: string) {
    super("ERR_OAUTH2_PROVIDER_RESPONSE", `${describeEndpoint(url)} answered with ${what}`, { status, body });
  }
}

/** The request could not reach the provider (DNS, connection refused, reset...). */
export class NetworkError extends OAuth2Error {
  constructor(url: string, cause: unknown) {
    super("ERR_OAUTH2_NETWORK", `${describeEndpoint(url)} could not be reached`, { cause });
  }
}

/** The provider did not answer within the client's timeout. */
export class TimeoutError extends OAuth2Error {
  constructor(url: string, timeoutMs: number) {
    super("ERR_OAUTH2_TIMEOUT", `${describeEndpoint(url)} did not answer within ${timeoutMs} ms`);
  }
}

/** Names an endpoint by origin and path only: a query may carry a code, so it never enters a message. */
function describeEndpoint(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return "the provider";
  }
}

/** Replaces the value of any `access_token`, `refresh_token` or `id_token` in a provider's body by `[redacted]`. */
function redactTokens(body: string): string {
  return body.replace(/((?:access|refresh|id)_token"?\s*[=:]\s*"?)[^&"\s]*/gi, "$1[redacted]");
}
