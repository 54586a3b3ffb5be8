// Sign-out that revokes the access token at X, sign-out everywhere, and sessions whose token X no longer accepts.
import { env, exports } from "cloudflare:workers";
import { Hono } from "hono";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createApp } from "../../src/app";
import { OAuth1Client } from "../../src/oauth1/index";
import { unseal } from "../../src/session/seal";
import { type TwitterAuthEnv, twitterSession } from "../../src/twitter-auth";
import { kvKeys, signIn, standInOrigin } from "./support/browser";
import { FAULT_TIMEOUT_MS, clearFaults, completeSignIn, faultyEnv, faultyOrigin, request as faultyRequest, setFault } from "./support/faulty";

const app = createApp();
const ORIGIN = "http://localhost:8787";

afterEach(async () => {
  vi.restoreAllMocks();
  await clearFaults();
});

interface Device {
  cookie: string;
  sessionId: string;
  userId: string;
  token: string;
  tokenSecret: string;
}

/** A sign-in on a new device; what KV holds for it, read with the test's own SESSION_SECRET. */
async function device(screenName: string, via: "standIn" | "faulty" = "standIn"): Promise<Device> {
  const response = via === "standIn" ? (await signIn(screenName)).response : await completeSignIn(screenName);
  expect(response.status).toBe(200);
  const cookie = response.headers.getSetCookie().find((value) => value.startsWith("twitter_session="))!.split(";")[0]!;
  const sessionId = decodeURIComponent(cookie.split("=")[1]!).split(".")[0]!;
  const record = (await unseal(env.SESSION_SECRET!, sessionId, (await env.AUTH_KV.get(`session:${sessionId}`))!)) as { profile: { id: string }; token: string; tokenSecret: string };
  return { cookie, sessionId, userId: record.profile.id, token: record.token, tokenSecret: record.tokenSecret };
}

/** POST /logout as the site's own page would, through the app with no ExecutionContext: revocation is awaited before the answer. */
function logout(cookie: string, query = "", environment: Cloudflare.Env = env): Promise<Response> {
  return Promise.resolve(
    app.request(`${ORIGIN}/logout${query}`, { method: "POST", headers: { Cookie: cookie, Origin: ORIGIN }, redirect: "manual" }, environment),
  );
}

function me(cookie: string): Promise<Response> {
  return Promise.resolve(app.request(`${ORIGIN}/me`, { headers: { Cookie: cookie } }, env));
}

/** What X says of a token now, asked directly (signed by the OAuth client; the stand-in checks it with oauth-sign). */
async function tokenStatus(who: Pick<Device, "token" | "tokenSecret">, origin = standInOrigin()): Promise<number> {
  const client = new OAuth1Client({ consumerKey: env.TWITTER_CLIENT_ID!, consumerSecret: env.TWITTER_CLIENT_SECRET!, apiBaseUrl: `${origin}/1.1/` });
  const response = await client.request("GET", "account/verify_credentials.json", { token: { token: who.token, tokenSecret: who.tokenSecret } });
  await response.body?.cancel();
  return response.status;
}

async function invalidations(origin = standInOrigin()): Promise<number> {
  const stats = (await (await fetch(`${origin}/__stand-in/stats`)).json()) as { endpoints: { invalidate_token: { accepted: number } } };
  return stats.endpoints.invalidate_token.accepted;
}

function expectSignedOutAnswer(response: Response): void {
  expect(response.status).toBe(303);
  expect(response.headers.get("Location")).toBe("/");
  expect(response.headers.getSetCookie().some((cookie) => /^twitter_session=;.*Max-Age=0/.test(cookie))).toBe(true);
}

/** Every line the Worker logged, for checking that no token or secret is in any. */
function captureLogs(): () => string {
  const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
  const error = vi.spyOn(console, "error").mockImplementation(() => undefined);
  return () => [...log.mock.calls, ...error.mock.calls].map((call) => call.map(String).join(" ")).join("\n");
}

