// The cost harness's Worker (bench only), bundled by run.ts and run in workerd through Miniflare.
//
// It drives whole sign-ins (GET /login, then GET /auth with the cookie and X's callback query)
// straight into a Worker's fetch handler, in this isolate, with every binding and the network
// replaced by counting stand-ins that answer at once:
//   - fetch (globalThis.fetch): answers X's request_token, access_token, verify_credentials and
//     /2/users/me as X does (form bodies; the user objects run.ts passes in), and OAuth 2.0's token
//     endpoint (JSON, the client's HTTP Basic checked) and revoke, and counts every call by method and
//     path (/count-profiles: per TWITTER_PROFILE_ENDPOINT choice);
//   - KV: an in-memory namespace that counts get, put, delete, list and getWithMetadata;
//   - the Durable Object store: the real AuthStore (exported below as a subclass that counts the
//     SQLite rows its statements read and write, as Cloudflare bills them, its alarms and storage
//     deletes), behind a namespace that counts each call to an object (a billed request) and its
//     wall time (billed duration);
//   - the rate-limiting binding: always allows, counts calls;
//   - console.log/info/warn/error: counted and dropped (each would be a log line in `wrangler tail`).
// So /count gives exact operation counts per sign-in, and /round the CPU time of whole sign-ins
// with the I/O taken out: what the Worker's own code costs (Hono, signing, cookies, the session's
// encryption, JSON), as a deployed Worker is billed for it (CPU time, not time waiting on I/O).
//
// Contenders: "real" (src/index.ts, the deployed entry), "oauth2" (the same Worker with
// TWITTER_OAUTH_VERSION=2.0, X's OAuth 2.0 URLs pointing at the stand-in), "skeleton" (test/bench/skeleton/worker.ts:
// the protocol's I/O and nothing else) and "harness" (a handler that does no work: what driving
// a sign-in through this harness costs by itself, subtracted by run.ts).
//
// Timing: local workerd's clock moves during computation, in 1 ms ticks (deployed Workers freeze
// it between I/O); /info checks that. A batch starts on a tick edge and runs sign-ins one after
// another; run.ts sizes batches to about 100 ticks.
import real, { AuthStore as RealAuthStore } from "worker-under-test";
import { MemoryKv } from "../memory-kv.ts";
import { nextTick } from "../clock.ts";
import skeleton from "../skeleton/worker.ts";

export type Contender = "real" | "oauth2" | "skeleton" | "harness";
/** The TWITTER_PROFILE_ENDPOINT choices /count-profiles signs in with (the first, auto, at an app with v1.1 access). */
export type ProfileEndpoint = "auto" | "verify_credentials" | "users_me" | "none";
export const PROFILE_ENDPOINTS: readonly ProfileEndpoint[] = ["auto", "verify_credentials", "users_me", "none"];
export const CONTENDERS: readonly Contender[] = ["real", "oauth2", "skeleton", "harness"];

export interface Counts {
  signIns: number;
  /** Requests the harness sent to the Worker. */
  requests: number;
  /** Calls to fetch by "METHOD /path" (the Worker's subrequests). */
  subrequests: Record<string, number>;
  kv: { get: number; getWithMetadata: number; put: number; delete: number; list: number };
  /** KV keys written, by prefix (text before the first ":"). */
  kvWritesByPrefix: Record<string, number>;
  /** The Durable Object store: calls to objects (each a billed request) by method, SQLite rows read and written (setAlarm counts as a row written), alarm reads, storage deletes, and the calls' wall time in ms. */
  object: { requests: Record<string, number>; rowsRead: number; rowsWritten: number; alarmReads: number; storageDeletes: number; wallMs: number };
  rateLimitCalls: number;
  logLines: number;
  /** Statuses of /login and /auth. */
  statuses: string[];
}

export interface Info {
  clock: "live" | "frozen";
  resolutionMs: number;
  /** One sign-in of each contender worked (/auth answered 200 with the user's JSON). */
  ok: boolean;
  problems: string[];
}

export interface RoundResult {
  results: Partial<Record<Contender, { signIns: number; ms: number }>>;
}

