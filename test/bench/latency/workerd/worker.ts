// The latency bench's Worker (bench only), bundled by ../run.ts and run in workerd through Miniflare.
//
// It drives each route of the real Worker (src/index.ts) straight into its fetch handler, in this
// isolate, with the network and the bindings replaced by stand-ins that answer after a set delay
// (../routes.ts DELAYS): fetch answers X's request_token, access_token, verify_credentials,
// /2/users/me and invalidate_token as X does, after DELAYS.x each (on FREE_X, as X answers an app
// at its free level: verify_credentials refused with 403 code 453), and gateway mode's protected site after DELAYS.origin; KV is an in-memory namespace whose get, put, delete and list take their
// DELAYS; the Durable Object store is the real AuthStore (exported below), each call answered no
// sooner than DELAYS.durableObject; the rate limiter allows at once; log lines are dropped. Each delayed call is recorded
// with its start and end, so run.ts can show what ran beside what.
//
// A scenario prepares each route's request (a /login before /auth, a whole sign-in before /me)
// with the delays off; only the measured request runs with them on. Its time is taken here, in
// the isolate: performance.now() before the Worker's fetch handler is called and after the
// answer's body is read. Workers' clock advances across I/O, and the delays are timers, so that
// span is the time the request waited; measuring from Node instead would add Miniflare's loopback
// hop (a millisecond or more, noisy on a busy machine) to every figure. What the Worker hands to
// waitUntil is awaited afterwards, outside the measured span, as the browser does not wait for it.
//
// Contenders: "worker" (src/index.ts, the deployed entry, with KV), "durable-object" (the same,
// with AUTH_STORE bound) and "before" (/auth in the order it ran before issue 12, every wait one
// after another, ./auth-before.ts, mounted with the same middleware, with KV; the other routes are
// unchanged).
import { Hono } from "hono/tiny";
import real from "../../../../src/index";
import { settingsReader } from "../../../../src/config";
import type { Env, TwitterAuthEnv } from "../../../../src/env";
import { handleError, logged } from "../../../../src/error-handler";
import { requestLimits } from "../../../../src/middleware/request-limits";
import { secureHeaders } from "../../../../src/middleware/secure-headers";
import { type Contender, DELAYS, type Info, type Measurement, ROUTES, type RouteId, type RoundResult } from "../routes";
import { MemoryKv } from "../../memory-kv";
import type { AuthStore } from "../../../../src/session/auth-store";
import { inPlace, storeFor } from "../../../../src/session/store";
import { userShard } from "../../../../src/session/shard";
import { authInOrderBeforeIssue12 } from "./auth-before";

export { AuthStore } from "../../../../src/index";

interface BenchEnv {
  CONSUMER_KEY: string;
  CONSUMER_SECRET: string;
  SESSION_SECRET: string;
  /** X's verify_credentials answer for the bench's user (the stand-in's user object). */
  VERIFY_CREDENTIALS_BODY: string;
  /** X's /2/users/me answer for the bench's user (the stand-in's). */
  USERS_ME_BODY: string;
  USER_ID: string;
  SCREEN_NAME: string;
  /** The real AuthStore namespace (harness.ts binds it). */
  AUTH_STORE: DurableObjectNamespace<AuthStore>;
}

const ORIGIN = "https://latency.bench.example";
const X = "https://api.x.com";
/** X for an app at its free level: the same endpoints, but v1.1 verify_credentials refused with 403 code 453. */
const FREE_X = "https://free.api.x.com";
/** The site gateway mode protects (PROTECT_ORIGIN), answering after DELAYS.origin. */
const PROTECTED = "https://origin.bench.example";

// ---------------------------------------------------------------- delays and the record of calls

let delaysOn = false;
let requestStart = 0;
let spans: Measurement["spans"] = [];

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Waits `ms` from `start`, to the clock's tick: a timer for all but the last 2 ms (workerd's timers
 * fire a millisecond or two late, which would count against the Worker four times on /auth), then
 * a spin until the clock says so (locally it moves during computation, in 1 ms ticks).
 */
