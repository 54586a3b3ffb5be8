// An OAuth 2.0 client (RFC 6749) for the authorization code grant with PKCE (RFC 7636), refresh, extension grants and revocation (RFC 7009).

import { basicAuthorization } from "./client-authentication.js";
import {
  InvalidInputError,
  NetworkError,
  OAuth2Error,
  ProviderResponseError,
  ProviderStatusError,
  TimeoutError,
  TokenEndpointError,
  isTokenErrorCode,
} from "./errors.js";

export interface OAuth2ClientOptions {
  /** The client identifier (RFC 6749 section 2.2). */
  clientId: string;
  /** The client's secret: set for a confidential client (HTTP Basic), absent for a public one (client_id in the body). */
  clientSecret?: string;
  /** The token endpoint (section 3.2). */
  tokenEndpoint: string;
  /** The revocation endpoint (RFC 7009 section 2); needed only by {@link OAuth2Client.revoke}. */
  revocationEndpoint?: string;
  /** Time allowed for each call to the provider, in milliseconds. Default 10,000. */
  timeoutMs?: number;
  /** Largest answer read, in bytes. Default 64 KiB. */
  maxResponseBytes?: number;
  /** The fetch to send with. Default the global fetch. */
  fetch?: (input: Request | string, init?: RequestInit) => Promise<Response>;
}

/** The parameters of an authorization request (section 4.1.1 with RFC 7636 section 4.3). */
export interface AuthorizationRequest {
  redirectUri: string;
  /** Space-separated scopes (section 3.3). */
  scope: string;
  /** The opaque value the redirect brings back (section 10.12). */
  state: string;
  /** From {@link calculateCodeChallenge}; always sent with `code_challenge_method=S256`. */
  codeChallenge: string;
  /** More query parameters the provider understands. */
  parameters?: Record<string, string>;
}

/** A successful token answer (section 5.1), checked field by field, in camelCase. */
export interface TokenResponse {
  accessToken: string;
  /** As the provider spelled it, e.g. `bearer`. */
  tokenType: string;
  /** Seconds the access token lives, when the provider said. */
  expiresIn: number | undefined;
  refreshToken: string | undefined;
  /** The granted scope (section 3.3: "If the issued access token scope is different from the one requested"). */
  scope: string | undefined;
}

const FORM_CONTENT_TYPE = "application/x-www-form-urlencoded";
const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * An OAuth 2.0 client on the Fetch API and WebCrypto: runs on Workers, Deno, Bun, Node and browsers.
 *
 * @example
 * const client = new OAuth2Client({ clientId, clientSecret, tokenEndpoint, revocationEndpoint });
 * const verifier = generateCodeVerifier();
 * // redirect to client.authorizationUrl(authorizeUrl, { redirectUri, scope, state, codeChallenge: await calculateCodeChallenge(verifier) })
 * const tokens = await client.exchangeAuthorizationCode({ code, redirectUri, codeVerifier: verifier });
 * @see https://www.rfc-editor.org/rfc/rfc6749
 */
export class OAuth2Client {
  readonly #options: OAuth2ClientOptions;

  constructor(options: OAuth2ClientOptions) {
    if (!options.clientId) throw new InvalidInputError("clientId is empty");
    parseAbsoluteUrl(options.tokenEndpoint, "tokenEndpoint");
    if (options.revocationEndpoint !== undefined) parseAbsoluteUrl(options.revocationEndpoint, "revocationEndpoint");
    this.#options = options;
  }

