// The two stores side by side: an env per store, a sign-in through the Worker with either, and sessions made in bulk through the session code.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { Hono } from "hono";
import { expect } from "vitest";
import { createApp } from "../../../src/app";
import type { TwitterAuthEnv } from "../../../src/env";
import { type Session, createSession, readSession } from "../../../src/session/session-store";
import { USER_SESSION_KEY_PREFIX, kvStore } from "../../../src/session/kv-store";
import { type SessionRef, inPlace, storeFor } from "../../../src/session/store";
import { type Credentials, OAuth1Client } from "../../../src/oauth1/index";
import { decide, nextClientIp, standInOrigin } from "./browser";
import { TEST_SESSION_SECRET } from "./settings";

export const ORIGIN = "http://localhost:8787";

export type StoreName = "KV" | "Durable Object";

/** The Worker's env with the KV store (the default: the tests' own env) or with AuthStore bound as AUTH_STORE. */
export const ENVS: Record<StoreName, Cloudflare.Env> = {
  KV: env,
  // AUTH_KV stays bound: a Worker moving to the Durable Object store may keep it, and the store must not use it.
  "Durable Object": { ...env, AUTH_STORE: env.TEST_AUTH_STORE },
};

export const STORES: StoreName[] = ["KV", "Durable Object"];

/** The Worker (no ExecutionContext: what runs after the answer is awaited before it). */
export const app: Hono<TwitterAuthEnv> = createApp();

/** A request to the app with these bindings, from a fresh client address. */
export function send(environment: Cloudflare.Env, path: string, init: RequestInit = {}, on: Hono<TwitterAuthEnv> = app): Promise<Response> {
  const headers = new Headers(init.headers);
  if (!headers.has("CF-Connecting-IP")) headers.set("CF-Connecting-IP", nextClientIp());
  return Promise.resolve(on.request(`${ORIGIN}${path}`, { redirect: "manual", ...init, headers }, environment));
}

/** GET with a cookie. */
export function get(environment: Cloudflare.Env, path: string, cookie?: string, headers: Record<string, string> = {}): Promise<Response> {
  return send(environment, path, { headers: { ...headers, ...(cookie ? { Cookie: cookie } : {}) } });
}

/** POST /logout<query> as the site's own page would. */
export function logout(environment: Cloudflare.Env, cookie: string, query = ""): Promise<Response> {
  return send(environment, `/logout${query}`, { method: "POST", headers: { Cookie: cookie, Origin: ORIGIN } });
}

/** A signed-in browser: its session cookie (`name=value`) and what the cookie names. */
export interface Device {
  cookie: string;
  id: string;
  shard: string | undefined;
}

/** The session cookie a response set. */
export function sessionCookieOf(response: Response): Device {
  const header = response.headers.getSetCookie().find((value) => /^twitter_session=[^;]/.test(value));
  if (!header) throw new Error(`no session cookie in ${response.headers.getSetCookie().join(" | ")}`);
  const cookie = header.split(";")[0]!;
  // `<id>.<issued at>.<signature>`, or `<id>.<issued at>.<shard>.<signature>`.
  const parts = decodeURIComponent(cookie.slice(cookie.indexOf("=") + 1)).split(".");
  return { cookie, id: parts[0]!, shard: parts.length === 4 ? parts[2] : undefined };
}

/** A whole sign-in through the Worker (`on`, its routes under `prefix`) with these bindings, as `screenName`, from a browser sending `headers`. */
export async function signInWith(
  environment: Cloudflare.Env,
  screenName: string,
  headers: Record<string, string> = {},
  init: RequestInit = {},
  on: Hono<TwitterAuthEnv> = app,
  prefix = "",
): Promise<Device> {
  const login = await send(environment, `${prefix}/login`, { headers }, on);
  expect(login.status).toBe(302);
  const back = await decide(new URL(login.headers.get("Location")!).searchParams.get("oauth_token")!, screenName);
  const auth = await send(environment, back.pathname + back.search, { ...init, headers: { ...headers, Cookie: login.headers.get("Set-Cookie")!.split(";")[0]! } }, on);
  expect(auth.status).toBe(200);
  return sessionCookieOf(auth);
}

/** The session a device's cookie names, read through the store as the Worker reads it. */
export function sessionOf(environment: Cloudflare.Env, device: SessionRef): Promise<Session | undefined> {
  return readSession(storeFor(environment), [TEST_SESSION_SECRET], device, 604_800);
}