interface HarnessEnv {
  /** The Durable Object store's namespace (harness.ts binds AuthStore, exported above). */
  AUTH_STORE: Namespace;
  CONSUMER_KEY: string;
  CONSUMER_SECRET: string;
  SESSION_SECRET: string;
  /** X's verify_credentials answer for the user every sign-in signs in (from the stand-in's user object). */
  VERIFY_CREDENTIALS_BODY: string;
  /** X's /2/users/me answer for the same user ({"data":{"id","name","username","profile_image_url"}}, the stand-in's). */
  USERS_ME_BODY: string;
  USER_ID: string;
  SCREEN_NAME: string;
}

const ORIGIN = "https://signin.bench.example";
const X = "https://api.x.com";
/** The OAuth 2.0 app's client id and secret (bench values), and X's OAuth 2.0 URLs, all on the stand-in. */
const OAUTH2_CLIENT_ID = "bench-oauth2-client-id";
const OAUTH2_CLIENT_SECRET = "bench-oauth2-client-secret-0123456789abcdef";
const OAUTH2_BASIC = `Basic ${btoa(`${OAUTH2_CLIENT_ID}:${OAUTH2_CLIENT_SECRET}`)}`;
const OAUTH2_VARS = {
  TWITTER_OAUTH_VERSION: "2.0",
  TWITTER_OAUTH2_CLIENT_ID: OAUTH2_CLIENT_ID,
  TWITTER_OAUTH2_CLIENT_SECRET: OAUTH2_CLIENT_SECRET,
  TWITTER_OAUTH2_AUTHORIZE_URL: `${X}/i/oauth2/authorize`,
  TWITTER_OAUTH2_TOKEN_URL: `${X}/2/oauth2/token`,
  TWITTER_OAUTH2_REVOKE_URL: `${X}/2/oauth2/revoke`,
};

// ---------------------------------------------------------------- counting stand-ins

let counts = emptyCounts();

function emptyCounts(): Counts {
  return {
    signIns: 0,
    requests: 0,
    subrequests: {},
    kv: { get: 0, getWithMetadata: 0, put: 0, delete: 0, list: 0 },
    kvWritesByPrefix: {},
    object: { requests: {}, rowsRead: 0, rowsWritten: 0, alarmReads: 0, storageDeletes: 0, wallMs: 0 },
    rateLimitCalls: 0,
    logLines: 0,
    statuses: [],
  };
}

class CountingKv {
  readonly #store = new MemoryKv();
  async get(key: string, options?: unknown): Promise<unknown> {
    counts.kv.get += 1;
    return this.#store.read(key, options);
  }
  async getWithMetadata(key: string, options?: unknown): Promise<{ value: unknown; metadata: unknown }> {
    counts.kv.getWithMetadata += 1;
    return this.#store.readWithMetadata(key, options);
  }
  async put(key: string, value: string, options?: { metadata?: unknown }): Promise<void> {
    counts.kv.put += 1;
    const prefix = key.includes(":") ? `${key.slice(0, key.indexOf(":"))}:` : "(no prefix)";
    counts.kvWritesByPrefix[prefix] = (counts.kvWritesByPrefix[prefix] ?? 0) + 1;
    this.#store.write(key, value, options);
  }
  async delete(key: string): Promise<void> {
    counts.kv.delete += 1;
    this.#store.remove(key);
  }
  async list(options: { prefix?: string; limit?: number; cursor?: string } = {}): Promise<ReturnType<MemoryKv["listed"]>> {
    counts.kv.list += 1;
    return this.#store.listed(options);
  }
  clear(): void {
    this.#store.clear();
  }
}

const kv = new CountingKv();

/**
 * AuthStore as deployed, its storage counted: every SQL statement's rows read and written (the
 * cursor's own figures), each key-value get (a row read), put and delete (a row written), each
 * setAlarm (a row written, as Cloudflare bills it), each getAlarm and deleteAll (counted apart:
 * Cloudflare's price list names neither). The Durable Object runs in this isolate, so it counts
 * into the same `counts`.
 */
