// The gateway benchmark's Worker (bench only), bundled by ../run.ts and run in workerd through Miniflare.
//
// Drives signed-in requests (GET /page with a session cookie) through the real Worker
// (src/index.ts) in gateway mode, in this isolate, with X, KV and the protected origin replaced by
// stand-ins that answer at once, so a batch's time is the Worker's own CPU (Hono, the cookie's
// HMAC, the session's AES-GCM, the header rules, and with GATEWAY_JWT_KEYS the ES256 signature).
// Contenders:
//   gateway      PROTECT_ORIGIN only
//   gateway-jwt  the same with GATEWAY_JWT_KEYS: X-Twitter-Jwt-Assertion on every request
//   sign-only    signAssertion alone (the header's value), per call
//   harness      a handler that does no work: what driving a request costs by itself (subtracted)
// Timing as in test/bench/cost/worker.ts: the local clock moves during computation in 1 ms ticks;
// a batch starts on a tick edge, ../run.ts sizes batches to about 100 ticks.
import real from "../../../../src/index.ts";
// The Durable Object class startBenchWorker binds (unused here: the sessions are in KV).
export { AuthStore } from "../../../../src/index.ts";
import type { GatewayEnv } from "../../../../src/env.ts";
import { readAssertionSettings, signAssertion } from "../../../../src/gateway/assertion.ts";
import { MemoryKv } from "../../memory-kv.ts";
import { nextTick } from "../../clock.ts";
import type { Contender, Info, RoundResult } from "../contenders.ts";

interface HarnessEnv {
  CONSUMER_KEY: string;
  CONSUMER_SECRET: string;
  SESSION_SECRET: string;
  VERIFY_CREDENTIALS_BODY: string;
  USER_ID: string;
  SCREEN_NAME: string;
}

const SITE = "https://example.bench";
const ORIGIN = "https://origin.bench.example";
const X = "https://api.x.com";

class InstantKv extends MemoryKv {
  async get(key: string, options?: unknown): Promise<unknown> {
    return this.read(key, options);
  }
  async getWithMetadata(key: string, options?: unknown): Promise<{ value: unknown; metadata: unknown }> {
    return this.readWithMetadata(key, options);
  }
  async put(key: string, value: string, options?: { metadata?: unknown }): Promise<void> {
    this.write(key, value, options);
  }
  async delete(key: string): Promise<void> {
    this.remove(key);
  }
  async list(options?: { prefix?: string; limit?: number; cursor?: string }): Promise<ReturnType<MemoryKv["listed"]>> {
    return this.listed(options);
  }
}
const kv = new InstantKv();

for (const level of ["log", "info", "warn", "error", "debug"] as const) console[level] = () => undefined;

let provider: HarnessEnv | undefined;
/** What the origin last received as X-Twitter-Jwt-Assertion. */
let lastAssertion: string | null = null;

/** X and the protected origin, answering at once. */
async function stubFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
  const p = provider!;
  const form = (text: string) => new Response(text, { headers: { "Content-Type": "text/html; charset=utf-8" } });
  if (url.startsWith(ORIGIN)) {
    lastAssertion = new Headers(init?.headers).get("X-Twitter-Jwt-Assertion");
    return new Response("<!doctype html><title>page</title><p>the page", { headers: { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "max-age=60" } });
  }
  if (url.startsWith(`${X}/oauth/request_token`)) return form("oauth_token=rtaaaaaaaaaaaaaaaaaaaaaaaaaaaa&oauth_token_secret=rsbbbbbbbbbbbbbbbbbbbbbbbbbbbb&oauth_callback_confirmed=true");
  if (url.startsWith(`${X}/oauth/access_token`)) {
    return form(`oauth_token=${p.USER_ID}-atcccccccccccccccccccccc&oauth_token_secret=asdddddddddddddddddddddddddddd&user_id=${p.USER_ID}&screen_name=${p.SCREEN_NAME}`);
  }
  if (url.startsWith(`${X}/1.1/account/verify_credentials.json`)) return new Response(p.VERIFY_CREDENTIALS_BODY, { headers: { "Content-Type": "application/json;charset=utf-8" } });
  return new Response("not here", { status: 404 });
}

const pending: Promise<unknown>[] = [];
const executionContext = { waitUntil: (promise: Promise<unknown>) => void pending.push(promise), passThroughOnException() {}, props: {} };
const drain = async () => {
  if (pending.length > 0) await Promise.all(pending.splice(0));
};

type GatewayEnvs = Record<"gateway" | "gateway-jwt", GatewayEnv>;
let setUp: Promise<{ cookie: string; envs: GatewayEnvs; keys: string }> | undefined;