function expectNothingSecretIn(text: string, who: Device): void {
  for (const secret of [who.token, who.tokenSecret, env.SESSION_SECRET!, env.TWITTER_CLIENT_SECRET!]) expect(text).not.toContain(secret);
}

describe("POST /logout revokes the access token at X", () => {
  it("revokes it when the sign-out ends the user's last session, and logs that without the token", async () => {
    const phone = await device("revoke_last");
    const before = await invalidations();
    const logs = captureLogs();
    const out = await logout(phone.cookie);
    expectSignedOutAnswer(out);
    expect(await kvKeys(env.AUTH_KV, `session:${phone.sessionId}`)).toEqual([]);
    expect(await kvKeys(env.AUTH_KV, `user-session:${phone.userId}:`)).toEqual([]);
    // X no longer accepts the token, and the stand-in counted the invalidation.
    expect(await tokenStatus(phone)).toBe(401);
    expect(await invalidations()).toBeGreaterThan(before);
    const lines = logs();
    expect(lines).toMatch(/"event":"twitter_token_revocation","outcome":"ok","durationMs":\d+/);
    expectNothingSecretIn(lines, phone);
    // The next sign-in gets a new token from X.
    expect((await device("revoke_last")).token).not.toBe(phone.token);
  });

  it("keeps the token while another session of the user is open, and revokes it when that one ends too", async () => {
    const phone = await device("revoke_two");
    const laptop = await device("revoke_two");
    expect(laptop.token).toBe(phone.token); // X's one token per user and app
    expectSignedOutAnswer(await logout(phone.cookie));
    expect(await tokenStatus(laptop)).toBe(200);
    expect((await me(laptop.cookie)).status).toBe(200);
    expect(await kvKeys(env.AUTH_KV, `user-session:${laptop.userId}:`)).toEqual([`user-session:${laptop.userId}:${laptop.sessionId}`]);

    expectSignedOutAnswer(await logout(laptop.cookie));
    expect(await tokenStatus(laptop)).toBe(401);
  });

  it("keeps the token at X with TWITTER_REVOKE_ON_LOGOUT=false, and still ends the session", async () => {
    const phone = await device("revoke_off");
    expectSignedOutAnswer(await logout(phone.cookie, "", { ...env, TWITTER_REVOKE_ON_LOGOUT: "false" }));
    expect(await kvKeys(env.AUTH_KV, `session:${phone.sessionId}`)).toEqual([]);
    expect(await tokenStatus(phone)).toBe(200);
  });

  it("keeps the token with the revokeOnLogout: false option, and refuses a non-boolean one when the app is built", async () => {
    const phone = await device("revoke_option");
    const keeping = createApp({ revokeOnLogout: false });
    const out = await keeping.request(`${ORIGIN}/logout`, { method: "POST", headers: { Cookie: phone.cookie, Origin: ORIGIN }, redirect: "manual" }, env);
    expectSignedOutAnswer(out);
    expect(await tokenStatus(phone)).toBe(200);
    expect(() => createApp({ revokeOnLogout: "no" as unknown as boolean })).toThrow(new TypeError("twitterAuth()/twitterSession() option revokeOnLogout is not true or false."));
  });

  it("revokes after answering when the runtime has waitUntil (the deployed Worker)", async () => {
    const phone = await device("revoke_later");
    const out = await exports.default.fetch(`${ORIGIN}/logout`, { method: "POST", headers: { Cookie: phone.cookie, Origin: ORIGIN }, redirect: "manual" });
    expectSignedOutAnswer(out);
    await vi.waitFor(async () => expect(await tokenStatus(phone)).toBe(401), { timeout: 5_000, interval: 50 });
  });

  for (const [label, fault, error] of [
    ["X answers 503", { kind: "status", status: 503, times: 1 }, '"error":"ERR_OAUTH1_PROVIDER_STATUS","providerStatus":503'],
    ["X does not answer", { kind: "hang", times: 1 }, '"error":"ERR_OAUTH1_TIMEOUT"'],
    [
      "X answers an error of its own",
      { kind: "status", status: 403, body: '{"errors":[{"code":326,"message":"To protect our users from spam and other malicious activity, this account is temporarily locked."}]}', contentType: "application/json", times: 1 },
      '"error":"ERR_OAUTH1_PROVIDER_STATUS","providerStatus":403,"providerCode":326,"providerMessage":"To protect our users from spam and other malicious activity, this account is temporarily locked."',
    ],
  ] as const) {
    it(`still signs out when ${label} to the revocation: session deleted, cookie cleared, failure logged without the token`, async () => {
      const phone = await device("revoke_fault", "faulty");
      await setFault("invalidate_token", fault);
      const logs = captureLogs();
      const started = Date.now();
      const out = await faultyRequest("/logout", { method: "POST", headers: { Cookie: phone.cookie, Origin: ORIGIN } });
      expectSignedOutAnswer(out);
      expect(Date.now() - started).toBeLessThan(FAULT_TIMEOUT_MS * 4);
      expect(await kvKeys(env.AUTH_KV, `session:${phone.sessionId}`)).toEqual([]);
      const lines = logs();
      expect(lines).toContain(`"event":"twitter_token_revocation","outcome":"error"`);
      expect(lines).toContain(error);
      expect(lines).toMatch(/"event":"twitter_sign_in","step":"logout","outcome":"ok".*"status":303/);
      expectNothingSecretIn(lines, phone);
      // The token was not revoked, and says so at X.
      expect(await tokenStatus(phone, faultyOrigin())).toBe(200);
    });
  }

  it("revokes at the last sign-out even when the index still lists sessions that are gone or no longer open, and drops those keys", async () => {
    const phone = await device("orphaned");
    // A sign-out elsewhere whose index delete failed, and a session sealed with a secret since removed.
    const gone = `user-session:${phone.userId}:GoneSession00000000000`;
    const sealedElsewhere = `user-session:${phone.userId}:OtherSecret00000000000`;
    await env.AUTH_KV.put(gone, "");
    await env.AUTH_KV.put(sealedElsewhere, "");
    await env.AUTH_KV.put("session:OtherSecret00000000000", "c2VhbGVk.d2l0aCBhbm90aGVy");
    expectSignedOutAnswer(await logout(phone.cookie));
    expect(await tokenStatus(phone)).toBe(401);
    expect(await kvKeys(env.AUTH_KV, `user-session:${phone.userId}:`)).toEqual([]);
  });

  it("ends cleanly when two sign-outs of one session race: both 303, the session gone, the token revoked", async () => {
    const phone = await device("revoke_race");
    const logs = captureLogs();
    const [first, second] = await Promise.all([logout(phone.cookie), logout(phone.cookie)]);
    expectSignedOutAnswer(first!);
    expectSignedOutAnswer(second!);
    expect(await kvKeys(env.AUTH_KV, `session:${phone.sessionId}`)).toEqual([]);
    expect(await tokenStatus(phone)).toBe(401);
    expect(logs()).not.toContain('"outcome":"error"');
  });
});