export class AuthStore extends RealAuthStore {
  constructor(ctx: ObjectState, env: unknown) {
    super(ctx, env);
    const storage = ctx.storage;
    const { sql, kv: keys } = storage;
    const own = (name: string, value: unknown) => Object.defineProperty(storage, name, { value });
    own("sql", {
      exec(query: string, ...bindings: unknown[]) {
        const cursor = sql.exec(query, ...bindings);
        const rows = cursor.toArray();
        counts.object.rowsRead += cursor.rowsRead;
        counts.object.rowsWritten += cursor.rowsWritten;
        return { toArray: () => rows };
      },
    });
    own("kv", {
      get: (key: string) => ((counts.object.rowsRead += 1), keys.get(key)),
      put: (key: string, value: unknown) => ((counts.object.rowsWritten += 1), keys.put(key, value)),
      delete: (key: string) => ((counts.object.rowsWritten += 1), keys.delete(key)),
      // A list reads a row per key it finds (OAuth 2.0's refreshed grants and leases, listed when sessions end).
      list: (options?: { prefix?: string }) => {
        const entries = [...keys.list(options)];
        counts.object.rowsRead += entries.length;
        return entries;
      },
    });
    const { getAlarm, setAlarm, deleteAll } = storage;
    own("getAlarm", () => ((counts.object.alarmReads += 1), getAlarm.call(storage)));
    own("setAlarm", (time: number) => ((counts.object.rowsWritten += 1), setAlarm.call(storage, time)));
    own("deleteAll", () => ((counts.object.storageDeletes += 1), deleteAll.call(storage)));
  }
}

/** What the subclass above touches of a Durable Object's state (this folder is type-checked with Node's types, not the Workers'). */
interface ObjectState {
  storage: {
    sql: { exec(query: string, ...bindings: unknown[]): { toArray(): unknown[]; rowsRead: number; rowsWritten: number } };
    kv: { get(key: string): unknown; put(key: string, value: unknown): void; delete(key: string): boolean; list(options?: { prefix?: string }): Iterable<[string, unknown]> };
    getAlarm(): Promise<number | null>;
    setAlarm(time: number): Promise<void>;
    deleteAll(): Promise<void>;
  };
}

/** A Durable Object namespace, as far as the harness uses one. */
interface Namespace {
  get(id: unknown): unknown;
  idFromName(name: string): unknown;
}

/** The AuthStore namespace with each call to an object counted (a billed request) and timed (billed duration). */
function countingNamespace(namespace: Namespace): Namespace {
  return new Proxy(namespace, {
    get(target, name) {
      if (name !== "get") return (Reflect.get(target, name) as (...args: unknown[]) => unknown).bind(target);
      return (id: unknown) => {
        const stub = target.get(id) as Record<string, (...args: unknown[]) => Promise<unknown>>;
        return new Proxy(stub, {
          get: (object, method: string) => async (...args: unknown[]) => {
            counts.object.requests[method] = (counts.object.requests[method] ?? 0) + 1;
            const started = performance.now();
            try {
              return await object[method]!(...args);
            } finally {
              // At least the clock's tick: a local call often ends within the same millisecond.
              counts.object.wallMs += Math.max(1, performance.now() - started);
            }
          },
        });
      };
    },
  });
}
const rateLimiter = {
  async limit(_options: { key: string }): Promise<{ success: boolean }> {
    counts.rateLimitCalls += 1;
    return { success: true };
  },
};

// Log lines: counted, not written (writing would measure Miniflare's log plumbing, not the Worker).
for (const level of ["log", "info", "warn", "error", "debug"] as const) {
  console[level] = () => {
    counts.logLines += 1;
  };
}

let sequence = 0;
let provider: HarnessEnv | undefined;

