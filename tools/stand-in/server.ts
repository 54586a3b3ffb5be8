// The local Twitter stand-in: a node:http server speaking X's OAuth 1.0a (request_token, authenticate/authorize, access_token, verify_credentials, invalidate_token) and X API v2's /2/users/me, at an access level of X's, for dev and tests only.
import { randomBytes, randomInt } from "node:crypto";
import { STATUS_CODES, createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ENDPOINTS, FaultBoard, faultProblem, isEndpoint, type Endpoint, type Fault } from "./faults.ts";
import {
  baseStringUri,
  checkSignature,
  constantTimeEqual,
  formEncode,
  isSignatureMethod,
  parseAuthorizationHeader,
  protocolParameters,
  requestParameters,
  signatureBaseString,
  type Parameter,
} from "./oauth.ts";
import { DEFAULT_OAUTH2_CLIENT_ID, DEFAULT_OAUTH2_CLIENT_SECRET, OAuth2Provider, type OAuth2Reply } from "./oauth2.ts";
import { PAGE_HEADERS, avatarSvg, consentPage, deniedPage, noLongerValidPage, pinPage } from "./pages.ts";
import { BAD_SIGNATURE, Counters, type Stats } from "./stats.ts";
import {
  ACCESS_LEVELS,
  ACCESS_LEVEL_ERROR_BODY,
  INVALID_VERIFIER_MESSAGE,
  TWITTER_ERRORS,
  USER_FIELDS,
  V2_UNAUTHORIZED,
  invalidUserFieldsBody,
  isAccessLevel,
  isTwitterTrue,
  isValidScreenName,
  jsonText,
  twitterErrorBody,
  userIdForScreenName,
  userObject,
  usersMeObject,
  type AccessLevel,
  type JsonObject,
} from "./twitter.ts";

export type { Endpoint, Fault, FaultKind } from "./faults.ts";
export type { EndpointStats, Rejection, Stats } from "./stats.ts";
export type { AccessLevel } from "./twitter.ts";
export { DEFAULT_OAUTH2_CLIENT_ID, DEFAULT_OAUTH2_CLIENT_SECRET } from "./oauth2.ts";

/** The consumer key of the app the stand-in knows by default (a public dev value). */
export const DEFAULT_CONSUMER_KEY = "stand-in-consumer-key";
/** Its consumer secret (a public dev value, not a secret). */
export const DEFAULT_CONSUMER_SECRET = "stand-in-consumer-secret";
/** The app name shown on the consent page by default. */
export const DEFAULT_APP_NAME = "Stand-in App";

export interface StandInOptions {
  /** Port on 127.0.0.1; default 0 (a free one). The stand-in never listens on another address. */
  port?: number;
  /** Consumer key -> consumer secret; default { [DEFAULT_CONSUMER_KEY]: DEFAULT_CONSUMER_SECRET }. */
  consumers?: Record<string, string>;
  /** Approved callback URL prefixes, on top of any http(s) URL on localhost, 127.0.0.1 or [::1]. */
  callbackPrefixes?: string[];
  /** How far oauth_timestamp may be from now, either way; default 300. */
  timestampWindowSeconds?: number;
  /** How long a request token lives; default 900 (X's 15 minutes). */
  requestTokenLifetimeSeconds?: number;
  /** Name on the consent page; default DEFAULT_APP_NAME. */
  appName?: string;
  /**
   * What the app may call (twitter.ts ACCESS_LEVELS): `legacy`, the default here (v1.1 served),
   * or `free`, as X answers a new app today (v1.1 verify_credentials refused with 403 code 453).
   * The command line and `npm run dev` default to `free`.
   */
  accessLevel?: AccessLevel;
  /**
   * OAuth 2.0 clients: client id -> its secret (absent: a public client) and the consumer key of the
   * 1.0a app it belongs to (whose tokens it may exchange). Default: DEFAULT_OAUTH2_CLIENT_ID, a
   * confidential client paired with DEFAULT_CONSUMER_KEY.
   */
  oauth2Clients?: Record<string, { secret?: string; consumerKey?: string }>;
  /** How long an OAuth 2.0 authorization code lives; default 30 (X's documented 30 seconds). */
  oauth2CodeLifetimeSeconds?: number;
  /** How long an OAuth 2.0 access token lives; default 7200 (X's 2 hours). */
  oauth2AccessTokenLifetimeSeconds?: number;
  /** Access log, one line per request (no secrets, no query strings); default silent. */
  log?: (line: string) => void;
}

export interface StandInUrls {
  requestToken: string;
  authenticate: string;
  authorize: string;
  accessToken: string;
  /** origin + "/1.1/" */
  apiBase: string;
  /** OAuth 2.0: origin + "/i/oauth2/authorize", "/2/oauth2/token", "/2/oauth2/revoke". */
  oauth2Authorize: string;
  oauth2Token: string;
  oauth2Revoke: string;
}

/**
 * The Worker's settings (wrangler.toml names) that point it at a stand-in with these URLs: the
 * 1.0a endpoints, and OAuth 2.0's with the stand-in's default client. Not the 1.0a app's key and
 * secret, which a caller may have chosen (--consumer-key).
 */
export function workerVars(urls: StandInUrls): Record<string, string> {
  return {
    TWITTER_REQUEST_TOKEN_URL: urls.requestToken,
    TWITTER_AUTHORIZE_URL: urls.authenticate,
    TWITTER_ACCESS_TOKEN_URL: urls.accessToken,
    TWITTER_API_BASE_URL: urls.apiBase,
    TWITTER_OAUTH2_CLIENT_ID: DEFAULT_OAUTH2_CLIENT_ID,
    TWITTER_OAUTH2_CLIENT_SECRET: DEFAULT_OAUTH2_CLIENT_SECRET,
    TWITTER_OAUTH2_AUTHORIZE_URL: urls.oauth2Authorize,
    TWITTER_OAUTH2_TOKEN_URL: urls.oauth2Token,
    TWITTER_OAUTH2_REVOKE_URL: urls.oauth2Revoke,
  };
}

