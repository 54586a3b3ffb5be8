// An OAuth 1.0a client (RFC 5849): temporary credentials, resource owner authorization, token credentials, signed requests.

import {
  type EncodedParameter,
  type Parameter,
  constructBaseStringOfEncoded,
  encodeParameters,
  normalizeBaseStringUri,
  parseAbsoluteUrl,
} from "./base-string.js";
import {
  CallbackNotConfirmedError,
  InvalidInputError,
  NetworkError,
  OAuth1Error,
  ProviderResponseError,
  ProviderStatusError,
  TimeoutError,
} from "./errors.js";
import { type Placement, appendToQuery, toAuthorizationHeader, toFormEncoded } from "./parameters.js";
import { percentEncode } from "./percent-encode.js";
import { type SignatureMethod, sign } from "./signature.js";

/** Parameters as an object (an array value repeats the name), a list of pairs, or URLSearchParams. */
export type ParametersInit = Record<string, string | readonly string[]> | Iterable<Parameter> | URLSearchParams;

/** A token and its shared secret: temporary credentials or token credentials. */
export interface Credentials {
  token: string;
  tokenSecret: string;
}

export interface OAuth1ClientOptions {
  /** The client identifier (Twitter: API key, Authlib: client_id). */
  consumerKey: string;
  /** The client's shared secret (Twitter: API key secret, Authlib: client_secret). */
  consumerSecret: string;
  /** Default `HMAC-SHA1`. */
  signatureMethod?: SignatureMethod;
  /** RSA-SHA1 only: the client's private key, from {@link importRsaPrivateKey} (PKCS#8 PEM). */
  privateKey?: CryptoKey;
  /** Where protocol parameters travel (section 3.5). Default `header`. */
  placement?: Placement;
  /** An optional `realm` for the Authorization header. */
  realm?: string;
  /** Base URL that relative paths given to {@link OAuth1Client.request} resolve against. */
  apiBaseUrl?: string;
  /** Time allowed for each call to the provider, in milliseconds. Default 10,000. */
  timeoutMs?: number;
  /** Largest token-endpoint answer read, in bytes. Default 64 KiB. */
  maxResponseBytes?: number;
  /** The fetch to send with. Default the global fetch. */
  fetch?: (input: Request | string, init?: RequestInit) => Promise<Response>;
  /** Clock in milliseconds, for `oauth_timestamp`. Default `Date.now`. */
  now?: () => number;
  /** Nonce generator. Default 128 random bits as 32 hex digits. */
  nonce?: () => string;
}

/** A request to sign. */
export interface SignableRequest {
  method: string;
  /** Absolute URL; its query takes part in the signature. */
  url: string | URL;
  /** More query parameters, appended to the URL and signed. */
  query?: ParametersInit;
  /** A form body (`application/x-www-form-urlencoded`), signed. */
  form?: ParametersInit;
  /** Any other body; not signed (RFC 5849 signs only form bodies). Not with `form`. */
  body?: BodyInit;
  headers?: HeadersInit;
  /** Temporary or token credentials; absent when asking for temporary credentials. */
  token?: Credentials;
  /** Extra protocol parameters for this step, e.g. `oauth_callback` or `oauth_verifier`. */
  oauthParameters?: Record<string, string>;
}

/** A signed request, ready for fetch. */
export interface SignedRequest {
  method: string;
  url: string;
  headers: Headers;
  body?: BodyInit;
}

/** The answer of a token endpoint (sections 2.1 and 2.3). */
export interface TokenResponse extends Credentials {
  /** Every parameter of the answer (e.g. Twitter's `user_id`, `screen_name`). */
  parameters: URLSearchParams;
}

const FORM_CONTENT_TYPE = "application/x-www-form-urlencoded";
const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024;
const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"));
const NONCE_POOL = new Uint8Array(4096);
let noncePoolAt = NONCE_POOL.length;

/**
 * A nonce of 128 random bits from `crypto.getRandomValues`, as 32 hex digits.
 * @see https://www.rfc-editor.org/rfc/rfc5849#section-3.3
 */
export function generateNonce(): string {
  // Random bytes are drawn 4 KiB at a time: one getRandomValues call per 256 nonces.
  if (noncePoolAt === NONCE_POOL.length) {
    crypto.getRandomValues(NONCE_POOL);
    noncePoolAt = 0;
  }
  let nonce = "";
  for (const end = noncePoolAt + 16; noncePoolAt < end; noncePoolAt++) nonce += HEX[NONCE_POOL[noncePoolAt]!];
  return nonce;
}

/**
 * The timestamp of section 3.3: whole seconds since 1970-01-01T00:00:00Z.
 * @see https://www.rfc-editor.org/rfc/rfc5849#section-3.3
 */