/** hono/cookie's signed value, computed here from its documented shape: `<value>.<base64 HMAC-SHA256(secret, value)>`. */
export async function signedSessionCookie(id: string, shard: string | undefined, issuedAt = Math.floor(Date.now() / 1000), secret = TEST_SESSION_SECRET): Promise<string> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const value = `${id}.${issuedAt}${shard === undefined ? "" : `.${shard}`}`;
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(value)));
  return `twitter_session=${encodeURIComponent(`${value}.${btoa(String.fromCharCode(...mac))}`)}`;
}

/**
 * `count` more sessions of the user `from` belongs to, made through the session code (as /auth
 * makes them, without a round trip to X each), with their cookies. No cap: `limit` is high.
 */
export async function moreSessions(environment: Cloudflare.Env, from: Session, count: number): Promise<Device[]> {
  // With KV, each new session lists the user's index for the cap, after the answer: hundreds of
  // sessions made so cost hundreds of ever longer lists (most of the 406-session test's time). At
  // `limit: 1000` that cap ends nothing, so here its list is answered empty; the session's own
  // writes (record and index key) are the store's, unchanged.
  const store = environment.AUTH_STORE ? storeFor(environment) : kvStore(withoutIndexListing(environment.AUTH_KV!));
  return inBatches(Array.from({ length: count }, (_, index) => index), async (index) => {
    const ref = (await createSession(store, TEST_SESSION_SECRET, from.profile, from.credentials, { ttlSeconds: 604_800, limit: 1000, device: { userAgent: `bulk ${index}` }, defer: inPlace }))!;
    return { cookie: await signedSessionCookie(ref.id, ref.shard), id: ref.id, shard: ref.shard };
  });
}

/** `kv`, but listing nothing under the index's prefix (what the cap of a user far below it would find to end). */
function withoutIndexListing(kv: KVNamespace): KVNamespace {
  return new Proxy(kv, {
    get(target, property) {
      if (property === "list") {
        return async (options?: KVNamespaceListOptions) => {
          if (options?.prefix?.startsWith(USER_SESSION_KEY_PREFIX)) return { keys: [], list_complete: true, cacheStatus: null };
          return target.list(options);
        };
      }
      const value: unknown = Reflect.get(target, property);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/**
 * `task` for each item, at most `concurrency` at a time, the results in the items' order. For
 * hundreds of store operations: one after the other, each waits for its round trip to the local
 * KV or Durable Object in turn (over 20 s for the 406 sessions of stores.test.ts on a loaded
 * 2-core machine); a few at once share those waits, and no more than a few keep the load bounded.
 */
export async function inBatches<T, R>(items: readonly T[], task: (item: T) => Promise<R>, concurrency = 16): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, lane));
  return results;
}

/** The JSON error a response carries, with its status. */
export async function expectError(response: Response, status: number, error: string, description?: string | RegExp): Promise<void> {
  expect(response.status).toBe(status);
  const body = (await response.json()) as { error: string; error_description: string };
  expect(body.error).toBe(error);
  if (typeof description === "string") expect(body.error_description).toBe(description);
  else if (description) expect(body.error_description).toMatch(description);
  else expect(body.error_description).toEqual(expect.any(String));
}

export const SIGNED_OUT = { error: "not_signed_in", error_description: "Nobody is signed in. Sign in at /login." };

/** The sessions rows of the user object `shard` names in the Durable Object store (none once it deleted its storage). */
export function objectRows(shard: string): Promise<Record<string, unknown>[]> {
  return inObject(`user:${shard}`, (state) =>
    state.storage.sql.exec("SELECT name FROM sqlite_master WHERE name = 'sessions'").toArray().length > 0 ? state.storage.sql.exec("SELECT * FROM sessions").toArray() : [],
  );
}

/** Runs `callback` inside the Durable Object store's object of that name. */
export function inObject<R>(name: string, callback: (state: DurableObjectState) => R): Promise<R> {
  const namespace = env.TEST_AUTH_STORE;
  return runInDurableObject(namespace.get(namespace.idFromName(name)), (_instance, state) => callback(state));
}

/** What X says of these access credentials now (the stand-in checks every signature with oauth-sign). */
export async function xSays(credentials: Credentials): Promise<number> {
  const client = new OAuth1Client({ consumerKey: env.TWITTER_CLIENT_ID!, consumerSecret: env.TWITTER_CLIENT_SECRET!, apiBaseUrl: `${standInOrigin()}/1.1/` });
  const response = await client.request("GET", "account/verify_credentials.json", { token: credentials });
  await response.body?.cancel();
  return response.status;
}