export interface StandIn {
  /** e.g. "http://127.0.0.1:54321" */
  origin: string;
  urls: StandInUrls;
  /** Switches the app's access level; throws TypeError on an unknown one. */
  setAccessLevel(level: AccessLevel): void;
  /** Arms (or with null, disarms) a fault for an endpoint; throws TypeError on an invalid fault. */
  setFault(endpoint: Endpoint, fault: Fault | null): void;
  clearFaults(): void;
  /** Counters and recent rejections (no secrets). */
  stats(): Stats;
  /** Zeroes the counters (tokens and faults stay). */
  resetStats(): void;
  /** Closes the server and every socket, hung ones included. Idempotent. */
  close(): Promise<void>;
}

/** Largest request body read. */
const MAX_BODY_BYTES = 1024 * 1024;
const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);
const FORM_CONTENT_TYPE = "text/html; charset=utf-8"; // X answers the token endpoints with this
const JSON_CONTENT_TYPE = "application/json; charset=utf-8";
const API_JSON_CONTENT_TYPE = "application/json;charset=utf-8";
const NO_STORE = { "cache-control": "no-store" };

/** A request read in full. */
interface Received {
  method: string;
  /** As sent, without the query. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The body parsed when it is application/x-www-form-urlencoded. */
  form: URLSearchParams | null;
}

/** An answer before serialization, so faults can take fields out of it. */
type Body =
  | { kind: "form"; fields: Parameter[] }
  | { kind: "json"; object: JsonObject }
  | { kind: "text"; text: string }
  | { kind: "redirect"; base: string; fields: Parameter[] };

interface Answer {
  status: number;
  contentType?: string;
  headers?: Record<string, string>;
  body: Body;
}

/** An answer and, when normal processing refused the request, why. */
interface Outcome {
  answer: Answer;
  rejected?: string;
  baseString?: string;
  fault?: Fault["kind"];
}

interface RequestToken {
  token: string;
  secret: string;
  consumerKey: string;
  /** An absolute http(s) URL or "oob". */
  callback: string;
  accessType: "read" | "write" | undefined;
  expiresAt: number;
  /** Set when the user pressed "Authorize app". */
  user?: { screenName: string; name: string | undefined };
  verifier?: string;
}

interface AccessToken {
  token: string;
  secret: string;
  consumerKey: string;
  screenName: string;
  name: string | undefined;
}

/** Everything the stand-in holds. */
interface Provider {
  origin: string;
  appName: string;
  accessLevel: AccessLevel;
  consumers: Map<string, string>;
  callbackPrefixes: string[];
  timestampWindowSeconds: number;
  requestTokenLifetimeMs: number;
  /** Insertion order is expiry order. */
  requestTokens: Map<string, RequestToken>;
  accessTokens: Map<string, AccessToken>;
  /** consumer key + "\n" + user id -> that user's live access token for that app. */
  accessTokensByGrant: Map<string, string>;
  /** Access tokens revoked with invalidate_token (so their refusal can say why). */
  invalidatedTokens: Set<string>;
  /** consumer key + "\n" + nonce -> forget after (ms); insertion order is expiry order. */
  nonces: Map<string, number>;
  screenNamesById: Map<string, string>;
  oauth2: OAuth2Provider;
  faults: FaultBoard;
  counters: Counters;
  timers: Set<NodeJS.Timeout>;
}