  /**
   * The authorization request URL (section 4.1.1): `response_type=code`, the client id, the
   * redirect URI, scope, state, and the S256 code challenge (RFC 7636 section 4.3).
   * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.1
   */
  authorizationUrl(authorizationEndpoint: string, request: AuthorizationRequest): string {
    const url = parseAbsoluteUrl(authorizationEndpoint, "authorization endpoint");
    parseAbsoluteUrl(request.redirectUri, "redirect URI");
    if (!request.state) throw new InvalidInputError("the state is empty");
    if (!request.codeChallenge) throw new InvalidInputError("the code challenge is empty");
    const query = url.searchParams;
    query.set("response_type", "code");
    query.set("client_id", this.#options.clientId);
    query.set("redirect_uri", request.redirectUri);
    query.set("scope", request.scope);
    query.set("state", request.state);
    query.set("code_challenge", request.codeChallenge);
    query.set("code_challenge_method", "S256");
    for (const [name, value] of Object.entries(request.parameters ?? {})) query.set(name, value);
    // URLSearchParams writes a space as "+"; scopes read better, and X's own examples use %20.
    return url.href.replace(/\+/g, "%20");
  }

  /**
   * Exchanges an authorization code for tokens (section 4.1.3), with the PKCE verifier
   * (RFC 7636 section 4.5). The redirect URI must be the one the authorization request sent.
   * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.1.3
   */
  async exchangeAuthorizationCode({ code, redirectUri, codeVerifier }: { code: string; redirectUri: string; codeVerifier: string }): Promise<TokenResponse> {
    if (!code) throw new InvalidInputError("the authorization code is empty");
    if (!codeVerifier) throw new InvalidInputError("the code verifier is empty");
    return this.requestToken("authorization_code", { code, redirect_uri: redirectUri, code_verifier: codeVerifier });
  }

  /**
   * Refreshes an access token (section 6). A provider that rotates refresh tokens answers with a
   * new one: store it before anything else, the old one may be spent.
   * @see https://www.rfc-editor.org/rfc/rfc6749#section-6
   */
  async refresh(refreshToken: string, scope?: string): Promise<TokenResponse> {
    if (!refreshToken) throw new InvalidInputError("the refresh token is empty");
    return this.requestToken("refresh_token", { refresh_token: refreshToken, ...(scope === undefined ? {} : { scope }) });
  }

  /**
   * Any grant at the token endpoint, e.g. an extension grant (section 4.5) such as token exchange.
   * @see https://www.rfc-editor.org/rfc/rfc6749#section-4.5
   */
  async requestToken(grantType: string, parameters: Record<string, string>): Promise<TokenResponse> {
    const url = this.#options.tokenEndpoint;
    const { status, body } = await this.#post(url, { grant_type: grantType, ...parameters });
    return parseTokenResponse(url, status, body);
  }

  /**
   * Revokes a token (RFC 7009 section 2.1). Section 2.2: the server answers 200 also for a token
   * that was already invalid, so a resolved promise means "no longer valid", not "was valid".
   * @see https://www.rfc-editor.org/rfc/rfc7009#section-2.1
   */
  async revoke(token: string, tokenTypeHint?: "access_token" | "refresh_token"): Promise<void> {
    const url = this.#options.revocationEndpoint;
    if (url === undefined) throw new InvalidInputError("revocationEndpoint is not set");
    if (!token) throw new InvalidInputError("the token is empty");
    const { status, body } = await this.#post(url, { token, ...(tokenTypeHint === undefined ? {} : { token_type_hint: tokenTypeHint }) });
    if (status !== 200) throw toStatusError(url, status, body);
  }

  /** POSTs a form with the client's authentication; resolves with the status and the body (bounded) whatever the status. */
  async #post(url: string, form: Record<string, string>): Promise<{ status: number; body: string }> {
    const options = this.#options;
    const headers = new Headers({ "Content-Type": FORM_CONTENT_TYPE, Accept: "application/json" });
    const fields = new URLSearchParams(form);
    // Section 2.3.1: a confidential client uses HTTP Basic; a public one names itself with client_id (section 3.2.1).
    if (options.clientSecret !== undefined) headers.set("Authorization", basicAuthorization(options.clientId, options.clientSecret));
    else fields.set("client_id", options.clientId);
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const send = options.fetch ?? ((input: string, init?: RequestInit) => fetch(input, init));
    try {
      const response = await send(url, { method: "POST", headers, body: fields.toString(), redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
      return { status: response.status, body: await readBoundedText(url, response, options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES) };
    } catch (error) {
      if (error instanceof OAuth2Error) throw error;
      if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) throw new TimeoutError(url, timeoutMs);
      throw new NetworkError(url, error);
    }
  }
}

/**
 * Parses a token endpoint's answer: a 200 with a JSON object whose fields have the types of
 * section 5.1, or an error (section 5.2). Never trusts a field it has not checked.
 * @see https://www.rfc-editor.org/rfc/rfc6749#section-5.1
 */
export function parseTokenResponse(url: string, status: number, body: string): TokenResponse {
  if (status !== 200) throw toStatusError(url, status, body);
  const answer = parseJsonObject(body);
  if (answer === undefined) throw new ProviderResponseError(url, status, body, "a body that is not a JSON object");
  const { access_token: accessToken, token_type: tokenType, expires_in: expiresIn, refresh_token: refreshToken, scope } = answer;
  if (typeof accessToken !== "string" || accessToken === "") throw new ProviderResponseError(url, status, body, "no access_token");
  if (typeof tokenType !== "string" || tokenType === "") throw new ProviderResponseError(url, status, body, "no token_type");
  if (expiresIn !== undefined && !(typeof expiresIn === "number" && Number.isSafeInteger(expiresIn) && expiresIn >= 0)) {
    throw new ProviderResponseError(url, status, body, "an expires_in that is not a whole number of seconds");
  }
  if (refreshToken !== undefined && (typeof refreshToken !== "string" || refreshToken === "")) {
    throw new ProviderResponseError(url, status, body, "a refresh_token that is not a string");
  }
  if (scope !== undefined && typeof scope !== "string") throw new ProviderResponseError(url, status, body, "a scope that is not a string");
  return { accessToken, tokenType, expiresIn, refreshToken, scope };
}

/** The error of a non-200 answer: the protocol's code when the body carries one (section 5.2), else the status. */
function toStatusError(url: string, status: number, body: string): OAuth2Error {
  const answer = parseJsonObject(body);
  const error = answer?.error;
  const description = typeof answer?.error_description === "string" ? answer.error_description : undefined;
  if (typeof error === "string" && isTokenErrorCode(error) && status >= 400 && status < 500) {
    return new TokenEndpointError(url, status, body, error, description);
  }
  return new ProviderStatusError(url, status, body, typeof error === "string" ? error : undefined);
}

function parseJsonObject(body: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function parseAbsoluteUrl(url: string, what: string): URL {
  try {
    return new URL(url);
  } catch {
    throw new InvalidInputError(`the ${what} is not an absolute URL`);
  }
}

/** Reads a body as text, refusing (ProviderResponseError) more than `limit` bytes, whatever Content-Length claims. */
export async function readBoundedText(url: string, response: Response, limit: number): Promise<string> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw new ProviderResponseError(url, response.status, "", `a body larger than ${limit} bytes`);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}