async function waitUntilMs(start: number, ms: number): Promise<void> {
  if (ms > 2) await sleep(ms - 2);
  for (let spins = 0; spins < 50_000_000 && performance.now() - start < ms; spins += 1);
}

/** Runs a stand-in's answer (at once, or a real call) and answers no sooner than its delay (when the delays are on), and records the call. */
async function delayed<T>(call: string, ms: number, answer: () => T | Promise<T>): Promise<T> {
  if (!delaysOn) return answer();
  const start = performance.now();
  const [value] = await Promise.all([answer(), waitUntilMs(start, ms)]);
  spans.push({ call, start: start - requestStart, end: performance.now() - requestStart });
  return value;
}

/** "request-token:" of "request-token:abc": what kind of entry, never its id. */
const kind = (key: string) => (key.includes(":") ? `${key.slice(0, key.indexOf(":") + 1)}` : key);

class DelayedKv extends MemoryKv {
  get(key: string, options?: unknown): Promise<unknown> {
    return delayed(`KV get ${kind(key)}`, DELAYS.kvGet, () => this.read(key, options));
  }
  getWithMetadata(key: string, options?: unknown): Promise<{ value: unknown; metadata: unknown }> {
    return delayed(`KV get ${kind(key)}`, DELAYS.kvGet, () => this.readWithMetadata(key, options));
  }
  put(key: string, value: string, options?: { metadata?: unknown }): Promise<void> {
    return delayed(`KV put ${kind(key)}`, DELAYS.kvPut, () => this.write(key, value, options));
  }
  delete(key: string): Promise<void> {
    return delayed(`KV delete ${kind(key)}`, DELAYS.kvDelete, () => this.remove(key));
  }
  list(options?: { prefix?: string; limit?: number; cursor?: string }): Promise<ReturnType<MemoryKv["listed"]>> {
    return delayed(`KV list ${options?.prefix ?? ""}`, DELAYS.kvList, () => this.listed(options));
  }
}

const kv = new DelayedKv();

/** The AuthStore namespace with every call to an object held to DELAYS.durableObject (the round trip to where it lives). */
function delayedNamespace(namespace: DurableObjectNamespace<AuthStore>): DurableObjectNamespace<AuthStore> {
  return new Proxy(namespace, {
    get(target, name) {
      if (name !== "get") return (Reflect.get(target, name) as (...args: unknown[]) => unknown).bind(target);
      return (id: DurableObjectId) => {
        const stub = target.get(id);
        return new Proxy(stub, {
          get: (object, method) => (...args: unknown[]) => delayed(`Durable Object ${String(method)}`, DELAYS.durableObject, () => (object as unknown as Record<string, (...a: unknown[]) => unknown>)[method as string]!(...args)),
        });
      };
    },
  });
}
const rateLimiter = { limit: async (_options: { key: string }) => ({ success: true }) };

// Log lines: dropped (writing them would measure Miniflare's log plumbing).
for (const level of ["log", "info", "warn", "error", "debug"] as const) console[level] = () => undefined;

let sequence = 0;
let provider: BenchEnv | undefined;

