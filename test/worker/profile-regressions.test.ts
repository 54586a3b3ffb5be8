// Regressions from the review of the profile fallback (issue 17): the hour's memory, the email retry, log lines, twitterApi's origin check.
import { env } from "cloudflare:workers";
import { Hono } from "hono";
import { afterEach, beforeEach, describe, expect, inject, it, vi } from "vitest";
import type { GatewayEnv } from "../../src/env";
import app from "../../src/index";
import { OAuth1Client } from "../../src/oauth1/index";
import { type TwitterAuthEnv, twitterAuth, twitterSession } from "../../src/twitter-auth";
import { refusals } from "../../src/twitter/profile";
import { nextClientIp } from "./support/browser";

const SITE = "http://localhost:8787";
const origin = () => inject("freeStandInOrigin");
function freeEnv(settings: Partial<GatewayEnv> = {}): Cloudflare.Env {
  return { ...env, TWITTER_REQUEST_TOKEN_URL: `${origin()}/oauth/request_token`, TWITTER_AUTHORIZE_URL: `${origin()}/oauth/authenticate`, TWITTER_ACCESS_TOKEN_URL: `${origin()}/oauth/access_token`, TWITTER_API_BASE_URL: `${origin()}/1.1/`, ...settings } as Cloudflare.Env;
}
async function control(path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${origin()}/__stand-in/${path}`, body === undefined ? {} : { method: body === null ? "DELETE" : "POST", body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return response.json();
}
const setLevel = (level: "free" | "legacy") => control("access-level", { level });
const setFault = (endpoint: string, fault: Record<string, unknown> | null) => control("faults", { endpoint, fault });
type Fetcher = { request: (url: string, init: RequestInit, env: Cloudflare.Env) => Response | Promise<Response> };
function send(bindings: Cloudflare.Env, path: string, init: RequestInit = {}, via: Fetcher = app): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("CF-Connecting-IP", nextClientIp());
  return Promise.resolve(via.request(`${SITE}${path}`, { redirect: "manual", ...init, headers }, bindings));
}
async function signIn(bindings: Cloudflare.Env, screenName: string, via: Fetcher = app, prefix = ""): Promise<Response> {
  const login = await send(bindings, `${prefix}/login`, {}, via);
  expect(login.status).toBe(302);
  const authorize = new URL(login.headers.get("Location")!);
  const consent = await fetch(`${authorize.origin}/oauth/authorize`, { method: "POST", body: new URLSearchParams({ oauth_token: authorize.searchParams.get("oauth_token")!, screen_name: screenName, action: "allow" }), redirect: "manual" });
  const back = new URL(consent.headers.get("Location")!);
  return send(bindings, back.pathname + back.search, { headers: { Cookie: login.headers.get("Set-Cookie")!.split(";")[0]! } }, via);
}
const CLIENT_FORBIDDEN = JSON.stringify({ client_id: "27988566", detail: "When authenticating requests to the Twitter API v2 endpoints, you must use keys and tokens from a Twitter developer App that is attached to a Project.", title: "Client Forbidden", required_enrollment: "Appropriate Level of API Access", reason: "client-not-enrolled", type: "https://api.twitter.com/2/problems/client-forbidden" });

let logged: string[] = [];
beforeEach(async () => {
  refusals.until.clear();
  await control("faults", null);
  await setLevel("free");
  logged = [];
  vi.spyOn(console, "log").mockImplementation((text: unknown) => void logged.push(String(text)));
});
afterEach(async () => {
  vi.restoreAllMocks();
  await control("faults", null);
});

describe("the hour's memory", () => {
  it("remembers nothing when v1.1 is refused at the access level and v2 fails too: the next sign-in, v1.1 allowed, asks v1.1 again (mutant: remembered before v2 answered)", async () => {
    await setFault("users_me", { kind: "status", status: 503, times: 1 });
    const first = await signIn(freeEnv(), "both_failed");
    expect(first.status).toBe(502);
    expect(await first.json()).toEqual({ error: "twitter_error", error_description: "Twitter answered HTTP 503 (users_me). Try again later." });
    await setLevel("legacy");
    const second = await signIn(freeEnv(), "both_failed");
    expect(second.status).toBe(200);
    expect(second.headers.get("X-Twitter-Profile-Source")).toBe("verify_credentials");
  });

  it("is not poisoned by one transient v1.1 404 (an edge's HTML page) while v2 refuses the app: the next sign-in, v1.1 healthy again, completes", async () => {
    await setLevel("legacy");
    await setFault("users_me", { kind: "status", status: 403, body: CLIENT_FORBIDDEN, contentType: "application/problem+json" }); // v2: app not in a Project
    await setFault("verify_credentials", { kind: "status", status: 404, times: 1 }); // one HTML 404
    const first = await signIn(freeEnv(), "poison_user");
    expect(first.status).toBe(502);
    expect(((await first.json()) as { error: string }).error).toBe("twitter_error");
    const second = await signIn(freeEnv(), "poison_user");
    expect(second.status).toBe(200);
    expect(second.headers.get("X-Twitter-Profile-Source")).toBe("verify_credentials");
  });

  it("remembers nothing from a v1.1 404 that is not X's own error answer: an app that has v1.1 keeps its v1.1 JSON", async () => {
    await setLevel("legacy");
    await setFault("verify_credentials", { kind: "status", status: 404, times: 1 });
    expect((await signIn(freeEnv(), "shape_user")).status).toBe(502);
    const second = await signIn(freeEnv(), "shape_user");
    expect(second.headers.get("X-Twitter-Profile-Source")).toBe("verify_credentials");
  });

  for (const status of [404, 410]) {
    it(`falls back to v2 when v1.1 answers ${status} with X's own error (the endpoint retired), and remembers it once v2 served the profile`, async () => {
      await setLevel("legacy");
      await setFault("verify_credentials", { kind: "status", status, body: '{"errors":[{"message":"Sorry, that page does not exist","code":34}]}', contentType: "application/json;charset=utf-8" });
      const first = await signIn(freeEnv(), `retired_${status}`);
      expect(first.status).toBe(200);
      expect(first.headers.get("X-Twitter-Profile-Source")).toBe("users_me");
      expect(logged.some((line) => line.includes('"event":"twitter_profile_fallback"') && line.includes('"providerCode":34'))).toBe(true);
      expect([...refusals.until.keys()]).toHaveLength(1);
    });
  }

  it("answers a bare v2 403 (no X error code) as the access level's, without claiming a retry cannot help, and remembers nothing from it", async () => {
    await signIn(freeEnv(), "warm_user"); // v1.1's 453 remembered
    await setFault("users_me", { kind: "status", status: 403, body: "<html>403 Forbidden</html>", contentType: "text/html", times: 1 });
    const first = await signIn(freeEnv(), "t403_user");
    expect(first.status).toBe(502);
    const body = (await first.json()) as { error: string; error_description: string };
    expect(body.error).toBe("twitter_access_level");
    expect(body.error_description).toContain("(HTTP 403, no X error code)");
    expect(body.error_description).not.toContain("Trying again will not help");
    expect((await signIn(freeEnv(), "t403_user")).status).toBe(200);
  });

  it("reads TWITTER_API_BASE_URL without its trailing slash as the folder it names (no silent 404, no fallback)", async () => {
    await setLevel("legacy");
    const auth = await signIn(freeEnv({ TWITTER_API_BASE_URL: `${origin()}/1.1` }), "slash_user");
    expect(auth.status).toBe(200);
    expect(auth.headers.get("X-Twitter-Profile-Source")).toBe("verify_credentials");
  });
});

