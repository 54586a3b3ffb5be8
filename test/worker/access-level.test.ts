// X as it answers a new app today: v1.1 verify_credentials refused with 403 code 453, the profile from X API v2's /2/users/me.
// Against the third stand-in (test/node/global-setup.ts), which starts at the `free` level; this file alone switches it.
import { env } from "cloudflare:workers";
import { Hono } from "hono";
import { afterEach, beforeEach, describe, expect, inject, it, vi } from "vitest";
import type { GatewayEnv } from "../../src/env";
import app from "../../src/index";
import { type TwitterAuthEnv, twitterAuth } from "../../src/twitter-auth";
import { REMEMBER_REFUSAL_MS, refusals } from "../../src/twitter/profile";
import type { Echo } from "./support/echo";
import { kvKeys, nextClientIp } from "./support/browser";

const SITE = "http://localhost:8787";
const origin = () => inject("freeStandInOrigin");
type ErrorBody = { error: string; error_description: string };
type EndpointCounts = { requests: number; accepted: number; rejected: Record<string, number>; faulted: number };
type Stats = { accessLevel: string; endpoints: Record<string, EndpointCounts> };

/** X's 453 body, as the stand-in (and X, in 2025) sends it. */
const REFUSED_453 =
  '{"errors":[{"message":"You currently have access to a subset of X API V2 endpoints and limited v1.1 endpoints (e.g. media post, oauth) only. If you need access to this endpoint, you may need a different access level. You can learn more here: https://developer.x.com/en/portal/product","code":453}]}';
/** X's v2 problem for an app its plan does not enrol for the endpoint (X's own example). */
const CLIENT_FORBIDDEN = JSON.stringify({
  client_id: "101010101",
  required_enrollment: "Standard Basic",
  registration_url: "https://developer.twitter.com/en/account",
  title: "Client Forbidden",
  detail: "This request must be made using an approved developer account that is enrolled in the requested endpoint. Learn more by visiting our documentation.",
  reason: "client-not-enrolled",
  type: "https://api.x.com/2/problems/client-forbidden",
});

/** The Worker's env with every endpoint on the free stand-in, plus any settings. */
function freeEnv(settings: Partial<GatewayEnv> = {}): Cloudflare.Env {
  return {
    ...env,
    TWITTER_REQUEST_TOKEN_URL: `${origin()}/oauth/request_token`,
    TWITTER_AUTHORIZE_URL: `${origin()}/oauth/authenticate`,
    TWITTER_ACCESS_TOKEN_URL: `${origin()}/oauth/access_token`,
    TWITTER_API_BASE_URL: `${origin()}/1.1/`,
    ...settings,
  } as Cloudflare.Env;
}