/** Starts the stand-in on 127.0.0.1 and resolves once it listens. */
export async function startStandIn(options: StandInOptions = {}): Promise<StandIn> {
  const p: Provider = {
    origin: "",
    appName: options.appName ?? DEFAULT_APP_NAME,
    accessLevel: "legacy",
    consumers: new Map(Object.entries(options.consumers ?? { [DEFAULT_CONSUMER_KEY]: DEFAULT_CONSUMER_SECRET })),
    callbackPrefixes: options.callbackPrefixes ?? [],
    timestampWindowSeconds: options.timestampWindowSeconds ?? 300,
    requestTokenLifetimeMs: (options.requestTokenLifetimeSeconds ?? 900) * 1000,
    requestTokens: new Map(),
    accessTokens: new Map(),
    accessTokensByGrant: new Map(),
    invalidatedTokens: new Set(),
    nonces: new Map(),
    screenNamesById: new Map(),
    oauth2: undefined as unknown as OAuth2Provider,
    faults: new FaultBoard(),
    counters: new Counters(),
    timers: new Set(),
  };
  if (options.accessLevel !== undefined) setAccessLevel(p, options.accessLevel);
  p.oauth2 = new OAuth2Provider({
    clients: new Map(
      Object.entries(options.oauth2Clients ?? { [DEFAULT_OAUTH2_CLIENT_ID]: { secret: DEFAULT_OAUTH2_CLIENT_SECRET, consumerKey: DEFAULT_CONSUMER_KEY } }).map(
        ([id, client]) => [id, { secret: client.secret, consumerKey: client.consumerKey }],
      ),
    ),
    appName: () => p.appName,
    isApprovedRedirect: (uri) => uri !== "oob" && isCallbackApproved(p, uri),
    lookUpOAuth1Token: (token, secret) => {
      const record = p.accessTokens.get(token);
      if (!record || !constantTimeEqual(secret, record.secret)) return undefined;
      return { consumerKey: record.consumerKey, screenName: record.screenName, name: record.name };
    },
    ...(options.oauth2CodeLifetimeSeconds === undefined ? {} : { codeLifetimeMs: options.oauth2CodeLifetimeSeconds * 1000 }),
    ...(options.oauth2AccessTokenLifetimeSeconds === undefined ? {} : { accessTokenLifetimeMs: options.oauth2AccessTokenLifetimeSeconds * 1000 }),
  });
  const log = options.log;
  const server = createServer((req, res) => {
    handle(p, req, res, log).catch((error: unknown) => {
      log?.(`stand-in error: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
      if (!res.headersSent && !res.destroyed) send(res, twitterError(500, TWITTER_ERRORS.internalError));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  p.origin = `http://127.0.0.1:${port}`;

  let closing: Promise<void> | undefined;
  return {
    origin: p.origin,
    urls: {
      requestToken: `${p.origin}/oauth/request_token`,
      authenticate: `${p.origin}/oauth/authenticate`,
      authorize: `${p.origin}/oauth/authorize`,
      accessToken: `${p.origin}/oauth/access_token`,
      apiBase: `${p.origin}/1.1/`,
      oauth2Authorize: `${p.origin}/i/oauth2/authorize`,
      oauth2Token: `${p.origin}/2/oauth2/token`,
      oauth2Revoke: `${p.origin}/2/oauth2/revoke`,
    },
    setAccessLevel: (level) => setAccessLevel(p, level),
    setFault: (endpoint, fault) => {
      if (!isEndpoint(endpoint)) throw new TypeError(`unknown endpoint: ${String(endpoint)}`);
      p.faults.set(endpoint, fault);
    },
    clearFaults: () => p.faults.clear(),
    stats: () => stats(p),
    resetStats: () => p.counters.reset(),
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        for (const timer of p.timers) clearTimeout(timer);
        p.timers.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function setAccessLevel(p: Provider, level: AccessLevel): void {
  if (!isAccessLevel(level)) throw new TypeError(`unknown access level: ${String(level)} (one of ${ACCESS_LEVELS.join(", ")})`);
  p.accessLevel = level;
}

function stats(p: Provider): Stats {
  const now = Date.now();
  forgetExpired(p.requestTokens, (t) => t.expiresAt, now);
  return structuredClone({
    accessLevel: p.accessLevel,
    endpoints: p.counters.endpoints,
    liveRequestTokens: p.requestTokens.size,
    liveAccessTokens: p.accessTokens.size,
    signatureFailures: p.counters.signatureFailures,
    recentRejections: p.counters.recentRejections,
    faults: p.faults.snapshot(),
  });
}

/** Deletes entries from the front of an insertion-ordered map while they are expired. */
function forgetExpired<V>(map: Map<string, V>, expiry: (value: V) => number, now: number): void {
  for (const [key, value] of map) {
    if (expiry(value) > now) return;
    map.delete(key);
  }
}

// ---------------------------------------------------------------- HTTP plumbing

async function handle(p: Provider, req: IncomingMessage, res: ServerResponse, log: ((line: string) => void) | undefined): Promise<void> {
  const received = await receive(req);
  if (received === "too large") {
    send(res, twitterError(413, { code: 32, message: "Request entity too large." }));
    req.resume();
    return;
  }
  if (received === "aborted") return;
  const outcome = await route(p, received, req);
  if (outcome === "hang") {
    log?.(`${received.method} ${received.path} (hanging)`);
    return;
  }
  if (res.destroyed) return;
  send(res, outcome.answer);
  const notes = [outcome.rejected, outcome.fault && `fault: ${outcome.fault}`].filter(Boolean).join("; ");
  log?.(`${received.method} ${received.path} ${outcome.answer.status}${notes ? ` (${notes})` : ""}`);
}

/** Reads the whole request; the body up to MAX_BODY_BYTES. */
function receive(req: IncomingMessage): Promise<Received | "too large" | "aborted"> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.off("data", onData);
        resolve("too large");
        return;
      }
      chunks.push(chunk);
    };
    req.on("data", onData);
    req.on("error", () => resolve("aborted"));
    req.on("close", () => resolve("aborted")); // no-op after "end"
    req.on("end", () => {
      const target = (req.url ?? "/").replace(/^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/, "");
      const queryAt = target.indexOf("?");
      const body = Buffer.concat(chunks);
      const contentType = (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase();
      resolve({
        method: req.method ?? "GET",
        path: queryAt === -1 ? target : target.slice(0, queryAt),
        query: parseFormEncoded(queryAt === -1 ? "" : target.slice(queryAt + 1)),
        headers: req.headers,
        body,
        form: contentType === "application/x-www-form-urlencoded" ? parseFormEncoded(body.toString("utf8")) : null,
      });
    });
  });
}

/** application/x-www-form-urlencoded parsing (a leading "?" is data here, unlike in URLSearchParams' constructor). */
function parseFormEncoded(text: string): URLSearchParams {
  return new URLSearchParams(`&${text}`);
}

function send(res: ServerResponse, answer: Answer): void {
  const headers: Record<string, string> = { ...answer.headers };
  if (answer.contentType) headers["content-type"] = answer.contentType;
  let text: string;
  switch (answer.body.kind) {
    case "form":
      text = formEncode(answer.body.fields);
      break;
    case "json":
      text = jsonText(answer.body.object);
      break;
    case "text":
      text = answer.body.text;
      break;
    case "redirect":
      headers["location"] = withQueryParameters(answer.body.base, answer.body.fields);
      text = "";
      break;
  }
  headers["content-length"] = String(Buffer.byteLength(text));
  res.writeHead(answer.status, headers);
  res.end(text);
}

/** Appends parameters to a URL's query (keeping what is there) and before its fragment. */
function withQueryParameters(url: string, fields: Parameter[]): string {
  const href = new URL(url).href; // ASCII, as a Location header needs
  const hashAt = href.indexOf("#");
  const beforeHash = hashAt === -1 ? href : href.slice(0, hashAt);
  const hash = hashAt === -1 ? "" : href.slice(hashAt);
  if (fields.length === 0) return href;
  const separator = !beforeHash.includes("?") ? "?" : /[?&]$/.test(beforeHash) ? "" : "&";
  return `${beforeHash}${separator}${formEncode(fields)}${hash}`;
}

function twitterError(status: number, error: { code: number; message: string }): Answer {
  return { status, contentType: JSON_CONTENT_TYPE, headers: NO_STORE, body: { kind: "text", text: twitterErrorBody(error.code, error.message) } };
}

function rejection(status: number, error: { code: number; message: string }, reason: string, baseString?: string): Outcome {
  const outcome: Outcome = { answer: twitterError(status, error), rejected: reason };
  if (baseString !== undefined) outcome.baseString = baseString;
  return outcome;
}

function html(status: number, text: string): Answer {
  return { status, contentType: "text/html; charset=utf-8", headers: PAGE_HEADERS, body: { kind: "text", text } };
}

function json(status: number, value: unknown): Answer {
  return { status, contentType: JSON_CONTENT_TYPE, headers: NO_STORE, body: { kind: "text", text: JSON.stringify(value) } };
}

// ---------------------------------------------------------------- routing and faults

async function route(p: Provider, r: Received, req: IncomingMessage): Promise<Outcome | "hang"> {
  if (r.path.startsWith("/__stand-in/")) return { answer: controlEndpoint(p, r, req) };
  const signed = `${r.method} ${r.path}`;
  switch (signed) {
    case "POST /oauth/request_token":
      return answerEndpoint(p, "request_token", () => requestToken(p, r));
    case "GET /oauth/authenticate":
    case "GET /oauth/authorize":
      return answerEndpoint(p, "authorize", () => consentForm(p, r), (f) => f.kind !== "missing-fields");
    case "POST /oauth/authorize":
      return answerEndpoint(p, "authorize", () => consentDecision(p, r));
    case "POST /oauth/access_token":
      return answerEndpoint(p, "access_token", () => accessToken(p, r));
    case "GET /1.1/account/verify_credentials.json":
      return answerEndpoint(p, "verify_credentials", () => verifyCredentials(p, r));
    case "POST /1.1/oauth/invalidate_token":
    case "POST /1.1/oauth/invalidate_token.json":
      return answerEndpoint(p, "invalidate_token", () => invalidateToken(p, r));
    case "GET /2/users/me":
      return answerEndpoint(p, "users_me", () => usersMe(p, r));
    case "GET /i/oauth2/authorize":
      return answerEndpoint(p, "oauth2_authorize", () => p.oauth2.authorizePage(r.query), (f) => f.kind !== "missing-fields");
    case "POST /i/oauth2/authorize":
      return answerEndpoint(p, "oauth2_authorize", () => p.oauth2.authorizeDecision(r.form ?? new URLSearchParams()));
    case "POST /2/oauth2/token":
      return answerEndpoint(p, "oauth2_token", () => jsonReply(p.oauth2.token(r.headers, r.form)));
    case "POST /2/oauth2/revoke":
      return answerEndpoint(p, "oauth2_revoke", () => jsonReply(p.oauth2.revoke(r.headers, r.form)));
  }
  const avatar = /^\/profile_images\/(\d{1,20})\/([A-Za-z0-9_]+)\.svg$/.exec(r.path);
  if (avatar && (r.method === "GET" || r.method === "HEAD")) {
    const [, idStr = "", variant = ""] = avatar;
    const svg = avatarSvg(idStr, variant, p.screenNamesById.get(idStr));
    return { answer: { status: 200, contentType: "image/svg+xml", headers: { "cache-control": "public, max-age=86400" }, body: { kind: "text", text: svg } } };
  }
  return { answer: twitterError(404, TWITTER_ERRORS.pageDoesNotExist) };
}

/** Counts the request, applies the endpoint's fault if one is armed (and `applies`), else answers normally. */
async function answerEndpoint(p: Provider, endpoint: Endpoint, normal: () => Outcome, applies?: (fault: Fault) => boolean): Promise<Outcome | "hang"> {
  p.counters.request(endpoint);
  const fault = p.faults.take(endpoint, applies);
  if (fault) p.counters.faulted(endpoint);
  if (fault?.kind === "hang") return "hang";
  if (fault?.kind === "slow") await sleep(p, fault.delayMs);
  if (fault && fault.kind !== "slow" && fault.kind !== "missing-fields") return { answer: faultAnswer(endpoint, fault), fault: fault.kind };
  const outcome = normal();
  if (outcome.rejected !== undefined) p.counters.rejected(endpoint, outcome.answer.status, outcome.rejected, outcome.baseString);
  else if (outcome.answer.status < 400) p.counters.accepted(endpoint);
  if (fault?.kind === "missing-fields") return { answer: withoutFields(outcome.answer, fault.omit), rejected: outcome.rejected, fault: fault.kind };
  if (fault) outcome.fault = fault.kind;
  return outcome;
}

/** A timer close() can cancel (the answer then never comes: the socket is gone anyway). */
function sleep(p: Provider, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      p.timers.delete(timer);
      resolve();
    }, ms);
    p.timers.add(timer);
  });
}

