// What runs beside what in /auth (issue 12): the request token's delete beside the token exchange,
// the previous session's delete after the answer; one-time use and the error answers unchanged.
import { env } from "cloudflare:workers";
import { Hono } from "hono";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createApp } from "../../src/app";
import type { TwitterAuthEnv } from "../../src/twitter-auth";
import { decide, kvKeys, nextClientIp } from "./support/browser";
import { approve, clearFaults, faultyEnv, setFault } from "./support/faulty";

const REQUEST_TOKENS = "request-token:";
const SESSIONS = "session:";
const UNAVAILABLE = { error: "storage_unavailable", error_description: "The sign-in store is unavailable for a moment. Try again shortly." };

afterEach(async () => {
  vi.restoreAllMocks();
  await clearFaults();
});

function send(app: Hono<TwitterAuthEnv>, url: string, init: RequestInit, bindings: Cloudflare.Env, executionCtx?: ExecutionContext): Promise<Response> {
  const headers = new Headers(init.headers);
  if (!headers.has("CF-Connecting-IP")) headers.set("CF-Connecting-IP", nextClientIp());
  return Promise.resolve(app.request(url, { redirect: "manual", ...init, headers }, bindings, executionCtx));
}

/** AUTH_KV with its delete replaced for request-token entries. */
function withRequestTokenDelete(base: Cloudflare.Env, remove: (name: string, kv: KVNamespace) => Promise<void>): Cloudflare.Env {
  const kv = new Proxy(base.AUTH_KV, {
    get: (target, key) =>
      key === "delete" ? (name: string) => (name.startsWith(REQUEST_TOKENS) ? remove(name, target) : target.delete(name)) : Reflect.get(target, key).bind(target),
  });
  return { ...base, AUTH_KV: kv };
}

/** GET /login with these bindings: the request-token cookie as `name=value`, its id, and X's token. */
async function login(app: Hono<TwitterAuthEnv>, bindings: Cloudflare.Env): Promise<{ cookie: string; id: string; oauthToken: string }> {
  const response = await send(app, "http://localhost:8787/login", {}, bindings);
  expect(response.status).toBe(302);
  const cookie = response.headers.getSetCookie()[0]!.split(";")[0]!;
  const oauthToken = new URL(response.headers.get("Location")!).searchParams.get("oauth_token")!;
  return { cookie, id: decodeURIComponent(cookie.split("=")[1]!).split(".")[0]!, oauthToken };
}

/** The calls to X a fetch spy saw, by path ending. */
function callsTo(spy: { mock: { calls: unknown[][] } }, path: string): number {
  return spy.mock.calls.filter(([input]) => String(input instanceof Request ? input.url : input).split("?")[0]!.endsWith(path)).length;
}