/** X, answering after DELAYS.x (and the protected site after DELAYS.origin). Every token and secret is fresh, as X's are. */
function stubFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
  const method = (init?.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase();
  if (url.startsWith(PROTECTED)) {
    return delayed(`origin ${method} ${new URL(url).pathname}`, DELAYS.origin, () => new Response("<!doctype html><title>page</title>", { status: 200, headers: { "Content-Type": "text/html" } }));
  }
  const { origin, pathname: path } = new URL(url);
  return delayed(`X ${method} ${path}`, DELAYS.x, () => {
    const p = provider!;
    sequence += 1;
    const n = sequence.toString(36).padStart(8, "0");
    const form = (text: string) => new Response(text, { status: 200, headers: { "Content-Type": "text/html; charset=utf-8" } });
    if (path === "/oauth/request_token") return form(`oauth_token=rt${n}aaaaaaaaaaaaaaaaaaaaaa&oauth_token_secret=rs${n}bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb&oauth_callback_confirmed=true`);
    if (path === "/oauth/access_token") {
      return form(`oauth_token=${p.USER_ID}-at${n}cccccccccccccccccccccc&oauth_token_secret=as${n}dddddddddddddddddddddddddddddd&user_id=${p.USER_ID}&screen_name=${p.SCREEN_NAME}`);
    }
    if (path === "/1.1/oauth/invalidate_token") return new Response(`{"access_token":"${p.USER_ID}-revoked"}`, { status: 200, headers: { "Content-Type": "application/json; charset=utf-8" } });
    const json = (text: string, status = 200) => new Response(text, { status, headers: { "Content-Type": "application/json;charset=utf-8" } });
    if (path === "/1.1/account/verify_credentials.json") return origin === FREE_X ? json('{"errors":[{"message":"You currently have access to a subset of X API V2 endpoints and limited v1.1 endpoints (e.g. media post, oauth) only.","code":453}]}', 403) : json(p.VERIFY_CREDENTIALS_BODY);
    if (path === "/2/users/me") return json(p.USERS_ME_BODY);
    if (path === "/2/oauth2/token") return json(`{"token_type":"bearer","expires_in":7200,"access_token":"oa${n}ffffffffffffffffffffff","refresh_token":"or${n}gggggggggggggggggggggg","scope":"users.read tweet.read offline.access"}`);
    if (path === "/2/oauth2/revoke") return json('{"revoked":true}');
    return new Response('{"errors":[{"code":34,"message":"Sorry, that page does not exist."}]}', { status: 404, headers: { "Content-Type": "application/json" } });
  });
}

// ---------------------------------------------------------------- the contenders

type Handler = { fetch(request: Request, env: Env, ctx: ExecutionContext): Response | Promise<Response> };

/** /auth in its order before issue 12, with the middleware twitterAuth() puts on it; only /auth is measured on it. */
function orderBeforeIssue12(): Handler {
  const settingsOf = settingsReader();
  const app = new Hono<TwitterAuthEnv>();
  app.use(secureHeaders({ strictTransportSecurity: true }));
  app.use("/auth", secureHeaders(), requestLimits());
  app.get("/auth", (c) => logged("auth", () => authInOrderBeforeIssue12(c, settingsOf(c.env))));
  app.onError((error, c) => handleError(error, c));
  return app;
}

const HANDLERS: Record<Contender, Handler> = { worker: real, "durable-object": real, before: orderBeforeIssue12() };

const waiting: Promise<unknown>[] = [];
const executionContext = {
  waitUntil(promise: Promise<unknown>) {
    waiting.push(promise);
  },
  passThroughOnException() {},
  props: {},
} as unknown as ExecutionContext;

let isolateEnvs: Record<"kv" | "object", Env> | undefined;

/** The Worker's env with KV, and with the Durable Object store (AUTH_KV unbound there: it must not be used). */
function environments(p: BenchEnv): Record<"kv" | "object", Env> {
  const bindings = { TWITTER_CLIENT_ID: p.CONSUMER_KEY, TWITTER_CLIENT_SECRET: p.CONSUMER_SECRET, SESSION_SECRET: p.SESSION_SECRET, LOGIN_RATE_LIMITER: rateLimiter };
  return { kv: { ...bindings, AUTH_KV: kv } as unknown as Env, object: { ...bindings, AUTH_STORE: delayedNamespace(p.AUTH_STORE) } as unknown as Env };
}

// ---------------------------------------------------------------- scenarios: each route's request, prepared with the delays off

interface Prepared {
  request: Request;
  status: number;
  /** Another env than the Worker's usual one (gateway mode). */
  env?: Env;
  /** After the measured request (and its waitUntil work, the delays off): a problem, if any. */
  check?: () => Promise<string | undefined>;
}