/** X, answering at once. Every token and secret is fresh, as X's are (so no key cache ever hits across sign-ins). */
async function stubFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
  const method = (init?.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase();
  const path = url.slice(X.length).split("?")[0] ?? "";
  counts.subrequests[`${method} ${path}`] = (counts.subrequests[`${method} ${path}`] ?? 0) + 1;
  const p = provider!;
  sequence += 1;
  const n = sequence.toString(36).padStart(8, "0");
  const form = (text: string) => new Response(text, { status: 200, headers: { "Content-Type": "text/html; charset=utf-8" } });
  if (url.startsWith(`${X}/oauth/request_token`)) {
    return form(`oauth_token=rt${n}aaaaaaaaaaaaaaaaaaaaaa&oauth_token_secret=rs${n}bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb&oauth_callback_confirmed=true`);
  }
  if (url.startsWith(`${X}/oauth/access_token`)) {
    return form(`oauth_token=${p.USER_ID}-at${n}cccccccccccccccccccccc&oauth_token_secret=as${n}dddddddddddddddddddddddddddddd&user_id=${p.USER_ID}&screen_name=${p.SCREEN_NAME}`);
  }
  if (url.startsWith(`${X}/1.1/oauth/invalidate_token`)) {
    return new Response(`{"access_token":"${p.USER_ID}-revoked"}`, { status: 200, headers: { "Content-Type": "application/json; charset=utf-8" } });
  }
  if (url.startsWith(`${X}/1.1/account/verify_credentials.json`)) {
    return new Response(p.VERIFY_CREDENTIALS_BODY, { status: 200, headers: { "Content-Type": "application/json;charset=utf-8" } });
  }
  const json = (text: string, status = 200, headers: Record<string, string> = {}) => new Response(text, { status, headers: { "Content-Type": "application/json;charset=utf-8", ...headers } });
  if (url.startsWith(`${X}/2/users/me`)) {
    // OAuth 1.0a's signed header, or OAuth 2.0's Bearer token; X answers 401 without either.
    const authorization = new Headers(init?.headers).get("Authorization") ?? "";
    if (!authorization.startsWith("OAuth ") && !authorization.startsWith("Bearer ")) return json('{"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"}', 401);
    return json(p.USERS_ME_BODY);
  }
  if (url === `${X}/2/oauth2/token` && method === "POST") {
    // The confidential client's HTTP Basic, and a code redeemed with its PKCE verifier; X's answer names no user.
    const body = typeof init?.body === "string" ? init.body : "";
    if (new Headers(init?.headers).get("Authorization") !== OAUTH2_BASIC) return json('{"error":"unauthorized_client","error_description":"Missing valid authorization header"}', 401);
    if (!body.includes("grant_type=authorization_code") || !body.includes("code_verifier=")) return json('{"error":"invalid_request","error_description":"Value passed for the authorization code was invalid."}', 400);
    return json(`{"token_type":"bearer","expires_in":7200,"access_token":"oa${n}ffffffffffffffffffffff","refresh_token":"or${n}gggggggggggggggggggggg","scope":"users.read tweet.read offline.access"}`, 200, { "Cache-Control": "no-store" });
  }
  if (url === `${X}/2/oauth2/revoke` && method === "POST") return json('{"revoked":true}');
  return new Response('{"errors":[{"code":34,"message":"Sorry, that page does not exist."}]}', { status: 404, headers: { "Content-Type": "application/json" } });
}

// ---------------------------------------------------------------- the contenders

type Handler = { fetch(request: Request, env: unknown, ctx: unknown): Response | Promise<Response> };

/** Does no work: answers /login with a redirect and /auth with the user's JSON, as the others do. */
const harness: Handler = {
  fetch(request: Request) {
    const url = new URL(request.url);
    if (url.pathname === "/login") return new Response(null, { status: 302, headers: { Location: `${X}/oauth/authenticate?oauth_token=rt${++sequence}` } });
    return new Response(provider!.VERIFY_CREDENTIALS_BODY, { status: 200, headers: { "Content-Type": "application/json; charset=utf-8" } });
  },
};

const HANDLERS: Record<Contender, Handler> = { real, oauth2: real, skeleton: skeleton as Handler, harness };