describe("the email on v2", () => {
  it("goes on without the email after any 400 or 403 to the request that asked for it, whatever X's body says", async () => {
    const withEmail = freeEnv({ TWITTER_INCLUDE_EMAIL: "true" });
    for (const body of ['{"title":"Forbidden","detail":"Forbidden","type":"about:blank","status":403}', ""]) {
      refusals.until.clear();
      logged = [];
      await setFault("users_me", { kind: "status", status: 403, body, contentType: "application/problem+json", times: 1 });
      const auth = await signIn(withEmail, "mail_refused");
      expect(auth.status).toBe(200);
      expect(auth.headers.get("X-Twitter-Profile-Source")).toBe("users_me");
      expect(logged.some((line) => line.includes('"fallback":"without_email"'))).toBe(true);
    }
  });

  it("does not drop the email for an hour over one refusal: the next sign-in asks again (and gets it); a second refusal in a row does", async () => {
    const withEmail = freeEnv({ TWITTER_INCLUDE_EMAIL: "true" });
    const refusal = { kind: "status", status: 403, body: '{"title":"Forbidden","detail":"Forbidden","type":"about:blank","status":403}', contentType: "application/problem+json", times: 1 };
    await setFault("users_me", refusal);
    expect((await signIn(withEmail, "mail_once")).status).toBe(200);
    const again = await signIn(withEmail, "mail_once");
    expect(again.status).toBe(200);
    expect(await again.text()).toContain('"confirmed_email"');
    // Refused twice in a row: then it is the email's, and not asked for within the hour.
    for (let index = 0; index < 2; index++) {
      await setFault("users_me", refusal);
      expect((await signIn(withEmail, "mail_once")).status).toBe(200);
    }
    const after = await signIn(withEmail, "mail_once");
    expect(after.status).toBe(200);
    expect(await after.text()).not.toContain('"confirmed_email"');
  });

  it("does not drop the email for an hour when the request without it fails too (the refusal was not the email's)", async () => {
    const withEmail = freeEnv({ TWITTER_INCLUDE_EMAIL: "true" });
    const body = JSON.stringify({ errors: [{ parameters: { "user.fields": ["profile_image_url,confirmed_email"] }, message: "The `user.fields` query parameter value [profile_image_url] is not one of [id,name]" }], title: "Invalid Request", detail: "One or more parameters to your request was invalid.", type: "https://api.twitter.com/2/problems/invalid-request" });
    await setFault("users_me", { kind: "status", status: 400, body, contentType: "application/problem+json", times: 2 });
    expect((await signIn(withEmail, "mail_400")).status).toBe(502);
    expect(logged.some((line) => line.includes('"fallback":"without_email"'))).toBe(false);
    // The next sign-in asks for the email again, and gets it.
    const again = await signIn(withEmail, "mail_400");
    expect(again.status).toBe(200);
    expect(await again.text()).toContain('"confirmed_email"');
  });
});

