// Rotating SESSION_SECRET ("NEW,OLD", newest first): nobody is signed out until the old secret is removed, then cleanly.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Hono } from "hono";
import { afterEach, describe, expect, inject, it, vi } from "vitest";
import { createApp } from "../../src/app";
import worker from "../../src/index";
import { seal, unseal } from "../../src/session/seal";
import { type TwitterAuthEnv, twitterAuth, twitterSession } from "../../src/twitter-auth";
import { callback, decide, kvKeys, signIn, startLogin } from "./support/browser";
import { TEST_SESSION_SECRET } from "./support/settings";

/** The secret the Worker signed in with (env) and the one an operator rotates to. */
const A = TEST_SESSION_SECRET;
const B = "rotated-secret-B-0123456789abcdefghijklm";
const app = createApp();

afterEach(() => vi.restoreAllMocks());

/** A request to the app with SESSION_SECRET set as given (no ExecutionContext: work after the answer is awaited). */
function request(path: string, secrets: string, cookie?: string): Promise<Response> {
  return Promise.resolve(app.request(`http://localhost:8787${path}`, { headers: cookie ? { Cookie: cookie } : {}, redirect: "manual" }, { ...env, SESSION_SECRET: secrets }));
}

/** The session cookie a response set, as `name=value`, or undefined. */
function sessionCookieOf(response: Response): string | undefined {
  return response.headers.getSetCookie().find((cookie) => cookie.startsWith("twitter_session="))?.split(";")[0];
}

/** `<id>.<issued at>` and the signature of a session cookie. */
function cookieParts(cookie: string): { id: string; issuedAt: number; shard: string | undefined; signature: string } {
  const parts = decodeURIComponent(cookie.slice(cookie.indexOf("=") + 1)).split(".");
  const [id = "", issuedAt = ""] = parts;
  return { id, issuedAt: Number(issuedAt), shard: parts.length === 4 ? parts[2] : undefined, signature: parts.at(-1) ?? "" };
}

/** A user's shard as docs/behaviour.md describes it: the first 16 bytes of SHA-256("user:" + id), base64url. */
async function shardOf(userId: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`user:${userId}`))).subarray(0, 16);
  return btoa(String.fromCharCode(...digest)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** hono/cookie's signed value, computed here from its documented shape: `<value>.<base64 HMAC-SHA256(secret, value)>`, the value `<id>.<issued at>[.<shard>]`. */
async function signedCookie(secret: string, id: string, issuedAt: number, shard?: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const value = `${id}.${issuedAt}${shard === undefined ? "" : `.${shard}`}`;
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(value)));
  return `twitter_session=${encodeURIComponent(`${value}.${btoa(String.fromCharCode(...mac))}`)}`;
}

/** When KV will drop the session's record (unix seconds). */
async function expiration(id: string): Promise<number | undefined> {
  return (await env.AUTH_KV.list({ prefix: `session:${id}` })).keys[0]?.expiration;
}

function isCleared(response: Response): boolean {
  return response.headers.getSetCookie().some((cookie) => /^twitter_session=;/.test(cookie) && cookie.includes("Max-Age=0"));
}

async function expectSignedOut(response: Response): Promise<void> {
  expect(response.status).toBe(401);
  const text = await response.text();
  expect(JSON.parse(text)).toEqual({ error: "not_signed_in", error_description: "Nobody is signed in. Sign in at /login." });
  expect(isCleared(response)).toBe(true);
  for (const secret of [A, B]) expect(text).not.toContain(secret);
}