describe("POST /logout?everywhere=true", () => {
  it("ends every session of the user on every device and revokes the token once; other users keep theirs", async () => {
    const phone = await device("everywhere");
    const laptop = await device("everywhere");
    const tablet = await device("everywhere");
    const neighbour = await device("not_everywhere");
    const before = await invalidations();
    const out = await logout(phone.cookie, "?everywhere=true");
    expectSignedOutAnswer(out);
    for (const other of [laptop, tablet]) {
      const response = await me(other.cookie);
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ error: "not_signed_in", error_description: "Nobody is signed in. Sign in at /login." });
    }
    for (const ended of [phone, laptop, tablet]) expect(await kvKeys(env.AUTH_KV, `session:${ended.sessionId}`)).toEqual([]);
    expect(await kvKeys(env.AUTH_KV, `user-session:${phone.userId}:`)).toEqual([]);
    expect(await tokenStatus(phone)).toBe(401);
    expect(await invalidations()).toBeGreaterThan(before);
    expect((await me(neighbour.cookie)).status).toBe(200);
    expect(await tokenStatus(neighbour)).toBe(200);
  });

  it("answers 401 not_signed_in and clears the cookie when this browser's session is already gone, touching nothing else", async () => {
    const phone = await device("everywhere_gone");
    const laptop = await device("everywhere_gone");
    await env.AUTH_KV.delete(`session:${phone.sessionId}`);
    const out = await logout(phone.cookie, "?everywhere=true");
    expect(out.status).toBe(401);
    expect(await out.json()).toEqual({
      error: "not_signed_in",
      error_description: "This browser was no longer signed in, so your other sessions could not be found. Sign in at /login, then sign out of all devices again.",
    });
    expect(out.headers.getSetCookie().some((cookie) => /^twitter_session=;.*Max-Age=0/.test(cookie))).toBe(true);
    expect((await me(laptop.cookie)).status).toBe(200);
    expect(await tokenStatus(laptop)).toBe(200);
  });

  for (const [label, query, failing] of [
    ["deleting the session", "", "delete"],
    ["writing the user's sign-out mark", "?everywhere=true", "put"],
  ] as const) {
    it(`answers 503 and keeps the cookie when KV fails ${label}, so that signing out can be tried again`, async () => {
      const phone = await device(`kv_fails_${failing}`);
      const broken = new Proxy(env.AUTH_KV, {
        get(target, name) {
          if (name === failing) return async () => Promise.reject(new Error("KV down: internal detail"));
          const value = Reflect.get(target, name) as unknown;
          return typeof value === "function" ? value.bind(target) : value;
        },
      });
      const logs = captureLogs();
      const out = await logout(phone.cookie, query, { ...env, AUTH_KV: broken });
      expect(out.status).toBe(503);
      expect(await out.json()).toEqual({ error: "storage_unavailable", error_description: "The sign-in store is unavailable for a moment. Try again shortly." });
      expect(out.headers.getSetCookie()).toEqual([]);
      expect(logs()).not.toContain("internal detail");
      expect(await tokenStatus(phone)).toBe(200);
      // Tried again once KV is back: signed out.
      expectSignedOutAnswer(await logout(phone.cookie, query));
    });
  }

  it("ends every session once the mark is written, though KV fails to delete another device's record after the answer; the token is revoked", async () => {
    const phone = await device("partial_fail");
    const laptop = await device("partial_fail");
    const broken = new Proxy(env.AUTH_KV, {
      get(target, name) {
        if (name === "delete") return async (key: string) => (key === `session:${laptop.sessionId}` ? Promise.reject(new Error("KV down")) : target.delete(key));
        const value = Reflect.get(target, name) as unknown;
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    expectSignedOutAnswer(await logout(phone.cookie, "?everywhere=true", { ...env, AUTH_KV: broken }));
    // The laptop's record is still there (its delete failed), and opens nothing: the mark refuses it.
    expect(await env.AUTH_KV.get(`session:${laptop.sessionId}`)).not.toBeNull();
    expect((await me(laptop.cookie)).status).toBe(401);
    expect((await me(phone.cookie)).status).toBe(401);
    expect(await tokenStatus(phone)).toBe(401);
  });

  it("with TWITTER_REVOKE_ON_LOGOUT=false ends every session and keeps the token; everywhere=false is a plain sign-out", async () => {
    const phone = await device("everywhere_off");
    const laptop = await device("everywhere_off");
    expectSignedOutAnswer(await logout(phone.cookie, "?everywhere=false"));
    expect((await me(laptop.cookie)).status).toBe(200);
    const tablet = await device("everywhere_off");
    expectSignedOutAnswer(await logout(tablet.cookie, "?everywhere=true", { ...env, TWITTER_REVOKE_ON_LOGOUT: "false" }));
    expect((await me(laptop.cookie)).status).toBe(401);
    expect(await tokenStatus(laptop)).toBe(200);
  });

  it("refuses everywhere= other than true or false with 400, ending nothing", async () => {
    const phone = await device("everywhere_bad");
    const out = await logout(phone.cookie, "?everywhere=yes");
    expect(out.status).toBe(400);
    expect(await out.json()).toEqual({ error: "invalid_request", error_description: 'everywhere must be "true" or "false".' });
    expect((await me(phone.cookie)).status).toBe(200);
  });

  it("is offered on the landing page beside Sign out, as a same-origin POST form", async () => {
    const phone = await device("everywhere_page");
    const page = await exports.default.fetch(`${ORIGIN}/`, { headers: { Cookie: phone.cookie } });
    const html = await page.text();
    expect(html).toContain('<form method="post" action="/logout?everywhere=true"><button class="button secondary" id="sign-out-everywhere" type="submit">Sign out of all devices</button></form>');
  });
});

describe("a session whose token X no longer accepts", () => {
  it("ends when a twitterApi call gets 401 code 89: the caller gets 401 session_revoked, every session of the user is deleted, /me answers 401", async () => {
    const phone = await device("revoked_away");
    const laptop = await device("revoked_away");
    // The user removes the app on X (or another service revokes the token): X refuses it from now on.
    const client = new OAuth1Client({ consumerKey: env.TWITTER_CLIENT_ID!, consumerSecret: env.TWITTER_CLIENT_SECRET!, apiBaseUrl: `${standInOrigin()}/1.1/` });
    expect((await client.request("POST", "oauth/invalidate_token", { token: { token: phone.token, tokenSecret: phone.tokenSecret } })).status).toBe(200);

    const host = new Hono<TwitterAuthEnv>();
    host.use(twitterSession());
    host.get("/profile", async (c) => c.json(await (await c.var.twitterApi!.get("account/verify_credentials.json")).json()));
    const response = await host.request(`${ORIGIN}/profile`, { headers: { Cookie: phone.cookie } }, env);
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({
      error: "session_revoked",
      error_description: "Twitter no longer accepts this sign-in: it was revoked, or the app was removed from the account. Sign in again.",
    });
    expect(response.headers.getSetCookie().some((cookie) => /^twitter_session=;.*Max-Age=0/.test(cookie))).toBe(true);
    // Every session of the user held that one token: all of them end.
    for (const ended of [phone, laptop]) {
      expect(await kvKeys(env.AUTH_KV, `session:${ended.sessionId}`)).toEqual([]);
      expect((await me(ended.cookie)).status).toBe(401);
    }
    expect(await kvKeys(env.AUTH_KV, `user-session:${phone.userId}:`)).toEqual([]);
  });

  it("passes X's other refusals through untouched and keeps the session", async () => {
    const phone = await device("api_other_err", "faulty");
    await setFault("verify_credentials", { kind: "unauthorized", times: 1 });
    const host = new Hono<TwitterAuthEnv>();
    host.use(twitterSession());
    host.get("/profile", async (c) => {
      const answer = await c.var.twitterApi!.get("account/verify_credentials.json");
      return c.json({ status: answer.status, body: await answer.json() });
    });
    const response = await host.request(`${ORIGIN}/profile`, { headers: { Cookie: phone.cookie } }, faultyEnv());
    expect(await response.json()).toEqual({ status: 401, body: { errors: [{ code: 32, message: "Could not authenticate you." }] } });
    expect(await kvKeys(env.AUTH_KV, `session:${phone.sessionId}`)).toEqual([`session:${phone.sessionId}`]);
  });
});