describe("log lines", () => {
  it("never carry what X echoes of the request's own credentials, however it looks (redacted by what was sent, not by its shape)", async () => {
    // The consumer key (a secret: TWITTER_CLIENT_ID) has no digit, so no shape gives it away.
    const key = env.TWITTER_CLIENT_ID!;
    await setFault("request_token", { kind: "status", status: 401, body: JSON.stringify({ errors: [{ code: 32, message: `Could not authenticate you: unknown consumer ${key}.` }] }), contentType: "application/json" });
    const login = await send(freeEnv(), "/login");
    expect(login.status).toBe(502);
    expect(((await login.json()) as { error: string }).error).toBe("twitter_rejected_credentials");
    const lines = logged.join("\n");
    expect(lines).toContain('"providerMessage":"Could not authenticate you: unknown consumer [redacted]."');
    expect(lines).not.toContain(key);
  });

  it("never carry the user's access token, though X's error answer echoes it bare", async () => {
    // The stand-in gives a user the same access token on every sign-in of the app: get it first.
    const client = new OAuth1Client({ consumerKey: env.TWITTER_CLIENT_ID!, consumerSecret: env.TWITTER_CLIENT_SECRET! });
    const temp = await client.fetchTemporaryCredentials(`${origin()}/oauth/request_token`, { callback: `${SITE}/auth` });
    const consent = await fetch(`${origin()}/oauth/authorize`, { method: "POST", body: new URLSearchParams({ oauth_token: temp.token, screen_name: "echo_user", action: "allow" }), redirect: "manual" });
    const verifier = new URL(consent.headers.get("Location")!).searchParams.get("oauth_verifier")!;
    const access = await client.fetchTokenCredentials(`${origin()}/oauth/access_token`, { ...temp, verifier });
    await setFault("users_me", { kind: "status", status: 401, body: JSON.stringify({ title: "Unauthorized", type: "about:blank", status: 401, detail: `Token ${access.token} is not valid for this app` }), contentType: "application/problem+json" });
    const auth = await signIn(freeEnv(), "echo_user");
    expect(auth.status).toBe(502);
    const lines = logged.join("\n");
    expect(lines).toContain('"providerMessage":"Token [redacted] is not valid for this app"');
    expect(lines).not.toContain(access.token);
  });
});

describe("twitterApi", () => {
  it("refuses a URL of another scheme on X's origin (blob:) with a TypeError, before anything is signed or sent", async () => {
    const host = new Hono<TwitterAuthEnv>();
    host.route("/auth/twitter", twitterAuth());
    host.use("/call", twitterSession());
    host.get("/call", async (c) => {
      try {
        return c.json({ status: (await c.var.twitterApi!.get(c.req.query("path")!)).status });
      } catch (error) {
        return c.json({ thrown: (error as Error).name });
      }
    });
    const auth = await signIn(freeEnv(), "blob_user", host, "/auth/twitter");
    const cookie = auth.headers.getSetCookie().find((header) => header.startsWith("twitter_session="))!.split(";")[0]!;
    const fetchSpy = vi.spyOn(globalThis, "fetch");
    const answer = await host.request(`${SITE}/call?path=${encodeURIComponent(`blob:${origin()}/2/users/me`)}`, { headers: { Cookie: cookie } }, freeEnv());
    expect(await answer.json()).toEqual({ thrown: "TypeError" });
    expect(fetchSpy).not.toHaveBeenCalled();
  });
});