function usualContentType(endpoint: Endpoint): string {
  if (endpoint === "oauth2_token" || endpoint === "oauth2_revoke") return JSON_CONTENT_TYPE;
  return endpoint === "verify_credentials" || endpoint === "invalidate_token" || endpoint === "users_me" ? API_JSON_CONTENT_TYPE : FORM_CONTENT_TYPE;
}

/** An OAuth 2.0 JSON answer as an outcome whose fields a missing-fields fault can take out. */
function jsonReply(reply: OAuth2Reply): Outcome {
  const body = reply.answer.body;
  if (body.kind !== "text") return reply;
  const object = JSON.parse(body.text) as JsonObject;
  return { ...reply, answer: { ...reply.answer, body: { kind: "json", object } } };
}

function faultAnswer(endpoint: Endpoint, fault: Exclude<Fault, { kind: "hang" | "slow" | "missing-fields" }>): Answer {
  switch (fault.kind) {
    case "status": {
      const reason = STATUS_CODES[fault.status] ?? "Error";
      const text = fault.body ?? `<!doctype html><html><head><title>${fault.status} ${reason}</title></head><body><h1>${fault.status} ${reason}</h1></body></html>`;
      return { status: fault.status, contentType: fault.contentType ?? "text/html; charset=utf-8", body: { kind: "text", text } };
    }
    case "unauthorized":
      return twitterError(401, TWITTER_ERRORS.couldNotAuthenticate);
    case "callback-not-approved":
      return twitterError(403, TWITTER_ERRORS.callbackNotApproved);
    case "garbage":
      return { status: 200, contentType: usualContentType(endpoint), body: { kind: "text", text: fault.body ?? "<html>oops</html>" } };
  }
}