async function control(path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${origin()}/__stand-in/${path}`, body === undefined ? {} : { method: body === null ? "DELETE" : "POST", body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return response.json();
}
const setLevel = (level: "free" | "legacy") => control("access-level", { level });
const setFault = (endpoint: string, fault: Record<string, unknown>) => control("faults", { endpoint, fault });
const stats = async () => (await control("stats")) as Stats;

/** How many requests each endpoint got while `run` ran. */
async function callsDuring<T>(run: () => Promise<T>): Promise<{ result: T; calls: Record<string, number> }> {
  const before = await stats();
  const result = await run();
  const after = await stats();
  const calls = Object.fromEntries(Object.entries(after.endpoints).map(([name, counts]) => [name, counts.requests - before.endpoints[name]!.requests]));
  return { result, calls };
}

type Fetcher = { request: (url: string, init: RequestInit, env: Cloudflare.Env) => Response | Promise<Response> };

function send(bindings: Cloudflare.Env, path: string, init: RequestInit = {}, via: Fetcher = app): Promise<Response> {
  const headers = new Headers(init.headers);
  if (!headers.has("CF-Connecting-IP")) headers.set("CF-Connecting-IP", nextClientIp());
  return Promise.resolve(via.request(`${SITE}${path}`, { redirect: "manual", ...init, headers }, bindings));
}

/** A whole sign-in at the free stand-in: /login, the consent form, /auth. Resolves with /auth's answer. */
async function signIn(bindings: Cloudflare.Env, screenName: string, via: Fetcher = app, prefix = ""): Promise<Response> {
  const login = await send(bindings, `${prefix}/login`, {}, via);
  expect(login.status).toBe(302);
  const authorize = new URL(login.headers.get("Location")!);
  const consent = await fetch(`${authorize.origin}/oauth/authorize`, {
    method: "POST",
    body: new URLSearchParams({ oauth_token: authorize.searchParams.get("oauth_token")!, screen_name: screenName, action: "allow" }),
    redirect: "manual",
  });
  if (consent.status !== 302) throw new Error(`the consent form answered ${consent.status}: ${await consent.text()}`);
  const back = new URL(consent.headers.get("Location")!);
  return send(bindings, back.pathname + back.search, { headers: { Cookie: login.headers.get("Set-Cookie")!.split(";")[0]! } }, via);
}

function sessionCookie(auth: Response): string {
  return auth.headers.getSetCookie().find((cookie) => cookie.startsWith("twitter_session="))!.split(";")[0]!;
}

async function me(bindings: Cloudflare.Env, auth: Response): Promise<unknown> {
  const response = await send(bindings, "/me", { headers: { Cookie: sessionCookie(auth) } });
  expect(response.status).toBe(200);
  return response.json();
}

async function expectError(response: Response, status: number, body: ErrorBody): Promise<void> {
  expect(response.status).toBe(status);
  expect(response.headers.get("Cache-Control")).toBe("no-store");
  expect(await response.json()).toEqual(body);
}

let logged: Record<string, unknown>[] = [];
beforeEach(async () => {
  refusals.until.clear();
  await control("faults", null);
  await setLevel("free");
  logged = [];
  vi.spyOn(console, "log").mockImplementation((text: unknown) => void logged.push(JSON.parse(String(text)) as Record<string, unknown>));
});
afterEach(async () => {
  vi.restoreAllMocks();
  await control("faults", null);
});

const line = (event: string, step?: string) => logged.find((entry) => entry.event === event && (step === undefined || entry.step === step));

describe("at the free level (auto)", () => {
  it("signs in through /2/users/me: /auth answers X's v2 JSON byte for byte, says so in X-Twitter-Profile-Source, and logs the fallback with X's words", async () => {
    const { result: auth, calls } = await callsDuring(() => signIn(freeEnv(), "free_alice"));
    expect(auth.status).toBe(200);
    expect(auth.headers.get("X-Twitter-Profile-Source")).toBe("users_me");
    expect(auth.headers.get("Content-Type")).toBe("application/json; charset=utf-8");
    expect(auth.headers.get("Cache-Control")).toBe("no-store");
    const text = await auth.text();
    const id = /^\{"data":\{"id":"(\d{19})",/.exec(text)?.[1];
    expect(id, text).toBeDefined();
    // Byte for byte: the stand-in's compact JSON, the id a string (above 2^53, never a number).
    expect(text).toBe(`{"data":{"id":"${id}","name":"free_alice","username":"free_alice","profile_image_url":"${origin()}/profile_images/${id}/normal.svg"}}`);
    expect(calls).toMatchObject({ request_token: 1, access_token: 1, verify_credentials: 1, users_me: 1 });

    expect(line("twitter_profile_fallback")).toEqual({
      event: "twitter_profile_fallback",
      fallback: "users_me",
      providerStatus: 403,
      providerCode: 453,
      providerMessage: JSON.parse(REFUSED_453).errors[0].message.slice(0, 200),
    });
    expect(line("twitter_sign_in", "auth")).toMatchObject({ outcome: "ok", status: 200 });
    expect(await me(freeEnv(), auth)).toEqual({ id, screenName: "free_alice", name: "free_alice", profileImageUrl: `${origin()}/profile_images/${id}/normal.svg` });
  });

  it("remembers the refusal: the next sign-ins make no v1.1 call and log no fallback", async () => {
    await signIn(freeEnv(), "free_first");
    logged = [];
    const { result: auth, calls } = await callsDuring(() => signIn(freeEnv(), "free_second"));
    expect(auth.status).toBe(200);
    expect(auth.headers.get("X-Twitter-Profile-Source")).toBe("users_me");
    expect(calls).toMatchObject({ access_token: 1, verify_credentials: 0, users_me: 1 });
    expect(line("twitter_profile_fallback")).toBeUndefined();
  });

  it("asks v1.1 again after an hour: still refused, v2 again; once the app is upgraded, v1.1's JSON again", async () => {
    await signIn(freeEnv(), "hour_user");
    const later = Date.now() + REMEMBER_REFUSAL_MS + 1_000;
    vi.spyOn(refusals, "now").mockReturnValue(later - 2 * 1_000); // just under the hour
    expect((await callsDuring(() => signIn(freeEnv(), "hour_user"))).calls).toMatchObject({ verify_credentials: 0, users_me: 1 });

    vi.spyOn(refusals, "now").mockReturnValue(later);
    const retried = await callsDuring(() => signIn(freeEnv(), "hour_user"));
    expect(retried.result.headers.get("X-Twitter-Profile-Source")).toBe("users_me");
    expect(retried.calls).toMatchObject({ verify_credentials: 1, users_me: 1 });

    // The operator raised the app's access: within the (new) hour v2 still serves; after it, v1.1.
    await setLevel("legacy");
    expect((await signIn(freeEnv(), "hour_user")).headers.get("X-Twitter-Profile-Source")).toBe("users_me");
    vi.spyOn(refusals, "now").mockReturnValue(later + REMEMBER_REFUSAL_MS + 1_000);
    const upgraded = await callsDuring(() => signIn(freeEnv(), "hour_user"));
    expect(upgraded.result.headers.get("X-Twitter-Profile-Source")).toBe("verify_credentials");
    expect(JSON.parse(await upgraded.result.text()).screen_name).toBe("hour_user");
    expect(upgraded.calls).toMatchObject({ verify_credentials: 1, users_me: 0 });
  });

  it("keeps the refusal per app and API base: another base (the legacy stand-in's) still gets v1.1", async () => {
    await signIn(freeEnv(), "per_base");
    const legacy = await signIn(env, "per_base"); // the ordinary stand-in, legacy, same consumer key
    expect(legacy.status).toBe(200);
    expect(legacy.headers.get("X-Twitter-Profile-Source")).toBe("verify_credentials");
  });

  it("gives the same user, session, /me, landing page and gateway identity headers whichever endpoint served the profile", async () => {
    const withEmail = freeEnv({ TWITTER_INCLUDE_EMAIL: "true" });
    const gateway = freeEnv({ TWITTER_INCLUDE_EMAIL: "true", PROTECT_ORIGIN: inject("testOrigin"), ORIGIN_SHARED_SECRET: "an-origin-shared-secret-of-32-characters-or-more" });
    const seen: { source: string | null; me: unknown; landing: string; identity: Record<string, unknown> }[] = [];
    for (const level of ["legacy", "free"] as const) {
      await setLevel(level);
      refusals.until.clear();
      const auth = await signIn(withEmail, "Same_User");
      const cookie = sessionCookie(auth);
      const landing = await send(withEmail, "/", { headers: { Cookie: cookie, Accept: "text/html" } });
      const viaGateway = await signIn(gateway, "Same_User", app, "/_auth");
      expect(viaGateway.status).toBe(200);
      const page = await send(gateway, "/whoami", { headers: { Cookie: sessionCookie(viaGateway) } });
      const echoed = (await page.json()) as Echo;
      const identity = Object.fromEntries(Object.entries(echoed.headers).filter(([name]) => name.startsWith("x-twitter-") && name !== "x-twitter-signature"));
      expect(identity["x-twitter-screen-name"]).toBe("Same_User");
      expect(echoed.headers["x-twitter-signature"]).toBeTruthy();
      // The page's CSP nonce is new on every answer, and its devices list names each session (their
      // ids and times differ, and the second sign-in lists the first); the rest must be the same.
      const landingHtml = (await landing.text()).replace(/nonce="[^"]+"/g, 'nonce="…"').replace(/<ul class="devices"[\s\S]*?<\/ul>/, "<ul>(devices)</ul>");
      seen.push({ source: auth.headers.get("X-Twitter-Profile-Source"), me: await me(withEmail, auth), landing: landingHtml, identity });
    }
    const [legacy, free] = seen as [(typeof seen)[0], (typeof seen)[0]];
    expect([legacy.source, free.source]).toEqual(["verify_credentials", "users_me"]);
    expect(legacy.me).toMatchObject({ screenName: "Same_User", email: "Same_User@example.com" });
    expect(free.me).toEqual(legacy.me);
    expect(legacy.landing).toContain('id="screen-name">@Same_User<');
    expect(free.landing).toBe(legacy.landing);
    expect(free.identity).toEqual(legacy.identity);
  });

  it("reads the email from confirmed_email; should X refuse that field, signs in without it, and once refused twice in a row asks no more for an hour", async () => {
    const withEmail = freeEnv({ TWITTER_INCLUDE_EMAIL: "true" });
    expect(await me(withEmail, await signIn(withEmail, "mail_user"))).toMatchObject({ email: "mail_user@example.com" });

    const refusal = '{"title":"Forbidden","detail":"The confirmed_email field requires the users.email scope.","type":"about:blank","status":403}';
    await setFault("users_me", { kind: "status", status: 403, body: refusal, contentType: "application/json", times: 1 });
    logged = [];
    const { result: auth, calls } = await callsDuring(() => signIn(withEmail, "mail_user"));
    expect(auth.status).toBe(200);
    expect(calls).toMatchObject({ users_me: 2 });
    const profile = (await me(withEmail, auth)) as Record<string, unknown>;
    expect(profile).toMatchObject({ screenName: "mail_user" });
    expect(profile).not.toHaveProperty("email");
    expect(line("twitter_profile_fallback")).toEqual({
      event: "twitter_profile_fallback",
      fallback: "without_email",
      providerStatus: 403,
      providerCode: "about:blank",
      providerMessage: "The confirmed_email field requires the users.email scope.",
    });
    // Refused again on the next sign-in: then not asked again within the hour (the stand-in would have given it).
    await setFault("users_me", { kind: "status", status: 403, body: refusal, contentType: "application/json", times: 1 });
    expect((await signIn(withEmail, "mail_user")).status).toBe(200);
    const next = await callsDuring(() => signIn(withEmail, "mail_user"));
    expect(next.calls).toMatchObject({ users_me: 1 });
    expect(await me(withEmail, next.result)).not.toHaveProperty("email");
  });
});

describe("nothing left to try", () => {
  const nothingStored = async (run: () => Promise<Response>) => {
    const before = [...(await kvKeys(env.AUTH_KV, "session:")), ...(await kvKeys(env.AUTH_KV, "user-session:"))];
    const response = await run();
    expect([...(await kvKeys(env.AUTH_KV, "session:")), ...(await kvKeys(env.AUTH_KV, "user-session:"))]).toEqual(before);
    expect(response.headers.getSetCookie().some((cookie) => cookie.startsWith("twitter_session="))).toBe(false);
    return response;
  };

  it("answers 502 twitter_access_level (what to change, not 'try again') when X refuses v2 too, logs X's code and message, stores nothing", async () => {
    await setFault("users_me", { kind: "status", status: 403, body: REFUSED_453, contentType: "application/json; charset=utf-8" });
    const response = await nothingStored(() => signIn(freeEnv(), "refused_both"));
    await expectError(response, 502, {
      error: "twitter_access_level",
      error_description:
        "Twitter does not let this app call GET 2/users/me at its access level (error 453). In X's developer console (console.x.com), give the app access to X API v2 (pay-per-use credits or a plan). Trying again will not help.",
    });
    expect(line("twitter_sign_in", "auth")).toEqual({
      event: "twitter_sign_in",
      step: "auth",
      outcome: "error",
      durationMs: expect.any(Number),
      status: 502,
      error: "twitter_access_level",
      providerStatus: 403,
      providerCode: 453,
      providerMessage: expect.stringMatching(/^You currently have access to a subset of X API V2 endpoints/),
    });
  });

  it("names a v2 client-forbidden problem by its type, with X's detail in the log", async () => {
    await setFault("users_me", { kind: "status", status: 403, body: CLIENT_FORBIDDEN, contentType: "application/problem+json" });
    const response = await nothingStored(() => signIn(freeEnv(), "forbidden_v2"));
    await expectError(response, 502, {
      error: "twitter_access_level",
      error_description: expect.stringMatching(/^Twitter does not let this app call GET 2\/users\/me at its access level \(error client-forbidden\)\. In X's developer console/),
    });
    expect(line("twitter_sign_in", "auth")).toMatchObject({
      error: "twitter_access_level",
      providerStatus: 403,
      providerCode: "client-forbidden",
      providerMessage: JSON.parse(CLIENT_FORBIDDEN).detail,
    });
  });

  it("explains other v2 failures as before: a 503 is twitter_error, logged with X's problem", async () => {
    await setFault("users_me", { kind: "status", status: 503, body: '{"title":"Service Unavailable","detail":"Service Unavailable","type":"about:blank","status":503}', contentType: "application/json" });
    const response = await nothingStored(() => signIn(freeEnv(), "v2_down"));
    await expectError(response, 502, { error: "twitter_error", error_description: "Twitter answered HTTP 503 (users_me). Try again later." });
    expect(line("twitter_sign_in", "auth")).toMatchObject({ providerStatus: 503, providerCode: "about:blank", providerMessage: "Service Unavailable" });
  });

  const malformed: [string, string][] = [
    ["an id that is a JSON number", '{"data":{"id":2244994945,"name":"X Developers","username":"XDevelopers"}}'],
    ["no id", '{"data":{"name":"X Developers","username":"XDevelopers"}}'],
    ["an id that is not digits", '{"data":{"id":"22449x4945","name":"X Developers","username":"XDevelopers"}}'],
    ["no username", '{"data":{"id":"2244994945","name":"X Developers"}}'],
    ["an empty username", '{"data":{"id":"2244994945","name":"X Developers","username":""}}'],
    ["no data", '{"errors":[{"title":"Not Found Error","detail":"Could not find user","type":"https://api.twitter.com/2/problems/resource-not-found"}]}'],
    ["data that is not an object", '{"data":"XDevelopers"}'],
    ["a body that is not JSON", "<html>oops</html>"],
  ];
  for (const [name, body] of malformed) {
    it(`answers 502 twitter_bad_response for a 200 from /2/users/me with ${name}, and stores nothing`, async () => {
      await setFault("users_me", { kind: "status", status: 200, body, contentType: "application/json" });
      const response = await nothingStored(() => signIn(freeEnv(), "malformed_v2"));
      await expectError(response, 502, { error: "twitter_bad_response", error_description: "Twitter's answer (users_me) is malformed. Try again later." });
      // Not X's error words: a 2xx body is never read for a code or message.
      expect(line("twitter_sign_in", "auth")).toMatchObject({ providerStatus: 200 });
      expect(line("twitter_sign_in", "auth")).not.toHaveProperty("providerMessage");
    });
  }
});

describe("TWITTER_PROFILE_ENDPOINT", () => {
  it("users_me: v2 straight away, at any level, with no v1.1 call", async () => {
    await setLevel("legacy");
    const { result: auth, calls } = await callsDuring(() => signIn(freeEnv({ TWITTER_PROFILE_ENDPOINT: "users_me" }), "forced_v2"));
    expect(auth.headers.get("X-Twitter-Profile-Source")).toBe("users_me");
    expect(JSON.parse(await auth.text()).data.username).toBe("forced_v2");
    expect(calls).toMatchObject({ verify_credentials: 0, users_me: 1 });
  });

  it("users_me refused: 502 twitter_access_level, with no v1.1 call", async () => {
    await setFault("users_me", { kind: "status", status: 403, body: REFUSED_453, contentType: "application/json" });
    const { result, calls } = await callsDuring(() => signIn(freeEnv({ TWITTER_PROFILE_ENDPOINT: "users_me" }), "forced_v2_no"));
    await expectError(result, 502, { error: "twitter_access_level", error_description: expect.stringContaining("GET 2/users/me at its access level (error 453)") });
    expect(calls).toMatchObject({ verify_credentials: 0, users_me: 1 });
  });

  it("verify_credentials: no fallback; at the free level 502 twitter_access_level saying to set auto, and nothing remembered", async () => {
    const forced = freeEnv({ TWITTER_PROFILE_ENDPOINT: "verify_credentials" });
    for (let attempt = 0; attempt < 2; attempt++) {
      const { result, calls } = await callsDuring(() => signIn(forced, "forced_v1"));
      await expectError(result, 502, {
        error: "twitter_access_level",
        error_description:
          "Twitter does not let this app call GET account/verify_credentials at its access level (error 453). Set TWITTER_PROFILE_ENDPOINT=auto to use X API v2, or raise the app's access in X's developer console (console.x.com). Trying again will not help.",
      });
      expect(calls).toMatchObject({ verify_credentials: 1, users_me: 0 });
    }
    expect(refusals.until.size).toBe(0);
  });

  it("the profileEndpoint option overrides the setting; a bad option throws when the app is built, a bad setting is a 500 naming it", async () => {
    const host = new Hono<TwitterAuthEnv>().route("/", twitterAuth({ profileEndpoint: "users_me" }));
    const auth = await signIn(freeEnv({ TWITTER_PROFILE_ENDPOINT: "verify_credentials" }), "option_user", host);
    expect(auth.headers.get("X-Twitter-Profile-Source")).toBe("users_me");

    expect(() => twitterAuth({ profileEndpoint: "v2" as never })).toThrow(new TypeError("twitterAuth()/twitterSession() option profileEndpoint is not one of: auto, verify_credentials, users_me, none."));
    const misconfigured = await send(freeEnv({ TWITTER_PROFILE_ENDPOINT: "v2" }), "/login");
    await expectError(misconfigured, 500, {
      error: "server_misconfigured",
      error_description: "The server's TWITTER_PROFILE_ENDPOINT setting is not one of: auto, verify_credentials, users_me, none. Fix it in wrangler.toml [vars] or .dev.vars.",
    });
  });
});

describe("X's words in every provider failure's log line", () => {
  it("reads the XML <error> of the OAuth endpoints, bounds the message to 200 characters and redacts any oauth_* value", async () => {
    const xml = '<?xml version="1.0" encoding="UTF-8"?><hash><error>Callback URL not approved for this client application.</error><request>/oauth/request_token</request></hash>';
    await setFault("request_token", { kind: "status", status: 403, body: xml, contentType: "application/xml", times: 1 });
    expect((await send(freeEnv(), "/login")).status).toBe(502);
    expect(line("twitter_sign_in", "login")).toMatchObject({ providerStatus: 403, providerMessage: "Callback URL not approved for this client application." });
    expect(line("twitter_sign_in", "login")).not.toHaveProperty("providerCode");

    logged = [];
    const long = `Invalid oauth_token=abcdef123456&oauth_token_secret=s3cr3t ${"x".repeat(400)}`;
    await setFault("request_token", { kind: "status", status: 401, body: JSON.stringify({ errors: [{ code: 32, message: long }] }), contentType: "application/json", times: 1 });
    expect((await send(freeEnv(), "/login")).status).toBe(502);
    const entry = line("twitter_sign_in", "login")!;
    expect(entry).toMatchObject({ error: "twitter_rejected_credentials", providerStatus: 401, providerCode: 32 });
    expect(entry.providerMessage).toBe(`Invalid oauth_token=[redacted]&oauth_token_secret=[redacted] ${"x".repeat(400)}`.slice(0, 200));
    expect(JSON.stringify(logged)).not.toMatch(/abcdef123456|s3cr3t/);
  });

  it("carries X's code and message at access_token, and never the request token, verifier or a secret", async () => {
    await setFault("access_token", { kind: "status", status: 401, body: '{"errors":[{"code":89,"message":"Invalid or expired token."}]}', contentType: "application/json", times: 1 });
    const login = await send(freeEnv(), "/login");
    const oauthToken = new URL(login.headers.get("Location")!).searchParams.get("oauth_token")!;
    const consent = await fetch(`${origin()}/oauth/authorize`, { method: "POST", body: new URLSearchParams({ oauth_token: oauthToken, screen_name: "log_user", action: "allow" }), redirect: "manual" });
    const back = new URL(consent.headers.get("Location")!);
    const response = await send(freeEnv(), back.pathname + back.search, { headers: { Cookie: login.headers.get("Set-Cookie")!.split(";")[0]! } });
    expect(response.status).toBe(400);
    expect(line("twitter_sign_in", "auth")).toMatchObject({ error: "invalid_callback", providerStatus: 401, providerCode: 89, providerMessage: "Invalid or expired token." });
    const all = JSON.stringify(logged);
    for (const value of [oauthToken, back.searchParams.get("oauth_verifier")!, env.TWITTER_CLIENT_SECRET!, env.SESSION_SECRET!]) expect(all).not.toContain(value);
  });
});