const cookiesOf = (response: Response) =>
  response.headers
    .getSetCookie()
    .map((c) => c.slice(0, c.indexOf(";") === -1 ? undefined : c.indexOf(";")))
    .filter((c) => !c.endsWith("="));

function get(path: string, index: number, cookie?: string): Request {
  const headers: Record<string, string> = { Accept: "application/json", "CF-Connecting-IP": `198.18.${(index >> 8) & 255}.${index & 255}` };
  if (cookie) headers.Cookie = cookie;
  return new Request(`${ORIGIN}${path}`, { headers });
}

/** GET /login: the request-token cookie and X's callback for it. */
async function startLogin(env: Env, index: number): Promise<{ cookie: string; callback: string }> {
  const response = await real.fetch(get("/login", index), env, executionContext);
  await response.arrayBuffer();
  const token = new URL(response.headers.get("Location") ?? `${X}/`).searchParams.get("oauth_token");
  if (response.status !== 302 || !token) throw new Error(`setting up: /login answered ${response.status}`);
  return { cookie: cookiesOf(response).join("; "), callback: `/auth?oauth_token=${encodeURIComponent(token)}&oauth_verifier=v${index.toString(36)}eeeeeeeeeeeeeeeeeeeeeeeeee` };
}

/** A whole sign-in: the session cookie. */
async function signIn(env: Env, index: number): Promise<{ cookie: string }> {
  const start = await startLogin(env, index);
  const response = await real.fetch(get(start.callback, index, start.cookie), env, executionContext);
  await response.arrayBuffer();
  const cookie = cookiesOf(response).find((c) => c.split("=")[0]!.endsWith("twitter_session"));
  if (response.status !== 200 || !cookie) throw new Error(`setting up: /auth answered ${response.status}`);
  return { cookie };
}

/** Whether the session a cookie names still opens (GET /me), with either store. */
async function opens(env: Env, cookie: string): Promise<boolean> {
  const response = await real.fetch(get("/me", 0, cookie), env, executionContext);
  await response.arrayBuffer();
  return response.status === 200;
}

/** A problem when any of `ended` still opens, or any of `kept` does not. */
async function sessionsAfter(env: Env, ended: string[], kept: string[] = []): Promise<string | undefined> {
  for (const cookie of ended) if (await opens(env, cookie)) return "an ended session still opens";
  for (const cookie of kept) if (!(await opens(env, cookie))) return "a session that should be kept no longer opens";
  return undefined;
}

/** The Worker's env switched to OAuth 2.0 (X's default endpoints, answered by stubFetch); one object per env. */
const oauth2Envs = new WeakMap<Env, Env>();
function oauth2Env(env: Env): Env {
  let oauth2 = oauth2Envs.get(env);
  if (!oauth2) oauth2Envs.set(env, (oauth2 = { ...env, TWITTER_OAUTH_VERSION: "2.0", TWITTER_OAUTH2_CLIENT_ID: "bench-oauth2-client", TWITTER_OAUTH2_CLIENT_SECRET: "bench-oauth2-secret" } as Env));
  return oauth2;
}

/** GET /login under 2.0: the cookie and X's redirect back, with the state /login stored and a code. */
async function startOAuth2Login(env: Env, index: number): Promise<{ cookie: string; callback: string }> {
  const response = await real.fetch(get("/login", index), env, executionContext);
  await response.arrayBuffer();
  const state = new URL(response.headers.get("Location") ?? `${X}/`).searchParams.get("state");
  if (response.status !== 302 || !state) throw new Error(`setting up: /login (2.0) answered ${response.status}`);
  return { cookie: cookiesOf(response).join("; "), callback: `/auth?state=${state}&code=c${index.toString(36)}hhhhhhhhhhhhhhhhhhhhhh` };
}