function withoutFields(answer: Answer, omit: string[]): Answer {
  const dropped = new Set(omit);
  const body = answer.body;
  switch (body.kind) {
    case "form":
    case "redirect":
      return { ...answer, body: { ...body, fields: body.fields.filter(([name]) => !dropped.has(name)) } };
    case "json":
      return { ...answer, body: { kind: "json", object: Object.fromEntries(Object.entries(body.object).filter(([key]) => !dropped.has(key))) } };
    case "text":
      return answer;
  }
}

// ---------------------------------------------------------------- RFC 5849 3.2: verifying requests

/** A request whose signature, timestamp and nonce checked out. */
interface Verified<T> {
  consumerKey: string;
  protocol: Map<string, string>;
  parameters: Parameter[];
  /** What the token lookup found. */
  token: T;
}

/** The token credentials' secret for a request, or the refusal to answer with. */
type TokenLookup<T> = (token: string | undefined, consumerKey: string) => { secret: string; found: T } | Outcome;

/**
 * RFC 5849 3.2, in X's order: protocol parameters present and single, version, signature method,
 * client credentials, timestamp window, token credentials, signature, then nonce (recorded only
 * for a correctly signed request).
 */
function verifySignedRequest<T>(p: Provider, r: Received, endpoint: Endpoint, lookupToken: TokenLookup<T>): { ok: true; request: Verified<T> } | { ok: false; outcome: Outcome } {
  const fail = (outcome: Outcome) => ({ ok: false as const, outcome });
  const couldNotAuthenticate = (reason: string, baseString?: string) => fail(rejection(401, TWITTER_ERRORS.couldNotAuthenticate, reason, baseString));
  const header = parseAuthorizationHeader(headerValue(r.headers, "authorization"));
  if (header && !header.ok) return couldNotAuthenticate(header.reason);
  const parameters = requestParameters({ query: r.query, form: r.form, header: header?.value ?? null });
  const single = protocolParameters(parameters);
  if (!single.ok) return couldNotAuthenticate(single.reason);
  const protocol = single.value;

  for (const name of ["oauth_consumer_key", "oauth_signature_method", "oauth_signature", "oauth_timestamp", "oauth_nonce"]) {
    if (protocol.has(name)) continue;
    // On the API (not oauth/), X answers missing authentication data with 400 code 215.
    if (endpoint === "verify_credentials" || endpoint === "invalidate_token") return fail(rejection(400, TWITTER_ERRORS.badAuthenticationData, `missing ${name}`));
    return couldNotAuthenticate(`missing ${name}`);
  }
  const version = protocol.get("oauth_version");
  if (version !== undefined && version !== "1.0") return couldNotAuthenticate(`unsupported oauth_version ${JSON.stringify(version)}`);
  const signatureMethod = protocol.get("oauth_signature_method") ?? "";
  if (!isSignatureMethod(signatureMethod)) return couldNotAuthenticate(`unsupported oauth_signature_method ${JSON.stringify(signatureMethod)}`);
  const consumerKey = protocol.get("oauth_consumer_key") ?? "";
  const consumerSecret = p.consumers.get(consumerKey);
  if (consumerSecret === undefined) return couldNotAuthenticate("unknown consumer key");

  const timestamp = protocol.get("oauth_timestamp") ?? "";
  const nowSeconds = Date.now() / 1000;
  if (!/^\d{1,12}$/.test(timestamp)) return fail(rejection(401, TWITTER_ERRORS.timestampOutOfBounds, "malformed oauth_timestamp"));
  if (Math.abs(nowSeconds - Number(timestamp)) > p.timestampWindowSeconds) {
    return fail(rejection(401, TWITTER_ERRORS.timestampOutOfBounds, "timestamp out of bounds"));
  }

  const token = lookupToken(protocol.get("oauth_token"), consumerKey);
  if (!("secret" in token)) return fail(token);

  const baseUri = baseStringUri(`${requestOrigin(p, r)}${r.path}`);
  if (!baseUri.ok) return couldNotAuthenticate(baseUri.reason);
  const check = checkSignature({
    signatureMethod,
    httpMethod: r.method,
    baseUri: baseUri.value,
    parameters,
    receivedSignature: protocol.get("oauth_signature") ?? "",
    consumerSecret,
    tokenSecret: token.secret,
  });
  if (!check.valid) return couldNotAuthenticate(BAD_SIGNATURE, check.baseString);

  const nonceKey = `${consumerKey}\n${protocol.get("oauth_nonce")}`;
  const now = Date.now();
  forgetExpired(p.nonces, (expiry) => expiry, now);
  if (p.nonces.has(nonceKey)) return couldNotAuthenticate("nonce reused");
  // Kept for two windows: a timestamp up to one window ahead stays acceptable for one more.
  p.nonces.set(nonceKey, now + 2 * p.timestampWindowSeconds * 1000);

  return { ok: true, request: { consumerKey, protocol, parameters, token: token.found } };
}

/**
 * The origin the client addressed (RFC 5849 3.4.1.2 takes the authority from the Host header): the
 * Host header when it names this server by a loopback name and its port (localhost, 127.0.0.1,
 * [::1]), else the stand-in's own origin. So a client signing the URL it fetches always matches.
 */
