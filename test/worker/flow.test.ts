// The sign-in flow against the Twitter stand-in: /login -> X -> /auth, state in KV, cookie, JSON passed through.
import { env, exports } from "cloudflare:workers";
import { serializeSigned } from "hono/utils/cookie";
import { afterEach, describe, expect, it, vi } from "vitest";
import app from "../../src/index";
import { TEST_SESSION_SECRET } from "./support/settings";
import { callback, decide, kvKeys, nextClientIp, signIn, standInOrigin, startLogin } from "./support/browser";

const PREFIX = "request-token:";

afterEach(() => vi.restoreAllMocks());

async function pendingEntries() {
  const keys = await kvKeys(env.AUTH_KV, PREFIX);
  return Promise.all(keys.map(async (key) => ({ key, value: JSON.parse((await env.AUTH_KV.get(key))!) })));
}

describe("GET /login", () => {
  it("stores the request token in KV under a random id and redirects to X's authenticate page", async () => {
    const before = await kvKeys(env.AUTH_KV, PREFIX);
    const start = await startLogin();
    expect(start.location.origin + start.location.pathname).toBe(`${standInOrigin()}/oauth/authenticate`);
    expect(start.oauthToken).not.toBe("");
    expect(start.response.headers.get("Cache-Control")).toBe("no-store");

    const entries = (await pendingEntries()).filter((entry) => !before.includes(entry.key));
    expect(entries).toHaveLength(1);
    const [{ key, value }] = entries as [{ key: string; value: { token: string; tokenSecret: string } }];
    const id = key.slice(PREFIX.length);
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/); // 128 bits
    expect(value.token).toBe(start.oauthToken);
    expect(value.tokenSecret.length).toBeGreaterThanOrEqual(16);

    // The cookie names the id, signed; the secret is nowhere the browser can see.
    expect(decodeURIComponent(start.cookie)).toMatch(new RegExp(`^twitter_login=${id}\\.\\d+\\.`));
    const visible = JSON.stringify([...start.response.headers]) + (await start.response.text());
    expect(visible).not.toContain(value.tokenSecret);
  });

  it("sets an HttpOnly, SameSite=Lax cookie on Path=/ with Max-Age equal to the KV TTL over http", async () => {
    const { setCookie } = await startLogin("http://localhost:8787");
    expect(setCookie).toMatch(/^twitter_login=/);
    expect(setCookie).toContain("Max-Age=900");
    expect(setCookie).toContain("Path=/");
    expect(setCookie).toContain("HttpOnly");
    expect(setCookie).toContain("SameSite=Lax");
    expect(setCookie).not.toContain("Secure");
  });

  it("uses the __Host- prefix and Secure over https", async () => {
    const { setCookie } = await startLogin("https://login.example.org");
    expect(setCookie).toMatch(/^__Host-twitter_login=/);
    expect(setCookie).toContain("Secure");
    expect(setCookie).toContain("Path=/");
    expect(setCookie).not.toContain("Domain=");
  });

  it("derives oauth_callback from the host that received the request", async () => {
    const start = await startLogin("https://login.example.org");
    const back = await decide(start.oauthToken, "callback_host");
    expect(back.origin + back.pathname).toBe("https://login.example.org/auth");
    const local = await startLogin("http://127.0.0.1:8787");
    expect((await decide(local.oauthToken, "callback_host")).href).toMatch(/^http:\/\/127\.0\.0\.1:8787\/auth\?/);
  });
});

describe("a callback URL X does not approve", () => {
  it("answers 502 callback_not_approved naming the URL to register", async () => {
    const response = await exports.default.fetch("https://unregistered.example.net/login", { redirect: "manual", headers: { "CF-Connecting-IP": nextClientIp() } });
    expect(response.status).toBe(502);
    expect(await response.json()).toEqual({
      error: "callback_not_approved",
      error_description: expect.stringContaining("Register https://unregistered.example.net/auth as a callback URL"),
    });
    expect(response.headers.get("Set-Cookie")).toBeNull();
  });
});