describe("rotating SESSION_SECRET", () => {
  it("keeps a signed-in user signed in from A to B,A, bringing the cookie forward to B on first use; the KV record keeps A until it expires", async () => {
    const { response } = await signIn("rotation_user");
    const cookieA = sessionCookieOf(response)!;
    const { id, issuedAt, shard } = cookieParts(cookieA);
    // The cookie names the user's shard, computed here from its recipe.
    expect(shard).toBe(await shardOf(JSON.parse(await response.text()).id_str));
    const expiresBefore = await expiration(id);
    expect(expiresBefore).toBeGreaterThan(Date.now() / 1000 + 604_800 - 60);

    // Step 1, "B,A": the session still works, and its cookie is signed again with B, same id and age.
    const first = await request("/me", `${B},${A}`, cookieA);
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ screenName: "rotation_user" });
    const cookieB = sessionCookieOf(first)!;
    expect(cookieB).toBe(await signedCookie(B, id, issuedAt, shard));
    const maxAge = Number(/Max-Age=(\d+)/.exec(first.headers.getSetCookie().find((value) => value.startsWith("twitter_session="))!)![1]);
    expect(maxAge).toBeGreaterThan(604_800 - 60);
    expect(maxAge).toBeLessThanOrEqual(604_800);
    // ...while its KV record is never written again (KV has no conditional write: a write could bring
    // back a session signed out meanwhile): still sealed with A, its expiry unchanged. The rotation's
    // step 2 waits one session lifetime, by which time it has expired.
    const sealed = (await env.AUTH_KV.get(`session:${id}`))!;
    expect(await unseal(A, id, sealed)).toMatchObject({ profile: { screenName: "rotation_user" } });
    expect(await expiration(id)).toBe(expiresBefore);

    // Nothing left to bring forward: no new cookie.
    const again = await request("/me", `${B},${A}`, cookieB);
    expect(again.status).toBe(200);
    expect(sessionCookieOf(again)).toBeUndefined();

    // A cookie still signed with A is simply invalid under B alone: cleared, 401.
    await expectSignedOut(await request("/me", B, cookieA));
  });

  it("signs out cleanly a session never used while both were listed: cookie cleared, 401, nothing leaks", async () => {
    const { response } = await signIn("rotation_late");
    await expectSignedOut(await request("/me", B, sessionCookieOf(response)!));
  });

  it("treats a record sealed with a removed secret as no session, even under a cookie signed with the new one", async () => {
    const { response } = await signIn("rotation_record");
    const { id, issuedAt, shard } = cookieParts(sessionCookieOf(response)!);
    const forged = await signedCookie(B, id, issuedAt, shard);
    await expectSignedOut(await request("/me", B, forged));
    // With A still listed the same record opens.
    const listed = await request("/me", `${B},${A}`, forged);
    expect(listed.status).toBe(200);
  });

  it("completes a sign-in started before the rotation, and starts the session with the newest secret", async () => {
    const start = await startLogin();
    const back = await decide(start.oauthToken, "rotation_midway");
    const response = await request(back.pathname + back.search, `${B},${A}`, start.cookie);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ screen_name: "rotation_midway" });
    const { id, issuedAt, shard } = cookieParts(sessionCookieOf(response)!);
    expect(sessionCookieOf(response)).toBe(await signedCookie(B, id, issuedAt, shard));
    expect(await unseal(B, id, (await env.AUTH_KV.get(`session:${id}`))!)).toBeDefined();
  });

  it("refuses a sign-in whose cookie was signed with a secret removed meanwhile: 400 invalid_cookie", async () => {
    const start = await startLogin();
    const back = await decide(start.oauthToken, "rotation_gone");
    const response = await request(back.pathname + back.search, B, start.cookie);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: "invalid_cookie", error_description: "The sign-in cookie is not valid. Start again from /login." });
    // Under the old secret the same callback still completes: nothing was used up.
    expect((await callback(back, start.cookie)).status).toBe(200);
  });

  it("brings the cookie forward on routes that answer with a raw Response, and on the origin's answers in gateway mode", async () => {
    const { response } = await signIn("rotation_raw");
    const cookieA = sessionCookieOf(response)!;
    const { id, issuedAt, shard } = cookieParts(cookieA);
    const expected = await signedCookie(B, id, issuedAt, shard);
    const bindings = { ...env, SESSION_SECRET: `${B},${A}` };

    const host = new Hono<TwitterAuthEnv>();
    host.use(twitterSession());
    host.get("/raw", (c) => new Response(`raw for ${c.var.twitterUser?.screenName}`));
    const raw = await host.request("http://localhost:8787/raw", { headers: { Cookie: cookieA } }, bindings);
    expect(await raw.text()).toBe("raw for rotation_raw");
    expect(sessionCookieOf(raw)).toBe(expected);

    const proxied = await worker.request("http://localhost:8787/page", { headers: { Cookie: cookieA } }, { ...bindings, PROTECT_ORIGIN: inject("testOrigin") } as Cloudflare.Env);
    expect(proxied.status).toBe(200);
    expect(sessionCookieOf(proxied)).toBe(expected);
  });

  it("does not write back a session ended meanwhile: not when its index key is gone, not when a sign-out in the same request deletes it", async () => {
    // Ended at another location: the record is still read here (a cached copy), its index key is gone.
    const { response } = await signIn("rotation_ended");
    const cookieA = sessionCookieOf(response)!;
    const { id } = cookieParts(cookieA);
    const indexKey = (await kvKeys(env.AUTH_KV, "user-session:")).find((key) => key.endsWith(`:${id}`));
    expect(indexKey).toBeDefined();
    await env.AUTH_KV.delete(indexKey!);
    expect((await request("/me", `${B},${A}`, cookieA)).status).toBe(200);
    const sealed = (await env.AUTH_KV.get(`session:${id}`))!;
    expect(await unseal(A, id, sealed)).toBeDefined(); // not sealed again with B
    expect(await unseal(B, id, sealed)).toBeUndefined();

    // A host app that reads the session before its sign-out route: the re-seal (after the answer) loses to the sign-out.
    const second = sessionCookieOf((await signIn("rotation_race")).response)!;
    const host = new Hono<TwitterAuthEnv>();
    host.use(twitterSession());
    host.route("/", twitterAuth());
    const ctx = createExecutionContext();
    const out = await host.fetch(
      new Request("http://localhost:8787/logout", { method: "POST", headers: { Cookie: second, Origin: "http://localhost:8787" }, redirect: "manual" }),
      { ...env, SESSION_SECRET: `${B},${A}` },
      ctx,
    );
    expect(out.status).toBe(303);
    await waitOnExecutionContext(ctx);
    expect(await kvKeys(env.AUTH_KV, `session:${cookieParts(second).id}`)).toEqual([]);
  });

  it("indexes a session written before the per-user index on its first use, so that sign-out everywhere ends it", async () => {
    const { response } = await signIn("rotation_old");
    const { id: newer } = cookieParts(sessionCookieOf(response)!);
    const current = (await unseal(A, newer, (await env.AUTH_KV.get(`session:${newer}`))!)) as { profile: { id: string }; token: string; tokenSecret: string; createdAt: number };
    // A record as the previous release wrote it: no expiresAt, no index key.
    const legacyId = "LegacySession0000000A0";
    const createdAt = Math.floor(Date.now() / 1000) - 3600;
    const { expiresAt: _dropped, ...legacy } = { ...current, createdAt, expiresAt: 0 };
    await env.AUTH_KV.put(`session:${legacyId}`, await seal(A, legacyId, legacy), { expirationTtl: 600_000 });
    const legacyCookie = await signedCookie(A, legacyId, createdAt);

    const first = await request("/me", A, legacyCookie);
    expect(first.status).toBe(200);
    // A cookie from before the shard is given it, same id and age, so its next reads take one round trip.
    expect(sessionCookieOf(first)).toBe(await signedCookie(A, legacyId, createdAt, await shardOf(current.profile.id)));
    expect(await kvKeys(env.AUTH_KV, `user-session:${current.profile.id}:${legacyId}`)).toEqual([`user-session:${current.profile.id}:${legacyId}`]);
    // Its record is left as it was written (KV never writes a record again); the index key carries its expiry.
    expect(await unseal(A, legacyId, (await env.AUTH_KV.get(`session:${legacyId}`))!)).not.toHaveProperty("expiresAt");

    const signOut = await app.request("http://localhost:8787/logout?everywhere=true", { method: "POST", headers: { Cookie: sessionCookieOf(response)!, Origin: "http://localhost:8787" }, redirect: "manual" }, env);
    expect(signOut.status).toBe(303);
    await expectSignedOut(await request("/me", A, legacyCookie));
  });

  it("accepts spaces beside the commas", async () => {
    const { response } = await signIn("rotation_spaces");
    expect((await request("/me", ` ${B} , ${A} `, sessionCookieOf(response)!)).status).toBe(200);
  });

  for (const [label, secrets, problem] of [
    ["an empty entry", `${B},,${A}`, "a list with an empty entry (entry 2 of 3; commas separate secrets)"],
    ["a trailing comma", `${B},`, "a list with an empty entry (entry 2 of 2; commas separate secrets)"],
    ["a short entry", `${B},short-secret`, "shorter than 32 characters (entry 2 of 2; commas separate secrets)"],
    ["a single secret holding a comma", "0123456789abcdef,0123456789abcdef0123456789", "shorter than 32 characters (entry 1 of 2; commas separate secrets)"],
  ] as const) {
    it(`answers 500 naming SESSION_SECRET, never its value, for a list with ${label}`, async () => {
      const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
      const response = await request("/me", secrets);
      expect(response.status).toBe(500);
      const text = await response.text();
      const body = JSON.parse(text) as { error: string; error_description: string };
      expect(body.error).toBe("server_misconfigured");
      expect(body.error_description).toMatch(new RegExp(`^The server's SESSION_SECRET setting is ${problem.replace(/[()]/g, "\\$&")}\\. `));
      for (const secret of [A, B, "short-secret", "0123456789abcdef"]) expect(text).not.toContain(secret);
      expect(errors.mock.calls.map((call) => String(call[0]))).toContain(JSON.stringify({ event: "server_misconfigured", settings: ["SESSION_SECRET"] }));
    });
  }
});