export function generateTimestamp(nowMs: number = Date.now()): string {
  return String(Math.floor(nowMs / 1000));
}

/**
 * An OAuth 1.0a client that signs with WebCrypto: runs on Workers, Deno, Bun, Node and browsers.
 *
 * @example
 * const client = new OAuth1Client({ consumerKey, consumerSecret, apiBaseUrl: "https://api.x.com/1.1/" });
 * const temporary = await client.fetchTemporaryCredentials(requestTokenUrl, { callback });
 * // redirect to client.authorizationUrl(authorizeUrl, temporary.token), then on the callback:
 * const token = await client.fetchTokenCredentials(accessTokenUrl, { ...temporary, verifier });
 * const response = await client.request("GET", "account/verify_credentials.json", { token });
 * @see https://www.rfc-editor.org/rfc/rfc5849
 */
export class OAuth1Client {
  readonly #options: OAuth1ClientOptions;
  readonly #signatureMethod: SignatureMethod;
  readonly #encodedConsumerKey: string;
  // Encoded on first use (not here: a bad secret is reported by signRequest, as sign() would).

  constructor(options: OAuth1ClientOptions) {
    if (!options.consumerKey) throw new InvalidInputError("consumerKey is empty");
    if (typeof options.consumerSecret !== "string") throw new InvalidInputError("consumerSecret is missing");
    this.#signatureMethod = options.signatureMethod ?? "HMAC-SHA1";
    if (this.#signatureMethod === "RSA-SHA1" && !options.privateKey) {
      throw new InvalidInputError("RSA-SHA1 needs privateKey (see importRsaPrivateKey)");
    }
    this.#options = options;
    this.#encodedConsumerKey = percentEncode(options.consumerKey);
  }