function environment(contender: Contender, p: HarnessEnv, profileEndpoint?: ProfileEndpoint): unknown {
  const credentials = { TWITTER_CLIENT_ID: p.CONSUMER_KEY, TWITTER_CLIENT_SECRET: p.CONSUMER_SECRET };
  if (contender === "real") return { ...credentials, SESSION_SECRET: p.SESSION_SECRET, AUTH_KV: kv, LOGIN_RATE_LIMITER: rateLimiter, TWITTER_PROFILE_ENDPOINT: profileEndpoint };
  // OAuth 2.0 as a site that signs in only over it sets it: its own client id and secret, no 1.0a keys.
  if (contender === "oauth2") return { ...OAUTH2_VARS, SESSION_SECRET: p.SESSION_SECRET, AUTH_KV: kv, LOGIN_RATE_LIMITER: rateLimiter };
  if (contender === "skeleton") {
    return {
      ...credentials,
      SKELETON_KV: kv,
      TWITTER_REQUEST_TOKEN_URL: `${X}/oauth/request_token`,
      TWITTER_AUTHORIZE_URL: `${X}/oauth/authenticate`,
      TWITTER_ACCESS_TOKEN_URL: `${X}/oauth/access_token`,
      TWITTER_API_BASE_URL: `${X}/1.1/`,
    };
  }
  return {};
}

const objectEnvs: Partial<Record<"real" | "oauth2", unknown>> = {};

/** The real Worker's env with the Durable Object store, over OAuth 1.0a ("real") or 2.0 (the same object every time, as a deployed isolate has). */
function objectEnvironment(p: HarnessEnv, protocol: "real" | "oauth2" = "real"): unknown {
  const credentials = protocol === "oauth2" ? OAUTH2_VARS : { TWITTER_CLIENT_ID: p.CONSUMER_KEY, TWITTER_CLIENT_SECRET: p.CONSUMER_SECRET };
  return (objectEnvs[protocol] ??= { ...credentials, SESSION_SECRET: p.SESSION_SECRET, AUTH_STORE: countingNamespace(p.AUTH_STORE), LOGIN_RATE_LIMITER: rateLimiter });
}

/** Empties both stores of the bench user's sessions (KV: everything; the Durable Object: a sign-in over `protocol`, then sign-out everywhere), counting nothing. */
async function emptyStores(protocol: "real" | "oauth2" = "real"): Promise<void> {
  counts = emptyCounts(); // what was counted before stays with whoever holds it
  kv.clear();
  const env = objectEnvironment(provider!, protocol);
  const cookie = await signIn(protocol, env, 0);
  const out = await real.fetch(new Request(`${ORIGIN}/logout?everywhere=true`, { method: "POST", headers: { Cookie: cookie, Origin: ORIGIN } }), env, executionContext);
  await out.arrayBuffer();
  if (pending.length > 0) await Promise.all(pending.splice(0));
  counts = emptyCounts();
}

const pending: Promise<unknown>[] = [];
const executionContext = {
  waitUntil(promise: Promise<unknown>) {
    pending.push(promise);
  },
  passThroughOnException() {},
  props: {},
};