/** One sign-in at the root (the session is the site's), and the two gateway envs (one object each, as a deployed isolate has). */
async function prepare(p: HarnessEnv): Promise<{ cookie: string; envs: GatewayEnvs; keys: string }> {
  const base: GatewayEnv = { TWITTER_CLIENT_ID: p.CONSUMER_KEY, TWITTER_CLIENT_SECRET: p.CONSUMER_SECRET, SESSION_SECRET: p.SESSION_SECRET, AUTH_KV: kv as unknown as KVNamespace };
  const headers = { "CF-Connecting-IP": "198.18.0.1" };
  const login = await real.fetch(new Request(`${SITE}/login`, { headers }), base, executionContext);
  const token = new URL(login.headers.get("Location") ?? "").searchParams.get("oauth_token") ?? "";
  const loginCookie = login.headers.get("Set-Cookie")?.split(";")[0] ?? "";
  const auth = await real.fetch(new Request(`${SITE}/auth?oauth_token=${token}&oauth_verifier=veeeeeeeeeeeeeeeeeeeeeeeeeeeee`, { headers: { ...headers, Cookie: loginCookie } }), base, executionContext);
  await drain();
  const cookie = auth.headers.getSetCookie().find((c) => c.split("=")[0]!.endsWith("twitter_session"))?.split(";")[0];
  if (!cookie) throw new Error(`setting up: /auth answered ${auth.status}`);
  const { privateKey } = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const { kty, crv, x, y, d } = (await crypto.subtle.exportKey("jwk", privateKey)) as JsonWebKey;
  const keys = JSON.stringify({ kty, crv, x, y, d });
  const gateway = { ...base, PROTECT_ORIGIN: ORIGIN, PUBLIC_ORIGIN: SITE };
  return { cookie, keys, envs: { gateway, "gateway-jwt": { ...gateway, GATEWAY_JWT_KEYS: keys } } };
}

const user = { id: "1", screenName: "bench_user", name: "Bench User" };
let assertionSettings: ReturnType<typeof readAssertionSettings>;

/** One unit of a contender's work. */
async function once(contender: Contender, cookie: string, envs: GatewayEnvs, keys: string): Promise<number> {
  if (contender === "sign-only") return (await signAssertion((assertionSettings ??= readAssertionSettings({ GATEWAY_JWT_KEYS: keys })!), user as never, SITE, ORIGIN)).length;
  const request = new Request(`${SITE}/page?n=1`, { headers: { Cookie: cookie, Accept: "text/html", "CF-Connecting-IP": "198.18.0.2" } });
  if (contender === "harness") return (await new Response("<!doctype html>", { status: 200 }).arrayBuffer()).byteLength + request.url.length;
  const response = await real.fetch(request, envs[contender], executionContext);
  const body = await response.arrayBuffer();
  await drain();
  if (response.status !== 200) throw new Error(`${contender}: GET /page answered ${response.status}`);
  return body.byteLength;
}

export default {
  async fetch(request: Request, env: HarnessEnv): Promise<Response> {
    provider = env;
    globalThis.fetch = stubFetch as typeof fetch;
    const { cookie, envs, keys } = await (setUp ??= prepare(env));
    const url = new URL(request.url);
    if (url.pathname === "/info") {
      const first = performance.now();
      const edge = nextTick();
      const resolutionMs = nextTick() - edge;
      const problems: string[] = [];
      for (const contender of ["gateway", "gateway-jwt"] as const) {
        lastAssertion = null;
        try {
          await once(contender, cookie, envs, keys);
          if ((lastAssertion !== null) !== (contender === "gateway-jwt")) problems.push(`${contender}: the origin ${lastAssertion ? "received" : "did not receive"} an assertion`);
        } catch (error) {
          problems.push(error instanceof Error ? error.message : String(error));
        }
      }
      return Response.json({ clock: edge === first ? "frozen" : "live", resolutionMs, problems } satisfies Info);
    }
    if (url.pathname === "/round" && request.method === "POST") {
      const { order, batch } = (await request.json()) as { order: Contender[]; batch: Record<Contender, number> };
      const result: RoundResult = { results: {} };
      let sink = 0;
      for (const contender of order) {
        const started = nextTick();
        for (let index = 0; index < batch[contender]; index += 1) sink += await once(contender, cookie, envs, keys);
        result.results[contender] = { requests: batch[contender], ms: performance.now() - started };
      }
      return Response.json({ ...result, sink });
    }
    return new Response("gateway bench: /info, POST /round\n", { status: 404 });
  },
};