const SCENARIOS: Record<RouteId, (env: Env, index: number) => Promise<Prepared>> = {
  "login-oauth2": async (env, index) => ({ request: get("/login", index), status: 302, env: oauth2Env(env) }),
  "auth-oauth2": async (env, index) => {
    const start = await startOAuth2Login(oauth2Env(env), index);
    return { request: get(start.callback, index, start.cookie), status: 200, env: oauth2Env(env) };
  },
  "logout-oauth2": async (env, index) => {
    const start = await startOAuth2Login(oauth2Env(env), index);
    const signedIn = await real.fetch(get(start.callback, index, start.cookie), oauth2Env(env), executionContext);
    await signedIn.arrayBuffer();
    const cookie = cookiesOf(signedIn).find((c) => c.split("=")[0]!.endsWith("twitter_session"));
    if (signedIn.status !== 200 || !cookie) throw new Error(`setting up: /auth (2.0) answered ${signedIn.status}`);
    return { request: logout(cookie), status: 303, env: oauth2Env(env), check: () => sessionsAfter(oauth2Env(env), [cookie]) };
  },
  login: async (_env, index) => ({ request: get("/login", index), status: 302 }),
  auth: async (env, index) => {
    const start = await startLogin(env, index);
    return { request: get(start.callback, index, start.cookie), status: 200 };
  },
  "auth-free": async (env, index) => {
    const free = freeEnv(env);
    await signIn(free, index); // the isolate's first one meets the 453 and remembers it; the rest go straight to v2
    const start = await startLogin(free, index);
    return { request: get(start.callback, index, start.cookie), status: 200, env: free, check: async () => (spans.some((s) => s.call.includes("verify_credentials")) ? "verify_credentials was called" : undefined) };
  },
  "auth-again": async (env, index) => {
    const previous = await signIn(env, index);
    const start = await startLogin(env, index);
    return { request: get(start.callback, index, `${start.cookie}; ${previous.cookie}`), status: 200, check: () => sessionsAfter(env, [previous.cookie]) };
  },
  me: async (env, index) => ({ request: get("/me", index, (await signIn(env, index)).cookie), status: 200 }),
  logout: async (env, index) => {
    const other = await signIn(env, index + 10_000); // the user's other session
    const session = await signIn(env, index);
    return { request: logout(session.cookie), status: 303, check: () => sessionsAfter(env, [session.cookie], [other.cookie]) };
  },
  "logout-last": async (env, index) => {
    const session = await signIn(env, index);
    return { request: logout(session.cookie), status: 303, check: () => sessionsAfter(env, [session.cookie]) };
  },
  "logout-everywhere": async (env, index) => {
    const other = await signIn(env, index + 10_000);
    const session = await signIn(env, index);
    return { request: logout(session.cookie, "?everywhere=true"), status: 303, check: () => sessionsAfter(env, [session.cookie, other.cookie]) };
  },
  landing: async (env, index) => ({ request: get("/", index, (await signIn(env, index)).cookie), status: 200 }),
  gateway: async (env, index) => ({ request: get("/page", index, (await signIn(env, index)).cookie), status: 200, env: gatewayEnv(env) }),
  "gateway-public": async (env) => ({ request: get("/assets/app.css", 0), status: 200, env: gatewayEnv(env) }),
};

function logout(cookie: string, query = ""): Request {
  return new Request(`${ORIGIN}/logout${query}`, { method: "POST", headers: { Cookie: cookie, Origin: ORIGIN, "Sec-Fetch-Site": "same-origin" } });
}

/** The Worker's env with every X endpoint on FREE_X; one object per env, as for gateway mode below. */
const freeEnvs = new WeakMap<Env, Env>();
function freeEnv(env: Env): Env {
  let free = freeEnvs.get(env);
  if (!free) {
    const endpoints = { TWITTER_REQUEST_TOKEN_URL: `${FREE_X}/oauth/request_token`, TWITTER_AUTHORIZE_URL: `${FREE_X}/oauth/authenticate`, TWITTER_ACCESS_TOKEN_URL: `${FREE_X}/oauth/access_token`, TWITTER_API_BASE_URL: `${FREE_X}/1.1/` };
    freeEnvs.set(env, (free = { ...env, ...endpoints } as Env));
  }
  return free;
}

