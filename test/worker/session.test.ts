// Sessions, /me, /logout, next, options, the landing page and HTML errors.
import { env, exports } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createApp } from "../../src/app";
import { unseal } from "../../src/session/seal";
import { callback, decide, kvKeys, nextClientIp, signIn, standInOrigin, startLogin } from "./support/browser";

const SESSION_PREFIX = "session:";

afterEach(() => vi.restoreAllMocks());

/** The session cookie a response set, as `name=value`. */
function sessionCookie(response: Response): string {
  const header = response.headers.getSetCookie().find((cookie) => /^(__Host-)?twitter_session=[^;]/.test(cookie));
  if (!header) throw new Error(`no session cookie in ${response.headers.getSetCookie().join(" | ")}`);
  return header.split(";")[0]!;
}

function get(path: string, cookie?: string, headers: Record<string, string> = {}, origin = "http://localhost:8787"): Promise<Response> {
  return exports.default.fetch(`${origin}${path}`, { headers: { ...headers, ...(cookie ? { Cookie: cookie } : {}) }, redirect: "manual" });
}

function logout(cookie: string, from = "http://localhost:8787", origin = "http://localhost:8787"): Promise<Response> {
  return exports.default.fetch(`${origin}/logout`, {
    method: "POST",
    headers: { Cookie: cookie, Origin: from, "Content-Type": "application/x-www-form-urlencoded" },
    body: "",
    redirect: "manual",
  });
}

async function sealedRecord(id: string): Promise<string> {
  return (await env.AUTH_KV.get(SESSION_PREFIX + id))!;
}