describe("the request token's delete, beside the token exchange", () => {
  it("refuses a replayed callback while the first one's delete is still in flight, as any replay, with one exchange at X", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let deleting!: () => void;
    const deleteStarted = new Promise<void>((resolve) => (deleting = resolve));
    // Only the first delete is held: were the replay let through (no guard), its own delete would
    // go on, and the test would fail on its answer rather than hang.
    let deletes = 0;
    const slow = withRequestTokenDelete(env, async (name, kv) => {
      if (++deletes === 1) {
        deleting();
        await gate;
      }
      await kv.delete(name);
    });
    const app = createApp();
    const start = await login(app, slow);
    const back = await decide(start.oauthToken, "in_flight");
    const fetches = vi.spyOn(globalThis, "fetch");

    const first = send(app, back.href, { headers: { Cookie: start.cookie } }, slow);
    await deleteStarted;
    // Let the first callback's exchange with X finish too: only its delete is pending now.
    await vi.waitFor(() => expect(callsTo(fetches, "/oauth/access_token")).toBe(1));
    await fetches.mock.results[fetches.mock.calls.findIndex(([input]) => String(input instanceof Request ? input.url : input).includes("/oauth/access_token"))]!.value;

    const replay = await send(app, back.href, { headers: { Cookie: start.cookie } }, slow);
    expect(replay.status).toBe(400);
    expect(await replay.json()).toEqual({ error: "expired_sign_in", error_description: expect.stringContaining("already used") });
    expect(await env.AUTH_KV.get(REQUEST_TOKENS + start.id)).not.toBeNull(); // the delete really was still pending

    release();
    const answer = await first;
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as { screen_name: string }).screen_name).toBe("in_flight");
    expect(callsTo(fetches, "/oauth/access_token")).toBe(1);
    expect(await env.AUTH_KV.get(REQUEST_TOKENS + start.id)).toBeNull();

    // Once it is done, a replay is refused as before.
    const late = await send(app, back.href, { headers: { Cookie: start.cookie } }, env);
    expect(late.status).toBe(400);
    expect(((await late.json()) as { error: string }).error).toBe("expired_sign_in");
    expect(callsTo(fetches, "/oauth/access_token")).toBe(1);
  });

  it("answers 503 storage_unavailable and starts no session when the delete fails, keeping the cookie, with nothing of the exception", async () => {
    const failing = withRequestTokenDelete(env, async () => Promise.reject(new Error("KV delete failed: internal detail 10.0.0.1")));
    const app = createApp();
    const start = await login(app, failing);
    const back = await decide(start.oauthToken, "delete_fails");
    const sessionsBefore = await kvKeys(env.AUTH_KV, SESSIONS);
    const fetches = vi.spyOn(globalThis, "fetch");

    const response = await send(app, back.href, { headers: { Cookie: start.cookie } }, failing);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual(UNAVAILABLE);
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(await kvKeys(env.AUTH_KV, SESSIONS)).toEqual(sessionsBefore);
    // X saw the exchange (verify_credentials too: both run beside the delete), once; no session started.
    expect(callsTo(fetches, "/oauth/access_token")).toBe(1);
    expect(callsTo(fetches, "/account/verify_credentials.json")).toBeLessThanOrEqual(1);
  });

  it("tries a failed delete once more before answering 503, so a passing KV fault does not cost the sign-in", async () => {
    let attempts = 0;
    const flaky = withRequestTokenDelete(env, async (name, kv) => {
      if (++attempts === 1) throw new Error("KV delete failed once");
      await kv.delete(name);
    });
    const app = createApp();
    const start = await login(app, flaky);
    const back = await decide(start.oauthToken, "delete_flaky");
    const response = await send(app, back.href, { headers: { Cookie: start.cookie } }, flaky);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { screen_name: string }).screen_name).toBe("delete_flaky");
    expect(attempts).toBe(2);
    expect(await env.AUTH_KV.get(REQUEST_TOKENS + start.id)).toBeNull();
  });

  it("answers 503 when the delete fails even if X failed the exchange too", async () => {
    const failing = withRequestTokenDelete(faultyEnv(), async () => Promise.reject(new Error("KV delete failed")));
    const app = createApp();
    const start = await login(app, failing);
    const back = await approve(start.oauthToken, "both_fail");
    await setFault("access_token", { kind: "status", status: 503 });
    const response = await send(app, back.href, { headers: { Cookie: start.cookie } }, failing);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual(UNAVAILABLE);
    expect(response.headers.getSetCookie()).toEqual([]);
  });

  it("still deletes the entry before answering any callback that makes no exchange (denied, expired)", async () => {
    let deletes = 0;
    const counted = withRequestTokenDelete(env, async (name, kv) => {
      deletes += 1;
      await kv.delete(name);
    });
    const app = createApp();
    const start = await login(app, counted);
    const denied = await send(app, `http://localhost:8787/auth?denied=${encodeURIComponent(start.oauthToken)}`, { headers: { Cookie: start.cookie } }, counted);
    expect(denied.status).toBe(403);
    expect(deletes).toBe(1);
    expect(await env.AUTH_KV.get(REQUEST_TOKENS + start.id)).toBeNull();
  });
});

describe("the previous session's delete, after the answer", () => {
  it("hands the previous session's delete to waitUntil when there is an execution context, and it ends that session", async () => {
    const app = createApp();
    const signIn = async (screenName: string, extraCookie?: string, executionCtx?: ExecutionContext) => {
      const start = await login(app, env);
      const back = await decide(start.oauthToken, screenName);
      const cookie = [start.cookie, extraCookie].filter(Boolean).join("; ");
      const response = await send(app, back.href, { headers: { Cookie: cookie } }, env, executionCtx);
      expect(response.status).toBe(200);
      const session = response.headers.getSetCookie().find((c) => c.split("=")[0]!.endsWith("twitter_session"))!.split(";")[0]!;
      return { session, id: decodeURIComponent(session.split("=")[1]!).split(".")[0]! };
    };
    const first = await signIn("before_again");
    const waited: Promise<unknown>[] = [];
    const executionCtx = { waitUntil: (promise: Promise<unknown>) => void waited.push(promise), passThroughOnException() {}, props: {} } as unknown as ExecutionContext;
    await signIn("signs_in_again", first.session, executionCtx);
    expect(waited).toHaveLength(1);
    await Promise.all(waited);
    expect(await env.AUTH_KV.get(SESSIONS + first.id)).toBeNull();
  });
});