/**
 * The Worker's env in gateway mode, in front of PROTECTED; /assets/ public. One object per env, as
 * a deployed isolate has: the Worker builds its gateway app once per env object, not per request.
 */
const gatewayEnvs = new WeakMap<Env, Env>();
function gatewayEnv(env: Env): Env {
  let gateway = gatewayEnvs.get(env);
  if (!gateway) gatewayEnvs.set(env, (gateway = { ...env, PROTECT_ORIGIN: PROTECTED, PUBLIC_PATHS: "/assets/" } as Env));
  return gateway;
}

/** Prepares the route's request from an empty store, then runs it with the delays on and measures it. */
async function measure(route: RouteId, contender: Contender, envs: Record<"kv" | "object", Env>, index: number): Promise<Measurement> {
  const env = contender === "durable-object" ? envs.object : envs.kv;
  kv.clear();
  // The bench user's object, emptied: every scenario starts with no session of theirs.
  const store = storeFor(envs.object);
  await store.endUserSessions(provider!.USER_ID, await userShard(provider!.USER_ID), "", inPlace);
  const prepared = await SCENARIOS[route](env, index);
  await Promise.all(waiting.splice(0));
  spans = [];
  delaysOn = true;
  try {
    requestStart = performance.now();
    const response = await HANDLERS[contender].fetch(prepared.request, prepared.env ?? env, executionContext);
    const body = await response.text();
    const ms = performance.now() - requestStart;
    await Promise.all(waiting.splice(0));
    delaysOn = false;
    if (response.status !== prepared.status) throw new Error(`${route} (${contender}) answered ${response.status}, not ${prepared.status}: ${body.slice(0, 200)}`);
    const problem = await prepared.check?.();
    if (problem) throw new Error(`${route} (${contender}): ${problem}`);
    return { route, contender, ms, spans: spans.sort((a, b) => a.start - b.start) };
  } finally {
    delaysOn = false;
  }
}

// ---------------------------------------------------------------- endpoints

export default {
  async fetch(request: Request, env: BenchEnv): Promise<Response> {
    provider = env;
    globalThis.fetch = stubFetch as typeof fetch;
    const url = new URL(request.url);
    // One env object per store for the isolate's life, as a deployed Worker has (what it caches per env stays cached).
    const workerEnvs = (isolateEnvs ??= environments(env));

    if (url.pathname === "/info") {
      // Does the clock count a timer's wait, as it counts I/O? How long do the stand-ins' delays take? Does every pair run?
      const before = performance.now();
      await sleep(50);
      const timerMs = performance.now() - before;
      const delayMs: Record<string, number> = {};
      delaysOn = true;
      for (const ms of new Set(Object.values(DELAYS))) {
        const took: number[] = [];
        for (let probe = 0; probe < 5; probe += 1) {
          const start = performance.now();
          await delayed("probe", ms, () => undefined);
          took.push(performance.now() - start);
        }
        delayMs[ms] = took.sort((a, b) => a - b)[2]!;
      }
      delaysOn = false;
      const problems: string[] = [];
      for (const route of ROUTES) {
        for (const contender of route.contenders) {
          try {
            await measure(route.id, contender, workerEnvs, 0);
          } catch (error) {
            problems.push(error instanceof Error ? error.message : String(error));
          }
        }
      }
      return Response.json({ timerMs, delayMs, problems } satisfies Info);
    }

    if (url.pathname === "/round" && request.method === "POST") {
      const { order, index } = (await request.json()) as { order: [RouteId, Contender][]; index: number };
      const result: RoundResult = { measurements: [] };
      for (const [route, contender] of order) result.measurements.push(await measure(route, contender, workerEnvs, index));
      return Response.json(result);
    }

    return new Response("latency bench: /info, POST /round\n", { status: 404 });
  },
};