/** One whole sign-in, as a browser and X would drive it; throws when it does not end in 200 JSON. Resolves with the cookies /auth set. */
async function signIn(contender: Contender, env: unknown, index: number): Promise<string> {
  const handler = HANDLERS[contender];
  const headers = { Accept: "text/html,application/json;q=0.9,*/*;q=0.8", "CF-Connecting-IP": `198.18.${(index >> 8) & 255}.${index & 255}` };
  counts.requests += 1;
  const login = await handler.fetch(new Request(`${ORIGIN}/login`, { headers }), env, executionContext);
  await login.arrayBuffer();
  counts.statuses.push(`login ${login.status}`);
  const location = login.headers.get("Location") ?? "";
  // OAuth 2.0: X's authorize page, sent back to the redirect_uri with the state and a code.
  const oauth2 = contender === "oauth2";
  if (login.status !== 302 || !location.startsWith(oauth2 ? `${X}/i/oauth2/authorize?` : `${X}/oauth/authenticate`)) throw new Error(`${contender}: /login answered ${login.status}, Location ${location}`);
  const query = new URL(location).searchParams;
  const token = query.get("oauth_token") ?? "";
  const redirectUri = query.get("redirect_uri") ?? "";
  if (oauth2 && (redirectUri !== `${ORIGIN}/auth` || !query.get("state") || query.get("code_challenge_method") !== "S256")) throw new Error(`${contender}: /login sent X ${location}`);
  const cookie = login.headers
    .getSetCookie()
    .map((c) => c.slice(0, c.indexOf(";") === -1 ? undefined : c.indexOf(";")))
    .join("; ");
  counts.requests += 1;
  const callback = oauth2
    ? `${redirectUri}?state=${encodeURIComponent(query.get("state")!)}&code=c${index.toString(36)}hhhhhhhhhhhhhhhhhhhhhhhhhh`
    : `${ORIGIN}/auth?oauth_token=${encodeURIComponent(token)}&oauth_verifier=v${index.toString(36)}eeeeeeeeeeeeeeeeeeeeeeeeee`;
  const auth = await handler.fetch(new Request(callback, { headers: cookie ? { ...headers, Cookie: cookie } : headers }), env, executionContext);
  const body = await auth.text();
  counts.statuses.push(`auth ${auth.status}`);
  // The screen name as v1.1 (screen_name), v2 (username) or TWITTER_PROFILE_ENDPOINT=none (screenName) names it.
  if (auth.status !== 200 || !new RegExp(`"(screen_name|username|screenName)":"${provider!.SCREEN_NAME}"`).test(body)) throw new Error(`${contender}: /auth answered ${auth.status}: ${body.slice(0, 200)}`);
  if (pending.length > 0) await Promise.all(pending.splice(0));
  counts.signIns += 1;
  return auth.headers
    .getSetCookie()
    .map((c) => c.slice(0, c.indexOf(";") === -1 ? undefined : c.indexOf(";")))
    .filter((c) => !/=$/.test(c))
    .join("; ");
}

/** What `run` does for each key, counted from zero (an empty KV each time), or the error it threw. */
async function countEach<K extends string>(keys: readonly K[], run: (key: K) => Promise<unknown>): Promise<Partial<Record<K, Counts | { error: string }>>> {
  const all: Partial<Record<K, Counts | { error: string }>> = {};
  for (const key of keys) {
    counts = emptyCounts();
    kv.clear();
    try {
      await run(key);
      all[key] = counts;
    } catch (error) {
      all[key] = { error: error instanceof Error ? error.message : String(error) };
    }
  }
  return all;
}

/** The real Worker's sign-outs, counted: each scenario from a fresh store, the sign-ins before it not counted. */
export type SignOutCounts = Record<"anotherSessionOpen" | "lastSession" | "everywhereOfTwo", Counts>;

/** What each store does: a sign-in, a session's first read (GET /me) in an isolate and a read after it, and the sign-outs, with KV and with the Durable Object store. */
export type StoreCounts = Record<"kv" | "object", { signIn: Counts; sessionRead: Counts; sessionReadAgain: Counts; signOuts: SignOutCounts }>;

async function countStores(p: HarnessEnv): Promise<StoreCounts> {
  const result: Partial<StoreCounts> = {};
  for (const [name, env] of [
    ["kv", environment("real", p)],
    ["object", objectEnvironment(p)],
  ] as const) {
    await emptyStores();
    await signIn("real", env, 1);
    const signInCounts = counts;
    await emptyStores();
    const cookie = await signIn("real", env, 2);
    // The session's first read in this isolate, then one more: KV looks at lastSeenAt at most every five minutes per isolate.
    const readMe = async () => {
      counts = emptyCounts();
      counts.requests += 1;
      const me = await real.fetch(new Request(`${ORIGIN}/me`, { headers: { Cookie: cookie } }), env, executionContext);
      await me.arrayBuffer();
      if (pending.length > 0) await Promise.all(pending.splice(0));
      if (me.status !== 200) throw new Error(`real (${name}): /me answered ${me.status}`);
      return counts;
    };
    const sessionRead = await readMe();
    const sessionReadAgain = await readMe();
    result[name] = { signIn: signInCounts, sessionRead, sessionReadAgain, signOuts: await countSignOuts(env) };
  }
  return result as StoreCounts;
}

/** One OAuth 2.0 sign-in with each store, counted from emptied stores (as countStores counts 1.0a's). */
export type OAuth2StoreCounts = Record<"kv" | "object", Counts>;