function requestOrigin(p: Provider, r: Received): string {
  const host = headerValue(r.headers, "host")?.toLowerCase() ?? "";
  const port = new URL(p.origin).port;
  const match = /^(localhost|127\.0\.0\.1|\[::1\]):(\d+)$/.exec(host);
  return match && match[2] === port ? `http://${host}` : p.origin;
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The first value of a non-protocol parameter (query or body). */
function firstParameter(parameters: Parameter[], name: string): string | undefined {
  return parameters.find(([n]) => n === name)?.[1];
}

// ---------------------------------------------------------------- X's endpoints

/** POST oauth/request_token: temporary credentials (RFC 5849 2.1). */
function requestToken(p: Provider, r: Received): Outcome {
  const verified = verifySignedRequest(p, r, "request_token", () => ({ secret: "", found: null }));
  if (!verified.ok) return verified.outcome;
  const { protocol, parameters, consumerKey } = verified.request;
  const callback = protocol.get("oauth_callback");
  if (callback === undefined) return rejection(401, TWITTER_ERRORS.couldNotAuthenticate, "missing oauth_callback");
  if (!isCallbackApproved(p, callback)) return rejection(403, TWITTER_ERRORS.callbackNotApproved, "callback not approved");
  const accessTypeParameter = firstParameter(parameters, "x_auth_access_type");
  const accessType = accessTypeParameter === "read" || accessTypeParameter === "write" ? accessTypeParameter : undefined;

  const now = Date.now();
  forgetExpired(p.requestTokens, (t) => t.expiresAt, now);
  const token: RequestToken = { token: randomToken(), secret: randomSecret(), consumerKey, callback, accessType, expiresAt: now + p.requestTokenLifetimeMs };
  p.requestTokens.set(token.token, token);
  return {
    answer: {
      status: 200,
      contentType: FORM_CONTENT_TYPE,
      headers: NO_STORE,
      body: { kind: "form", fields: [["oauth_token", token.token], ["oauth_token_secret", token.secret], ["oauth_callback_confirmed", "true"]] },
    },
  };
}

/** "oob", or an absolute http(s) URL on a loopback host or under an approved prefix. */
function isCallbackApproved(p: Provider, callback: string): boolean {
  if (callback === "oob") return true;
  let url: URL;
  try {
    url = new URL(callback);
  } catch {
    return false;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return false;
  return LOOPBACK_HOSTS.has(url.hostname) || p.callbackPrefixes.some((prefix) => callback.startsWith(prefix));
}

/** A request token that has neither expired nor been decided on. */
function undecidedRequestToken(p: Provider, token: string | null | undefined): RequestToken | undefined {
  if (!token) return undefined;
  const record = p.requestTokens.get(token);
  if (!record || record.expiresAt <= Date.now() || record.user) return undefined;
  return record;
}

/** GET oauth/authenticate and oauth/authorize: the consent page (RFC 5849 2.2). */
function consentForm(p: Provider, r: Received): Outcome {
  const record = undecidedRequestToken(p, r.query.get("oauth_token"));
  if (!record) return { answer: html(400, noLongerValidPage()), rejected: "unknown or expired request token" };
  const page = consentPage({
    appName: p.appName,
    oauthToken: record.token,
    screenName: r.query.get("screen_name") ?? "",
    name: "",
    callback: record.callback,
    accessType: record.accessType,
    forceLogin: isTwitterTrue(r.query.get("force_login")),
  });
  return { answer: html(200, page) };
}

/** POST oauth/authorize: the consent form's answer; redirects to the callback (RFC 5849 2.2). */
function consentDecision(p: Provider, r: Received): Outcome {
  const form = r.form ?? new URLSearchParams();
  const record = undecidedRequestToken(p, form.get("oauth_token"));
  if (!record) return { answer: html(400, noLongerValidPage()), rejected: "unknown or expired request token" };
  const action = form.get("action");
  const screenName = (form.get("screen_name") ?? "").trim();
  const name = (form.get("name") ?? "").trim();
  const again = (error: string, reason: string): Outcome => ({
    answer: html(400, consentPage({ appName: p.appName, oauthToken: record.token, screenName, name, callback: record.callback, accessType: record.accessType, forceLogin: false, error })),
    rejected: reason,
  });

  if (action === "deny") {
    p.requestTokens.delete(record.token);
    if (record.callback === "oob") return { answer: html(200, deniedPage(p.appName)) };
    return { answer: { status: 302, headers: NO_STORE, body: { kind: "redirect", base: record.callback, fields: [["denied", record.token]] } } };
  }
  if (action !== "allow") return again("Choose “Authorize app” or “Cancel”.", "no action");
  if (!isValidScreenName(screenName)) return again("Enter a screen name of 1 to 15 letters, digits or underscores.", "invalid screen name");
  if ([...name].length > 50) return again("The display name can be at most 50 characters.", "display name too long");

  record.user = { screenName, name: name === "" ? undefined : name };
  record.verifier = record.callback === "oob" ? String(randomInt(0, 10_000_000)).padStart(7, "0") : randomToken();
  if (record.callback === "oob") return { answer: html(200, pinPage(p.appName, record.verifier)) };
  return {
    answer: { status: 302, headers: NO_STORE, body: { kind: "redirect", base: record.callback, fields: [["oauth_token", record.token], ["oauth_verifier", record.verifier]] } },
  };
}

/** POST oauth/access_token: token credentials for an authorized request token (RFC 5849 2.3). */
function accessToken(p: Provider, r: Received): Outcome {
  const verified = verifySignedRequest(p, r, "access_token", (token, consumerKey) => {
    const invalid = (reason: string) => rejection(401, TWITTER_ERRORS.invalidOrExpiredToken, reason);
    if (!token) return invalid("missing oauth_token");
    const record = p.requestTokens.get(token);
    if (!record) return invalid("unknown or used request token");
    p.requestTokens.delete(token); // consumed on first use, success or not
    if (record.expiresAt <= Date.now()) return invalid("expired request token");
    if (record.consumerKey !== consumerKey) return invalid("request token of another consumer");
    return { secret: record.secret, found: record };
  });
  if (!verified.ok) return verified.outcome;
  const record = verified.request.token;
  const verifier = verified.request.protocol.get("oauth_verifier");
  const invalidVerifier = (reason: string) => rejection(401, { code: TWITTER_ERRORS.couldNotAuthenticate.code, message: INVALID_VERIFIER_MESSAGE }, reason);
  if (!record.user || record.verifier === undefined) return invalidVerifier("request token not authorized");
  if (verifier === undefined) return invalidVerifier("missing oauth_verifier");
  if (!constantTimeEqual(verifier, record.verifier)) return invalidVerifier("wrong oauth_verifier");

  const userId = userIdForScreenName(record.user.screenName);
  // As X does: the same access token on every sign-in of a user to an app, until it is invalidated.
  const grant = `${record.consumerKey}\n${userId}`;
  const existing = p.accessTokens.get(p.accessTokensByGrant.get(grant) ?? "");
  const token: AccessToken = existing ?? {
    token: `${userId}-${randomToken()}`,
    secret: randomSecret(),
    consumerKey: record.consumerKey,
    screenName: record.user.screenName,
    name: record.user.name,
  };
  // The display name typed on the consent page this time (X would show the account's current one).
  token.screenName = record.user.screenName;
  token.name = record.user.name;
  p.accessTokens.set(token.token, token);
  p.accessTokensByGrant.set(grant, token.token);
  p.screenNamesById.set(userId, token.screenName);
  return {
    answer: {
      status: 200,
      contentType: FORM_CONTENT_TYPE,
      headers: NO_STORE,
      body: { kind: "form", fields: [["oauth_token", token.token], ["oauth_token_secret", token.secret], ["user_id", userId], ["screen_name", token.screenName]] },
    },
  };
}

/** The access token a signed API request names: unknown, invalidated or another app's is 401 code 89, as X answers. */
const lookUpAccessToken =
  (p: Provider): TokenLookup<AccessToken> =>
  (token, consumerKey) => {
    const invalid = (reason: string) => rejection(401, TWITTER_ERRORS.invalidOrExpiredToken, reason);
    if (!token) return invalid("missing oauth_token");
    const record = p.accessTokens.get(token);
    if (!record) return invalid(p.invalidatedTokens.has(token) ? "invalidated access token" : "unknown access token");
    if (record.consumerKey !== consumerKey) return invalid("access token of another consumer");
    return { secret: record.secret, found: record };
  };

/**
 * POST 1.1/oauth/invalidate_token, signed with the access token to revoke: X answers
 * {"access_token": "..."} and from then on 401 code 89 to that token everywhere; the user's next
 * sign-in gets a new one.
 * @see https://developer.x.com/en/docs/authentication/api-reference/invalidate_access_token
 */
function invalidateToken(p: Provider, r: Received): Outcome {
  const verified = verifySignedRequest(p, r, "invalidate_token", lookUpAccessToken(p));
  if (!verified.ok) return verified.outcome;
  const token = verified.request.token;
  p.accessTokens.delete(token.token);
  p.accessTokensByGrant.delete(`${token.consumerKey}\n${userIdForScreenName(token.screenName)}`);
  p.invalidatedTokens.add(token.token);
  return { answer: json(200, { access_token: token.token }) };
}

/** GET 1.1/account/verify_credentials.json: the user object, ids as raw 64-bit digits; at the `free` level, 403 code 453 once the request checks out. */
function verifyCredentials(p: Provider, r: Received): Outcome {
  const verified = verifySignedRequest(p, r, "verify_credentials", lookUpAccessToken(p));
  if (!verified.ok) return verified.outcome;
  if (p.accessLevel === "free") {
    return { answer: { status: 403, contentType: JSON_CONTENT_TYPE, headers: NO_STORE, body: { kind: "text", text: ACCESS_LEVEL_ERROR_BODY } }, rejected: "not at this access level (453)" };
  }
  const account = verified.request.token;
  const include = (name: string, byDefault: boolean) => {
    const value = r.query.get(name);
    return value === null ? byDefault : isTwitterTrue(value);
  };
  const user = userObject(
    { screenName: account.screenName, ...(account.name !== undefined ? { name: account.name } : {}) },
    {
      origin: p.origin,
      includeStatus: !include("skip_status", false),
      includeEmail: include("include_email", false),
      includeEntities: include("include_entities", true),
    },
  );
  return { answer: apiAnswer(user) };
}

/** 200 JSON with X's rate-limit headers (75 per 15 minutes per user, for both profile endpoints). */
function apiAnswer(object: JsonObject): Answer {
  const resetAt = Math.floor(Date.now() / 1000) + 900;
  return {
    status: 200,
    contentType: API_JSON_CONTENT_TYPE,
    headers: { ...NO_STORE, "x-rate-limit-limit": "75", "x-rate-limit-remaining": "74", "x-rate-limit-reset": String(resetAt) },
    body: { kind: "json", object },
  };
}

/**
 * GET /2/users/me (X API v2, served at every access level), OAuth 1.0a user context checked like
 * every other call; any failure of it is v2's bare 401 problem (the stats keep the reason).
 * `user.fields` is honoured; a value X does not list answers 400 invalid-request.
 * @see https://docs.x.com/x-api/users/lookup/quickstart/authenticated-lookup
 */
function usersMe(p: Provider, r: Received): Outcome {
  const authorization = headerValue(r.headers, "authorization");
  if (authorization?.startsWith("Bearer ")) return usersMeWithBearer(p, r, authorization);
  const verified = verifySignedRequest(p, r, "users_me", lookUpAccessToken(p));
  // X answers it as an RFC 7807 problem: application/problem+json.
  if (!verified.ok) return { ...verified.outcome, answer: { ...json(401, V2_UNAUTHORIZED), contentType: "application/problem+json" } };
  const raw = r.query.get("user.fields");
  const fields = raw === null ? [] : raw.split(",");
  const unknown = fields.filter((field) => !(USER_FIELDS as readonly string[]).includes(field));
  if (unknown.length > 0 && raw !== null) {
    return { answer: { status: 400, contentType: JSON_CONTENT_TYPE, headers: NO_STORE, body: { kind: "json", object: invalidUserFieldsBody(raw, unknown) } }, rejected: "unknown user.fields value" };
  }
  const account = verified.request.token;
  return { answer: apiAnswer(usersMeObject({ screenName: account.screenName, ...(account.name !== undefined ? { name: account.name } : {}) }, p.origin, fields)) };
}

/**
 * GET /2/users/me with an OAuth 2.0 user access token: 401 for an unknown, revoked or expired one,
 * 403 without users.read, and `confirmed_email` only when users.email was granted (X's docs say
 * the field needs that scope; they do not say what it answers without it: the stand-in leaves
 * the field out).
 */
function usersMeWithBearer(p: Provider, r: Received, authorization: string): Outcome {
  const account = p.oauth2.bearer(authorization);
  if ("rejected" in account) return { answer: { ...json(401, V2_UNAUTHORIZED), contentType: "application/problem+json" }, rejected: account.rejected };
  const scopes = account.scope.split(" ");
  if (!scopes.includes("users.read")) {
    return { answer: { ...json(403, { title: "Forbidden", type: "about:blank", status: 403, detail: "Forbidden" }), contentType: "application/problem+json" }, rejected: "no users.read scope" };
  }
  const raw = r.query.get("user.fields");
  const fields = raw === null ? [] : raw.split(",");
  const unknown = fields.filter((field) => !(USER_FIELDS as readonly string[]).includes(field));
  if (unknown.length > 0 && raw !== null) {
    return { answer: { status: 400, contentType: JSON_CONTENT_TYPE, headers: NO_STORE, body: { kind: "json", object: invalidUserFieldsBody(raw, unknown) } }, rejected: "unknown user.fields value" };
  }
  const granted = scopes.includes("users.email") ? fields : fields.filter((field) => field !== "confirmed_email");
  p.screenNamesById.set(userIdForScreenName(account.screenName), account.screenName);
  return { answer: apiAnswer(usersMeObject({ screenName: account.screenName, ...(account.name !== undefined ? { name: account.name } : {}) }, p.origin, granted)) };
}

/** A request token or verifier: 192 random bits, base64url. */
function randomToken(): string {
  return randomBytes(24).toString("base64url");
}

/** A token secret: 240 random bits, base64url. */
function randomSecret(): string {
  return randomBytes(30).toString("base64url");
}

// ---------------------------------------------------------------- test-only control and the echo oracle

/** /__stand-in/...: faults, stats, echo. Loopback only (the server listens on nothing else anyway). */
function controlEndpoint(p: Provider, r: Received, req: IncomingMessage): Answer {
  const remote = req.socket.remoteAddress ?? "";
  if (!["127.0.0.1", "::1", "::ffff:127.0.0.1"].includes(remote)) return json(403, { error: "loopback only" });
  if (r.path === "/__stand-in/echo" || r.path.startsWith("/__stand-in/echo/")) return echo(p, r);
  switch (`${r.method} ${r.path}`) {
    case "POST /__stand-in/faults":
      return setFaultFromJson(p, r.body);
    case "DELETE /__stand-in/faults":
      p.faults.clear();
      return json(200, { ok: true });
    case "GET /__stand-in/stats":
      return json(200, stats(p));
    case "GET /__stand-in/access-level":
      return json(200, { level: p.accessLevel });
    case "POST /__stand-in/access-level":
      return setAccessLevelFromJson(p, r.body);
    case "DELETE /__stand-in/stats":
      p.counters.reset();
      return json(200, { ok: true });
  }
  return json(404, { error: `no control endpoint ${r.method} ${r.path}` });
}

/** POST /__stand-in/access-level {"level": "legacy" | "free"}. */
function setAccessLevelFromJson(p: Provider, body: Buffer): Answer {
  let level: unknown;
  try {
    level = (JSON.parse(body.toString("utf8")) as { level?: unknown } | null)?.level;
  } catch {
    return json(400, { error: "body must be JSON: {level}" });
  }
  if (!isAccessLevel(level)) return json(400, { error: `level must be one of ${ACCESS_LEVELS.join(", ")}` });
  p.accessLevel = level;
  return json(200, { ok: true, level });
}

/** POST /__stand-in/faults {"endpoint": ..., "fault": Fault | null}. */
function setFaultFromJson(p: Provider, body: Buffer): Answer {
  let value: unknown;
  try {
    value = JSON.parse(body.toString("utf8"));
  } catch {
    return json(400, { error: "body must be JSON: {endpoint, fault}" });
  }
  const { endpoint, fault } = (value ?? {}) as { endpoint?: unknown; fault?: unknown };
  if (!isEndpoint(endpoint)) return json(400, { error: `endpoint must be one of ${ENDPOINTS.join(", ")}` });
  if (fault !== null) {
    const problem = faultProblem(fault);
    if (problem) return json(400, { error: problem });
  }
  p.faults.set(endpoint, fault as Fault | null);
  return json(200, { ok: true, faults: p.faults.snapshot() });
}

/**
 * The signature oracle: any method to /__stand-in/echo/..., signed with the secrets given (percent-encoded)
 * in X-Stand-In-Consumer-Secret and X-Stand-In-Token-Secret. No consumer, token, nonce or timestamp checks.
 * The base string URI is the stand-in's own URL of the request, or scheme, host, port and path of
 * X-Stand-In-Request-Url when given (the query still comes from the request itself).
 */
function echo(p: Provider, r: Received): Answer {
  const secrets: string[] = [];
  for (const name of ["x-stand-in-consumer-secret", "x-stand-in-token-secret"]) {
    const raw = headerValue(r.headers, name) ?? "";
    try {
      secrets.push(decodeURIComponent(raw));
    } catch {
      return json(400, { error: `${name} must be percent-encoded` });
    }
  }
  const [consumerSecret = "", tokenSecret = ""] = secrets;
  const header = parseAuthorizationHeader(headerValue(r.headers, "authorization"));
  if (header && !header.ok) return json(200, { valid: false, error: header.reason });
  const parameters = requestParameters({ query: r.query, form: r.form, header: header?.value ?? null });
  const requestUrl = headerValue(r.headers, "x-stand-in-request-url") ?? `${requestOrigin(p, r)}${r.path}`;
  const baseUri = baseStringUri(requestUrl);
  if (!baseUri.ok) return json(400, { error: baseUri.reason });
  const signatureMethod = firstParameter(parameters, "oauth_signature_method") ?? "";
  const receivedSignature = firstParameter(parameters, "oauth_signature") ?? "";
  const baseString = signatureBaseString(r.method, baseUri.value, parameters);
  const shown = { baseStringUri: baseUri.value, baseString, receivedSignature, params: parameters };
  if (!isSignatureMethod(signatureMethod)) {
    return json(200, { valid: false, error: `unsupported oauth_signature_method ${JSON.stringify(signatureMethod)}`, signatureMethod, expectedSignature: null, ...shown });
  }
  const check = checkSignature({ signatureMethod, httpMethod: r.method, baseUri: baseUri.value, parameters, receivedSignature, consumerSecret, tokenSecret });
  return json(200, { valid: check.valid, signatureMethod, expectedSignature: check.expectedSignature, ...shown });
}