describe("the session after /auth", () => {
  it("starts a session under a new id, in its own cookie, with the profile and the token sealed", async () => {
    const { start, response } = await signIn("session_user");
    expect(response.status).toBe(200);
    const cookie = sessionCookie(response);
    const header = response.headers.getSetCookie().find((value) => value.startsWith("twitter_session="))!;
    expect(header).toContain("Max-Age=604800");
    expect(header).toContain("Path=/");
    expect(header).toContain("HttpOnly");
    expect(header).toContain("SameSite=Lax");
    const sessionId = decodeURIComponent(cookie.split("=")[1]!).split(".")[0]!;
    const requestTokenId = decodeURIComponent(start.cookie.split("=")[1]!).split(".")[0]!;
    expect(sessionId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(sessionId).not.toBe(requestTokenId);

    // The whole record is sealed: nothing of the user, the token or its secret is readable in KV.
    const sealed = await sealedRecord(sessionId);
    expect(sealed).toMatch(/^[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain("session_user");
    // Only SESSION_SECRET opens it, and only under this session's id.
    const record = (await unseal(env.SESSION_SECRET!, sessionId, sealed)) as { profile: { id: string; screenName: string; name: string }; token: string; tokenSecret: string };
    expect(record.profile).toMatchObject({ screenName: "session_user", name: expect.any(String), id: expect.stringMatching(/^\d{19}$/) });
    // The stand-in's access tokens begin with the user's id.
    expect(record.token).toMatch(new RegExp(`^${record.profile.id}-`));
    expect(record.tokenSecret).toEqual(expect.any(String));
    expect(await unseal("another-secret-0123456789abcdefghijkl", sessionId, sealed)).toBeUndefined();
    expect(await unseal(env.SESSION_SECRET!, "AAAAAAAAAAAAAAAAAAAAAA", sealed)).toBeUndefined();
  });

  it("uses __Host- and Secure for the session cookie over https", async () => {
    const { response } = await signIn("https_session", "https://login.example.org");
    const header = response.headers.getSetCookie().find((value) => value.includes("twitter_session="))!;
    expect(header).toMatch(/^__Host-twitter_session=/);
    expect(header).toContain("Secure");
    expect(header).toContain("Path=/");
  });

  it("answers /me with the profile, and 401 when nobody is signed in", async () => {
    const { response } = await signIn("me_user");
    const me = await get("/me", sessionCookie(response));
    expect(me.status).toBe(200);
    expect(me.headers.get("Cache-Control")).toBe("no-store");
    expect(await me.json()).toEqual({
      id: expect.stringMatching(/^\d{19}$/),
      screenName: "me_user",
      name: expect.any(String),
      profileImageUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/profile_images\//),
    });
    const anonymous = await get("/me");
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual({ error: "not_signed_in", error_description: "Nobody is signed in. Sign in at /login." });
  });

  it("answers 401 for a forged or stale session cookie, and clears it", async () => {
    const { response } = await signIn("stale_user");
    const cookie = sessionCookie(response);
    const tampered = cookie.replace(/=(.)/, (_m, first: string) => `=${first === "A" ? "B" : "A"}`);
    const forged = await get("/me", tampered);
    expect(forged.status).toBe(401);
    expect(forged.headers.get("Set-Cookie")).toMatch(/twitter_session=; Max-Age=0/);
    const id = decodeURIComponent(cookie.split("=")[1]!).split(".")[0]!;
    await env.AUTH_KV.delete(SESSION_PREFIX + id);
    expect((await get("/me", cookie)).status).toBe(401);
  });
});

describe("POST /logout", () => {
  it("deletes the session, clears the cookie and redirects 303 to /", async () => {
    const { response } = await signIn("logout_user");
    const cookie = sessionCookie(response);
    const id = decodeURIComponent(cookie.split("=")[1]!).split(".")[0]!;
    const out = await logout(cookie);
    expect(out.status).toBe(303);
    expect(out.headers.get("Location")).toBe("/");
    expect(out.headers.get("Set-Cookie")).toMatch(/^twitter_session=; Max-Age=0; Path=\//);
    expect(await env.AUTH_KV.get(SESSION_PREFIX + id)).toBeNull();
    expect((await get("/me", cookie)).status).toBe(401);
  });

  it("refuses a sign-out posted from another origin, and keeps the session", async () => {
    const { response } = await signIn("csrf_user");
    const cookie = sessionCookie(response);
    const out = await logout(cookie, "https://evil.example");
    expect(out.status).toBe(403);
    expect(await out.json()).toEqual({ error: "cross_site_request", error_description: "Refused: signing out needs an Origin or Sec-Fetch-Site header saying this site, as browsers send from its own pages." });
    expect((await get("/me", cookie)).status).toBe(200);
  });

  it("has no GET /logout (a link or an image cannot sign anyone out): 405, Allow: POST", async () => {
    const response = await get("/logout");
    expect(response.status).toBe(405);
    expect(response.headers.get("Allow")).toBe("POST");
  });
});

describe("next", () => {
  it("redirects 303 to the next path given to /login instead of answering JSON", async () => {
    const start = await startLogin("http://localhost:8787", "/login?next=%2Faccount%3Ftab%3D1");
    const back = await decide(start.oauthToken, "next_user");
    const response = await callback(back, start.cookie);
    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toBe("/account?tab=1");
    expect(sessionCookie(response)).toMatch(/^twitter_session=/);
  });

  for (const next of ["//evil.example/", "/\\evil.example", "https://evil.example/", "javascript:alert(1)", "/a\tb", "/a%0d%0aSet-Cookie:x=1".replace(/%0d%0a/, "\r\n"), "relative", "/" + "a".repeat(600)]) {
    it(`refuses next=${JSON.stringify(next).slice(0, 40)} with 400 and stores nothing`, async () => {
      const before = await kvKeys(env.AUTH_KV, "request-token:");
      const response = await get(`/login?next=${encodeURIComponent(next)}`, undefined, { "CF-Connecting-IP": nextClientIp() });
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ error: "invalid_request", error_description: expect.stringMatching(/^next must be a path on this site|^next is too long/) });
      expect(await kvKeys(env.AUTH_KV, "request-token:")).toEqual(before);
    });
  }
});

describe("options", () => {
  it("passes force_login and screen_name to X's page, and refuses bad ones", async () => {
    const start = await startLogin("http://localhost:8787", "/login?force_login=true&screen_name=jack");
    expect(start.location.searchParams.get("force_login")).toBe("true");
    expect(start.location.searchParams.get("screen_name")).toBe("jack");
    const bad = await get("/login?screen_name=%3Cscript%3E", undefined, { "CF-Connecting-IP": nextClientIp() });
    expect(bad.status).toBe(400);
    expect((await bad.json<{ error: string }>()).error).toBe("invalid_request");
    expect((await get("/login?force_login=yes", undefined, { "CF-Connecting-IP": nextClientIp() })).status).toBe(400);
  });

  it("asks for the email with include_email, sends x_auth_access_type, and can use the authorize page", async () => {
    const app = createApp({ includeEmail: true, accessType: "write", authorizePage: "authorize" });
    const sent: string[] = [];
    const realFetch = globalThis.fetch;
    vi.spyOn(globalThis, "fetch").mockImplementation((input, init) => {
      sent.push(input instanceof Request ? input.url : String(input));
      return realFetch(input, init);
    });
    const login = await app.request("http://localhost:8787/login", { headers: { "CF-Connecting-IP": nextClientIp() } }, env);
    expect(login.status).toBe(302);
    const location = new URL(login.headers.get("Location")!);
    expect(location.pathname).toBe("/oauth/authorize");
    expect(sent[0]).toMatch(/\/oauth\/request_token\?x_auth_access_type=write$/);
    const back = await decide(location.searchParams.get("oauth_token")!, "email_user");
    const response = await app.request(back.href, { headers: { Cookie: login.headers.get("Set-Cookie")!.split(";")[0]! } }, env);
    expect(response.status).toBe(200);
    expect(JSON.parse(await response.text()).email).toBe("email_user@example.com");
    expect(sent.some((url) => url.includes("verify_credentials.json") && url.includes("include_email=true"))).toBe(true);
  });

  it("leaves the email out by default", async () => {
    const { response } = await signIn("no_email");
    expect(JSON.parse(await response.text()).email).toBeUndefined();
  });

  it("refuses bad options when the app is built", async () => {
    const { twitterAuth } = await import("../../src/twitter-auth");
    expect(() => twitterAuth({ afterLogout: "https://evil.example" })).toThrow(/afterLogout/);
    expect(() => twitterAuth({ sessionTtlSeconds: 5 })).toThrow(/sessionTtlSeconds/);
  });
});

describe("pages for people", () => {
  it("shows a sign-in link when signed out, under a strict CSP", async () => {
    const page = await get("/");
    expect(page.status).toBe(200);
    expect(page.headers.get("Content-Type")).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toMatch(/<a class="button" id="sign-in" href="\/login\?next=\/">Sign in with Twitter<\/a>/);
    const csp = page.headers.get("Content-Security-Policy")!;
    expect(csp).toMatch(/^default-src 'none'; style-src 'nonce-[A-Za-z0-9_-]{22}'; img-src 'none'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'$/);
    const nonce = /'nonce-([^']+)'/.exec(csp)![1]!;
    expect(html).toContain(`<style nonce="${nonce}">`);
    expect(html).not.toMatch(/<script|https?:\/\/(?!127\.0\.0\.1)/);
  });

  it("shows the avatar, name, @screen name and a sign-out form when signed in, escaping what X sent", async () => {
    const start = await startLogin();
    const consent = await fetch(`${standInOrigin()}/oauth/authorize`, {
      method: "POST",
      body: new URLSearchParams({ oauth_token: start.oauthToken, screen_name: "page_user", name: '<img src=x onerror=alert(1)>"&', action: "allow" }),
      redirect: "manual",
    });
    const response = await callback(consent.headers.get("Location")!, start.cookie);
    expect(response.status).toBe(200);
    const page = await get("/", sessionCookie(response));
    const html = await page.text();
    expect(html).toContain('<h1 class="name" id="name">&lt;img src=x onerror=alert(1)&gt;&quot;&amp;</h1>');
    expect(html).toContain('<p class="handle" id="screen-name">@page_user</p>');
    expect(html).toMatch(/<img class="avatar" src="http:\/\/127\.0\.0\.1:\d+\/profile_images\/\d+\/normal\.svg"/);
    expect(html).toContain('<form method="post" action="/logout"><button class="button secondary" id="sign-out" type="submit">Sign out</button></form>');
    expect(page.headers.get("Content-Security-Policy")).toContain(`img-src ${standInOrigin()};`);
  });

  it("answers errors as an HTML page with a way back when the client prefers HTML", async () => {
    const response = await get("/auth?denied=abc", undefined, { Accept: "text/html,application/xhtml+xml,*/*;q=0.8" });
    expect(response.status).toBe(403);
    expect(response.headers.get("Content-Type")).toMatch(/^text\/html/);
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    const html = await response.text();
    expect(html).toContain("<h1>Sign-in cancelled</h1>");
    expect(html).toContain('<p id="error-description">You declined to sign in with Twitter.');
    expect(html).toContain('<a class="button" href="/">Back to the start</a>');
    expect(html).toContain('<code id="error-code">access_denied</code>');
    // API clients keep the JSON shape.
    const json = await get("/auth?denied=abc", undefined, { Accept: "application/json" });
    expect((await json.json<{ error: string }>()).error).toBe("access_denied");
  });
});