async function countOAuth2Stores(p: HarnessEnv): Promise<OAuth2StoreCounts> {
  await emptyStores("oauth2");
  await signIn("oauth2", environment("oauth2", p), 1);
  const kvCounts = counts;
  await emptyStores("oauth2");
  await signIn("oauth2", objectEnvironment(p, "oauth2"), 1);
  const objectCounts = counts;
  counts = emptyCounts();
  return { kv: kvCounts, object: objectCounts };
}

async function countSignOuts(env: unknown): Promise<SignOutCounts> {
  const logout = async (cookie: string, query = "") => {
    counts.requests += 1;
    const response = await real.fetch(new Request(`${ORIGIN}/logout${query}`, { method: "POST", headers: { Cookie: cookie, Origin: ORIGIN } }), env, executionContext);
    await response.arrayBuffer();
    if (pending.length > 0) await Promise.all(pending.splice(0));
    counts.statuses.push(`logout ${response.status}`);
    if (response.status !== 303) throw new Error(`real: /logout${query} answered ${response.status}`);
  };
  const scenario = async (devices: number, query: string): Promise<Counts> => {
    await emptyStores();
    const cookies: string[] = [];
    for (let index = 0; index < devices; index += 1) cookies.push(await signIn("real", env, index));
    counts = emptyCounts();
    await logout(cookies[0]!, query);
    const counted = counts;
    counts = emptyCounts();
    return counted;
  };
  return { anotherSessionOpen: await scenario(2, ""), lastSession: await scenario(1, ""), everywhereOfTwo: await scenario(2, "?everywhere=true") };
}

// ---------------------------------------------------------------- endpoints

export default {
  async fetch(request: Request, env: HarnessEnv): Promise<Response> {
    provider = env;
    globalThis.fetch = stubFetch as typeof fetch;
    const url = new URL(request.url);

    if (url.pathname === "/info") {
      // Does the clock move during pure computation, and in what steps?
      const first = performance.now();
      const edge = nextTick();
      const resolutionMs = nextTick() - edge;
      const problems: string[] = [];
      for (const contender of CONTENDERS) {
        try {
          await signIn(contender, environment(contender, env), 0);
        } catch (error) {
          problems.push(error instanceof Error ? error.message : String(error));
        }
      }
      const info: Info = { clock: edge === first ? "frozen" : "live", resolutionMs, ok: problems.length === 0, problems };
      return Response.json(info);
    }

    if (url.pathname === "/count") {
      // One sign-in per contender, counted from zero.
      return Response.json(await countEach(CONTENDERS, (contender) => signIn(contender, environment(contender, env), 1)));
    }

    if (url.pathname === "/count-profiles") {
      // One real sign-in per TWITTER_PROFILE_ENDPOINT choice, its calls to X counted from zero.
      return Response.json(await countEach(PROFILE_ENDPOINTS, (choice) => signIn("real", environment("real", env, choice), 1)));
    }

    if (url.pathname === "/count-stores") {
      try {
        return Response.json(await countStores(env));
      } catch (error) {
        return Response.json({ error: error instanceof Error ? error.message : String(error) });
      }
    }

    if (url.pathname === "/count-oauth2-stores") {
      try {
        return Response.json(await countOAuth2Stores(env));
      } catch (error) {
        return Response.json({ error: error instanceof Error ? error.message : String(error) });
      }
    }

    if (url.pathname === "/round" && request.method === "POST") {
      const { order, batch } = (await request.json()) as { order: Contender[]; batch: Record<Contender, number> };
      const result: RoundResult = { results: {} };
      for (const contender of order) {
        const contenderEnv = environment(contender, env);
        kv.clear(); // sessions would pile up otherwise
        counts = emptyCounts();
        const started = nextTick();
        for (let index = 0; index < batch[contender]; index += 1) await signIn(contender, contenderEnv, index);
        const ms = performance.now() - started;
        result.results[contender] = { signIns: batch[contender], ms };
      }
      return Response.json(result);
    }

    return new Response("cost harness: /info, /count, /count-profiles, /count-stores, /count-oauth2-stores, POST /round\n", { status: 404 });
  },
};