  /**
   * Signs a request (section 3): adds the protocol parameters and the signature where
   * `placement` says. Sends nothing.
   */
  async signRequest(request: SignableRequest): Promise<SignedRequest> {
    const options = this.#options;
    const placement = options.placement ?? "header";
    const method = request.method.toUpperCase();
    let url = parseAbsoluteUrl(request.url);
    if (request.form !== undefined && request.body !== undefined) {
      throw new InvalidInputError("form and body exclude each other");
    }
    if (placement === "body" && (method === "GET" || method === "HEAD" || request.body !== undefined)) {
      throw new InvalidInputError("placement body needs a form body (not GET, HEAD or body)");
    }

    // Query parameters given apart from the URL become part of it, then count as the query.
    const encodedQuery = request.query === undefined ? [] : encodeParameters(toPairs(request.query));
    if (encodedQuery.length > 0) url = new URL(appendToQuery(url, encodedQuery));
    const encodedForm = request.form === undefined ? [] : encodeParameters(toPairs(request.form));

    const encodedProtocol: EncodedParameter[] = [
      ["oauth_consumer_key", this.#encodedConsumerKey],
      ["oauth_nonce", percentEncode((options.nonce ?? generateNonce)())],
      ["oauth_signature_method", this.#signatureMethod],
      ["oauth_timestamp", generateTimestamp(options.now ? options.now() : Date.now())],
      ["oauth_version", "1.0"],
    ];
    if (request.token) encodedProtocol.push(["oauth_token", percentEncode(request.token.token)]);
    if (request.oauthParameters) {
      for (const [name, value] of Object.entries(request.oauthParameters)) {
        if (!name.startsWith("oauth_") || name === "oauth_signature") {
          throw new InvalidInputError(`${name.slice(0, 64)} is not an oauth_ parameter the client may add`);
        }
        encodedProtocol.push([percentEncode(name), percentEncode(value)]);
      }
    }

    // Section 3.4.1.3.1: the query, the form body and the protocol parameters, all signed.
    const encodedAll = url.search.length > 1 ? encodeParameters(url.searchParams) : [];
    for (let index = 0; index < encodedForm.length; index++) encodedAll.push(encodedForm[index]!);
    for (let index = 0; index < encodedProtocol.length; index++) encodedAll.push(encodedProtocol[index]!);
    const baseString = constructBaseStringOfEncoded(method, normalizeBaseStringUri(url), encodedAll);
    const tokenSecret = request.token?.tokenSecret ?? "";
    const signature = await sign(this.#signatureMethod, baseString, {
      consumerSecret: options.consumerSecret,
      tokenSecret,
      ...(options.privateKey === undefined ? {} : { privateKey: options.privateKey }),
    });
    encodedProtocol.push(["oauth_signature", percentEncode(signature)]);

    const isForm = placement === "body" || encodedForm.length > 0;
    const headers = new Headers(request.headers);
    if (placement === "header") headers.set("Authorization", toAuthorizationHeader(encodedProtocol, options.realm));
    if (isForm) headers.set("Content-Type", FORM_CONTENT_TYPE);
    const signed: SignedRequest = { method, url: placement === "query" ? appendToQuery(url, encodedProtocol) : url.href, headers };
    if (isForm) {
      signed.body = toFormEncoded(placement === "body" ? encodedForm.concat(encodedProtocol) : encodedForm);
    } else if (request.body !== undefined) {
      signed.body = request.body;
    }
    sentCredentials.set(signed, encodedProtocol.filter(([name]) => CREDENTIAL_PARAMETERS.has(name)).map(([, value]) => value));
    return signed;
  }

  /**
   * Signs and sends a request; resolves with the provider's response whatever its status.
   * A relative URL resolves against `apiBaseUrl` (like Authlib's `oauth.twitter.get(path, token=...)`).
   *
   * @throws {NetworkError} the provider could not be reached
   * @throws {TimeoutError} no answer within `timeoutMs`
   */
  async request(
    method: string,
    url: string,
    init: Omit<SignableRequest, "method" | "url"> = {},
  ): Promise<Response> {
    const signed = await this.signRequest({ ...init, method, url: this.#resolve(url) });
    return this.#send(signed);
  }

  /**
   * Like {@link OAuth1Client.request}, and reads the body as text (at most `maxBytes`, default
   * `maxResponseBytes`) under the same deadline. Resolves whatever the status.
   *
   * @throws {ProviderResponseError} the body is larger than allowed
   */
  async requestText(
    method: string,
    url: string,
    init: Omit<SignableRequest, "method" | "url"> = {},
    maxBytes?: number,
  ): Promise<{ response: Response; body: string; url: string }> {
    const signed = await this.signRequest({ ...init, method, url: this.#resolve(url) });
    return { ...(await this.#sendAndRead(signed, maxBytes)), url: signed.url };
  }

  /**
   * Obtains temporary credentials (section 2.1, Twitter's `oauth/request_token`), sending
   * `oauth_callback`. Refuses an answer without `oauth_callback_confirmed=true` or without a
   * token and secret.
   *
   * @param callback absolute callback URL, or `oob` for out-of-band
   * @param parameters extra signed parameters, e.g. `{ x_auth_access_type: "read" }`
   * @see https://www.rfc-editor.org/rfc/rfc5849#section-2.1
   */
  async fetchTemporaryCredentials(
    url: string,
    { callback, parameters }: { callback: string; parameters?: ParametersInit },
  ): Promise<TokenResponse> {
    if (callback !== "oob") parseAbsoluteUrl(callback, "callback URL");
    const signed = await this.signRequest({
      method: "POST",
      url,
      oauthParameters: { oauth_callback: callback },
      ...(parameters === undefined ? {} : { query: parameters }),
    });
    const { response, body } = await this.#sendForTokens(signed);
    const answer = parseTokenResponse(signed.url, response.status, body);
    // Section 2.1: "The parameter is used to differentiate from previous versions of the protocol."
    // and MUST be present and set to "true".
    if (answer.parameters.get("oauth_callback_confirmed") !== "true") {
      throw new CallbackNotConfirmedError(signed.url, response.status, body);
    }
    return answer;
  }

  /**
   * The resource owner authorization URL (section 2.2): the provider's page with `oauth_token`
   * and any extra parameters (Twitter: `force_login`, `screen_name`) added to its query.
   *
   * @see https://www.rfc-editor.org/rfc/rfc5849#section-2.2
   */
  authorizationUrl(url: string, token: string, parameters?: ParametersInit): string {
    const pairs: Parameter[] = [["oauth_token", token], ...(parameters === undefined ? [] : toPairs(parameters))];
    return appendToQuery(parseAbsoluteUrl(url, "authorization URL"), encodeParameters(pairs));
  }

  /**
   * Exchanges temporary credentials and the verifier for token credentials (section 2.3,
   * Twitter's `oauth/access_token`). The request is signed with the temporary credentials' secret.
   *
   * @see https://www.rfc-editor.org/rfc/rfc5849#section-2.3
   */
  async fetchTokenCredentials(
    url: string,
    { token, tokenSecret, verifier }: Credentials & { verifier: string },
  ): Promise<TokenResponse> {
    if (!verifier) throw new InvalidInputError("the verifier is empty");
    const signed = await this.signRequest({
      method: "POST",
      url,
      token: { token, tokenSecret },
      oauthParameters: { oauth_verifier: verifier },
    });
    const { response, body } = await this.#sendForTokens(signed);
    return parseTokenResponse(signed.url, response.status, body);
  }

  #resolve(url: string): string {
    if (this.#options.apiBaseUrl === undefined) return url;
    try {
      return new URL(url, this.#options.apiBaseUrl).href;
    } catch {
      throw new InvalidInputError("apiBaseUrl is not an absolute URL");
    }
  }

  async #send(signed: SignedRequest, signal?: AbortSignal): Promise<Response> {
    const timeoutMs = this.#options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const init: RequestInit = {
      method: signed.method,
      headers: signed.headers,
      signal: signal ?? AbortSignal.timeout(timeoutMs),
      redirect: "manual",
    };
    if (signed.body !== undefined) init.body = signed.body;
    const send = this.#options.fetch ?? ((input: string, requestInit?: RequestInit) => fetch(input, requestInit));
    try {
      return await send(signed.url, init);
    } catch (error) {
      throw toTransportError(signed.url, error, timeoutMs);
    }
  }

  async #sendForTokens(signed: SignedRequest): Promise<{ response: Response; body: string }> {
    const { response, body } = await this.#sendAndRead(signed);
    if (response.status < 200 || response.status > 299) throw new ProviderStatusError(signed.url, response.status, body);
    return { response, body };
  }

  /** Sends and reads the body as text, with one deadline for both. */
  async #sendAndRead(signed: SignedRequest, maxBytes?: number): Promise<{ response: Response; body: string }> {
    const timeoutMs = this.#options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const signal = AbortSignal.timeout(timeoutMs);
    const response = await this.#send(signed, signal);
    try {
      const limit = maxBytes ?? this.#options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
      const body = await readBoundedText(signed.url, response, limit);
      // An error answer is only ever read for the provider's words (errors, log lines): without what this request sent.
      return { response, body: response.ok ? body : withoutSentCredentials(body, sentCredentials.get(signed) ?? []) };
    } catch (error) {
      throw toTransportError(signed.url, error, timeoutMs);
    }
  }
}

/** The protocol parameters whose values are credentials, or derived from them (section 3.1). */
const CREDENTIAL_PARAMETERS = new Set(["oauth_consumer_key", "oauth_token", "oauth_verifier", "oauth_nonce", "oauth_signature"]);
/** What each signed request sent of them (percent-encoded, as sent). */
const sentCredentials = new WeakMap<SignedRequest, string[]>();

/**
 * A provider's error answer with every credential value the request sent (as sent, and decoded)
 * replaced by `[redacted]`: whatever the provider echoes of them, in any wording or shape. The
 * secrets themselves are never sent.
 */
function withoutSentCredentials(body: string, encodedValues: readonly string[]): string {
  const values = new Set(encodedValues.flatMap((encoded) => [encoded, decodeURIComponent(encoded)]).filter((value) => value.length >= 4));
  let redacted = body;
  for (const value of [...values].sort((a, b) => b.length - a.length)) redacted = redacted.split(value).join("[redacted]");
  return redacted;
}

/**
 * Parses a token endpoint's `application/x-www-form-urlencoded` answer (sections 2.1 and 2.3);
 * refuses one without a non-empty `oauth_token` and `oauth_token_secret`.
 */
export function parseTokenResponse(url: string, status: number, body: string): TokenResponse {
  const parameters = new URLSearchParams(body.trim());
  const token = parameters.get("oauth_token");
  const tokenSecret = parameters.get("oauth_token_secret");
  if (!token || !tokenSecret) {
    throw new ProviderResponseError(url, status, body, "no oauth_token and oauth_token_secret");
  }
  return { token, tokenSecret, parameters };
}

function toPairs(parameters: ParametersInit): Parameter[] {
  // URLSearchParams and lists of pairs are iterables of pairs.
  if (Symbol.iterator in parameters) return [...(parameters as Iterable<Parameter>)];
  const pairs: Parameter[] = [];
  for (const [name, value] of Object.entries(parameters as Record<string, string | readonly string[]>)) {
    if (typeof value === "string") pairs.push([name, value]);
    else for (const item of value) pairs.push([name, item]);
  }
  return pairs;
}

function toTransportError(url: string, error: unknown, timeoutMs: number): OAuth1Error {
  if (error instanceof OAuth1Error) return error;
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) {
    return new TimeoutError(url, timeoutMs);
  }
  return new NetworkError(url, error);
}

/**
 * Reads a response body as text, refusing (ProviderResponseError) more than `limit` bytes.
 */
export async function readBoundedText(url: string, response: Response, limit: number): Promise<string> {
  // Read as it streams, never more than the limit, whatever Content-Length claims.
  if (!response.body) return "";
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw new ProviderResponseError(url, response.status, text, `a body larger than ${limit} bytes`);
    }
    text += decoder.decode(value, { stream: true });
  }
  return text + decoder.decode();
}