describe("GET /auth", () => {
  it("answers X's verify_credentials JSON byte for byte, with the id above 2^53 intact", async () => {
    const { response } = await signIn("jack_example");
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toBe("application/json; charset=utf-8");
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    const text = await response.text();
    const id = /"id":(\d+),/.exec(text)?.[1];
    const idStr = /"id_str":"(\d+)"/.exec(text)?.[1];
    expect(id).toBeDefined();
    expect(id).toBe(idStr);
    expect(BigInt(id!)).toBeGreaterThan(2n ** 53n);
    expect(JSON.parse(text).screen_name).toBe("jack_example");
    // skip_status=true was sent and signed: no status object.
    expect(JSON.parse(text).status).toBeUndefined();
  });

  it("deletes the KV entry and clears the cookie after a sign-in", async () => {
    const { start, response } = await signIn("cleanup_user");
    expect(response.status).toBe(200);
    const entries = await pendingEntries();
    expect(entries.map((entry) => entry.value.token)).not.toContain(start.oauthToken);
    expect(response.headers.get("Set-Cookie")).toMatch(/^twitter_login=; Max-Age=0; Path=\/; HttpOnly; SameSite=Lax/);
  });

  it("gives each user their own identity", async () => {
    const [alice, bob] = await Promise.all([signIn("alice_example"), signIn("bob_example")]);
    const aliceJson = JSON.parse(await alice.response.text());
    const bobJson = JSON.parse(await bob.response.text());
    expect(aliceJson.screen_name).toBe("alice_example");
    expect(bobJson.screen_name).toBe("bob_example");
    expect(aliceJson.id_str).not.toBe(bobJson.id_str);
  });

  it("answers 403 access_denied when the user pressed Cancel, and removes the KV entry", async () => {
    const start = await startLogin();
    const back = await decide(start.oauthToken, "", "deny");
    expect(back.searchParams.get("denied")).toBe(start.oauthToken);
    const response = await callback(back, start.cookie);
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({
      error: "access_denied",
      error_description: expect.stringContaining("You declined to sign in with Twitter"),
    });
    expect((await pendingEntries()).map((entry) => entry.value.token)).not.toContain(start.oauthToken);
  });

  it("refuses a callback whose oauth_token differs from the stored one, using nothing up (nobody can cancel a sign-in from elsewhere)", async () => {
    const start = await startLogin();
    const back = await decide(start.oauthToken, "mismatch_user");
    const forged = new URL(back);
    forged.searchParams.set("oauth_token", "someone-elses-token");
    const response = await callback(forged, start.cookie);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: "token_mismatch", error_description: expect.stringContaining("is not this sign-in's") });
    expect(response.headers.getSetCookie()).toEqual([]);
    expect((await pendingEntries()).map((entry) => entry.value.token)).toContain(start.oauthToken);
    // A callback without the token or the verifier uses nothing up either; X's real one then finishes.
    expect((await callback(`http://localhost:8787/auth`, start.cookie)).status).toBe(400);
    expect((await callback(`http://localhost:8787/auth?oauth_token=${start.oauthToken}`, start.cookie)).status).toBe(400);
    expect((await callback(back, start.cookie)).status).toBe(200);
  });

  it("refuses a callback without the cookie", async () => {
    const start = await startLogin();
    const back = await decide(start.oauthToken, "no_cookie");
    const response = await callback(back);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: "missing_cookie", error_description: expect.stringContaining("The sign-in cookie is missing") });
  });

  it("refuses a tampered cookie", async () => {
    const start = await startLogin();
    const back = await decide(start.oauthToken, "tampered");
    const [name, value] = start.cookie.split("=") as [string, string];
    const decoded = decodeURIComponent(value);
    const tampered = `${name}=${encodeURIComponent(`${decoded.slice(0, 5)}${decoded[5] === "A" ? "B" : "A"}${decoded.slice(6)}`)}`;
    const response = await callback(back, tampered);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: "invalid_cookie", error_description: expect.stringContaining("not valid") });
  });

  it("refuses a cookie signed with another key", async () => {
    const start = await startLogin();
    const back = await decide(start.oauthToken, "other_key");
    const id = decodeURIComponent(start.cookie).split("=")[1]!.split(".")[0]!;
    const forged = (await serializeSigned("twitter_login", `${id}.${Math.floor(Date.now() / 1000)}`, "another-secret-0123456789abcdefghij")).split(";")[0]!;
    const response = await callback(back, forged);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: "invalid_cookie", error_description: expect.stringContaining("not valid") });
  });

  it("refuses an expired cookie even when the browser still sends it, and deletes the entry", async () => {
    const start = await startLogin();
    const back = await decide(start.oauthToken, "expired_user");
    const id = decodeURIComponent(start.cookie).split("=")[1]!.split(".")[0]!;
    const issuedLongAgo = Math.floor(Date.now() / 1000) - 901;
    const expired = (await serializeSigned("twitter_login", `${id}.${issuedLongAgo}`, TEST_SESSION_SECRET)).split(";")[0]!;
    const response = await callback(back, expired);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: "expired_sign_in", error_description: expect.stringContaining("expired") });
    expect(await env.AUTH_KV.get(PREFIX + id)).toBeNull();
  });

  it("refuses a replayed callback", async () => {
    const start = await startLogin();
    const back = await decide(start.oauthToken, "replayed");
    expect((await callback(back, start.cookie)).status).toBe(200);
    const replay = await callback(back, start.cookie);
    expect(replay.status).toBe(400);
    expect(await replay.json()).toEqual({ error: "expired_sign_in", error_description: expect.stringContaining("already used") });
  });

  it("refuses a callback without oauth_verifier", async () => {
    const start = await startLogin();
    const back = await decide(start.oauthToken, "no_verifier");
    back.searchParams.delete("oauth_verifier");
    const response = await callback(back, start.cookie);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: "invalid_callback", error_description: expect.stringContaining("lacks oauth_token or oauth_verifier") });
  });
});

describe("configuration", () => {
  for (const setting of ["TWITTER_CLIENT_ID", "TWITTER_CLIENT_SECRET", "SESSION_SECRET"] as const) {
    it(`answers 500 naming ${setting} when it is missing, without any value`, async () => {
      const response = await app.request("http://localhost/login", { headers: { "CF-Connecting-IP": nextClientIp() } }, { ...env, [setting]: undefined });
      expect(response.status).toBe(500);
      const body = await response.json<{ error: string; error_description: string }>();
      expect(body.error).toBe("server_misconfigured");
      expect(body.error_description).toContain(setting);
      for (const value of [env.TWITTER_CLIENT_SECRET, env.SESSION_SECRET, env.TWITTER_CLIENT_ID]) {
        expect(JSON.stringify(body)).not.toContain(value);
      }
    });
  }

  it("names every missing secret at once and says what to add to .dev.vars (what `npx wrangler dev` meets with no .dev.vars)", async () => {
    const bare = { ...env, TWITTER_CLIENT_ID: undefined, TWITTER_CLIENT_SECRET: undefined, SESSION_SECRET: undefined };
    for (const path of ["/", "/login", "/me"]) {
      const response = await app.request(`http://localhost${path}`, { headers: { "CF-Connecting-IP": nextClientIp() } }, bare);
      expect(response.status).toBe(500);
      expect(await response.json()).toEqual({
        error: "server_misconfigured",
        error_description:
          "The server's SESSION_SECRET, TWITTER_CLIENT_ID, TWITTER_CLIENT_SECRET settings are not set. Locally, add to .dev.vars: " +
          "SESSION_SECRET=<32+ random characters, e.g. from openssl rand -base64 32>, TWITTER_CLIENT_ID=<your X app's API Key>, " +
          "TWITTER_CLIENT_SECRET=<its API Key Secret>, then restart wrangler dev. Deployed, run npx wrangler secret put SESSION_SECRET, npx wrangler secret put TWITTER_CLIENT_ID, npx wrangler secret put TWITTER_CLIENT_SECRET.",
      });
    }
  });

  it("writes a log line naming the missing settings, and nothing of the others' values", async () => {
    const lines: string[] = [];
    vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(" ")));
    const response = await app.request("http://localhost/login", { headers: { "CF-Connecting-IP": nextClientIp() } }, { ...env, SESSION_SECRET: undefined });
    expect(response.status).toBe(500);
    expect(lines).toEqual([JSON.stringify({ event: "server_misconfigured", settings: ["SESSION_SECRET"] })]);
  });

  it("tells a visitor of the deployed site only that it is not configured: the names stay in the log and on localhost", async () => {
    const bare = { AUTH_KV: env.AUTH_KV };
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    for (const url of ["https://login.example.org/login", "https://twitter-login.someone.workers.dev/"]) {
      const page = await app.request(url, { headers: { Accept: "text/html", "CF-Connecting-IP": nextClientIp() } }, bare);
      expect(page.status).toBe(500);
      const html = await page.text();
      expect(html).toContain("This site&#39;s sign-in is not configured yet. Its operator can see what is missing in the Worker&#39;s logs.");
      expect(html).toContain("server_misconfigured");
      for (const name of ["SESSION_SECRET", "TWITTER_CLIENT_ID", "TWITTER_CLIENT_SECRET", ".dev.vars"]) expect(html).not.toContain(name);
      const json = await app.request(url, { headers: { "CF-Connecting-IP": nextClientIp() } }, bare);
      expect(await json.json()).toEqual({ error: "server_misconfigured", error_description: "This site's sign-in is not configured yet. Its operator can see what is missing in the Worker's logs." });
    }
    for (const host of ["localhost:8787", "127.0.0.1:8787", "[::1]:8787", "my-app.localhost"]) {
      const local = await app.request(`http://${host}/login`, { headers: { "CF-Connecting-IP": nextClientIp() } }, bare);
      expect(((await local.json()) as { error_description: string }).error_description).toContain("SESSION_SECRET, TWITTER_CLIENT_ID, TWITTER_CLIENT_SECRET");
    }
  });

  it("answers 500 naming AUTH_KV when the KV binding is missing (a setup mistake, not an outage)", async () => {
    const response = await app.request("http://localhost/login", { headers: { "CF-Connecting-IP": nextClientIp() } }, { ...env, AUTH_KV: undefined });
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({
      error: "server_misconfigured",
      error_description: 'The server\'s AUTH_KV setting is missing. Bind a KV namespace named AUTH_KV in wrangler.toml: [[kv_namespaces]] binding = "AUTH_KV".',
    });
  });

  it("answers 500 naming an endpoint that is not an absolute URL", async () => {
    const response = await app.request("http://localhost/login", { headers: { "CF-Connecting-IP": nextClientIp() } }, { ...env, TWITTER_REQUEST_TOKEN_URL: "not a url" });
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ error: "server_misconfigured", error_description: expect.stringContaining("TWITTER_REQUEST_TOKEN_URL setting is not an absolute URL") });
  });

  it("falls back to X's documented endpoints when no endpoint is set", async () => {
    const { readSettings } = await import("../../src/config");
    const settings = readSettings({ AUTH_KV: env.AUTH_KV, TWITTER_CLIENT_ID: "k", TWITTER_CLIENT_SECRET: "s", SESSION_SECRET: "x".repeat(32) });
    expect(settings.requestTokenUrl).toBe("https://api.x.com/oauth/request_token");
    expect(settings.authorizeUrl).toBe("https://api.x.com/oauth/authenticate");
    expect(settings.accessTokenUrl).toBe("https://api.x.com/oauth/access_token");
    expect(settings.apiBaseUrl).toBe("https://api.x.com/1.1/");
  });
});

describe("secrets", () => {
  it("never writes a token, secret or cookie to the log", async () => {
    const lines: string[] = [];
    for (const method of ["log", "info", "warn", "error", "debug"] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(" ")));
    }
    const start = await startLogin();
    const stored = (await pendingEntries()).find((entry) => entry.value.token === start.oauthToken)!.value;
    const back = await decide(start.oauthToken, "log_checker");
    const response = await callback(back, start.cookie);
    expect(response.status).toBe(200);
    const logged = lines.join("\n");
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const secret of [stored.tokenSecret, stored.token, back.searchParams.get("oauth_verifier")!, start.cookie.split("=")[1]!, env.TWITTER_CLIENT_SECRET!, env.SESSION_SECRET!]) {
      expect(logged).not.toContain(secret);
    }
  });
});
