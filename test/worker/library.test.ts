// The building block in someone else's Worker: mounted under a prefix, with the context variables and the API helper.
import { env } from "cloudflare:workers";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { type TwitterAuthEnv, twitterAuth, twitterSession } from "../../src/twitter-auth";
import { decide, nextClientIp } from "./support/browser";

/** A separate site that mounts the sign-in under /auth/twitter. */
function hostApp() {
  const app = new Hono<TwitterAuthEnv>();
  app.route("/auth/twitter", twitterAuth({ afterLogout: "/goodbye" }));
  app.use("/account/*", twitterSession());
  app.get("/account/profile", (c) => (c.var.twitterUser ? c.text(`Hello @${c.var.twitterUser.screenName}`) : c.text("Who are you?", 401)));
  app.get("/account/twitter", async (c) => {
    if (!c.var.twitterApi) return c.text("sign in first", 401);
    const response = await c.var.twitterApi.get("account/verify_credentials.json", { skip_status: "true" });
    return c.body(await response.text(), response.status as 200, { "Content-Type": "application/json" });
  });
  return app;
}

function request(app: Hono<TwitterAuthEnv>, url: string, init: RequestInit = {}) {
  return Promise.resolve(app.request(url, { redirect: "manual", ...init }, env));
}

describe("twitterAuth() mounted under a prefix", () => {
  it("signs in with the callback URL, the request-token cookie's name and the redirects following the prefix", async () => {
    const app = hostApp();
    const login = await request(app, "http://localhost:8787/auth/twitter/login?next=%2Faccount%2Fprofile", { headers: { "CF-Connecting-IP": nextClientIp() } });
    expect(login.status).toBe(302);
    const setCookie = login.headers.get("Set-Cookie")!;
    expect(setCookie).toMatch(/^twitter_login%2Fauth%2Ftwitter=[^;]+; Max-Age=900; Path=\/; HttpOnly; SameSite=Lax$/);
    const back = await decide(new URL(login.headers.get("Location")!).searchParams.get("oauth_token")!, "prefix_user");
    expect(back.origin + back.pathname).toBe("http://localhost:8787/auth/twitter/auth");

    const auth = await request(app, back.href, { headers: { Cookie: setCookie.split(";")[0]! } });
    expect(auth.status).toBe(303);
    expect(auth.headers.get("Location")).toBe("/account/profile");
    const cookies = auth.headers.getSetCookie();
    expect(cookies.find((cookie) => cookie.startsWith("twitter_login%2Fauth%2Ftwitter="))).toMatch(/Max-Age=0; Path=\/;/);
    const session = cookies.find((cookie) => cookie.startsWith("twitter_session="))!;
    expect(session).toContain("Path=/;");

    const sessionCookie = session.split(";")[0]!;
    const profile = await request(app, "http://localhost:8787/account/profile", { headers: { Cookie: sessionCookie } });
    expect(await profile.text()).toBe("Hello @prefix_user");
    const me = await request(app, "http://localhost:8787/auth/twitter/me", { headers: { Cookie: sessionCookie } });
    expect(((await me.json()) as { screenName: string }).screenName).toBe("prefix_user");

    // The helper signs calls to X with the session's own token.
    const twitter = await request(app, "http://localhost:8787/account/twitter", { headers: { Cookie: sessionCookie } });
    expect(twitter.status).toBe(200);
    expect(JSON.parse(await twitter.text()).screen_name).toBe("prefix_user");

    const out = await request(app, "http://localhost:8787/auth/twitter/logout", {
      method: "POST",
      headers: { Cookie: sessionCookie, Origin: "http://localhost:8787", "Content-Type": "application/x-www-form-urlencoded" },
    });
    expect(out.status).toBe(303);
    expect(out.headers.get("Location")).toBe("/goodbye");
    expect((await request(app, "http://localhost:8787/account/profile", { headers: { Cookie: sessionCookie } })).status).toBe(401);
  });

  it("uses __Host- and Path=/ for the request-token cookie under a prefix over https", async () => {
    const app = hostApp();
    const login = await request(app, "https://login.example.org/auth/twitter/login", { headers: { "CF-Connecting-IP": nextClientIp() } });
    expect(login.status).toBe(302);
    expect(login.headers.get("Set-Cookie")).toMatch(/^__Host-twitter_login%2Fauth%2Ftwitter=[^;]+; Max-Age=900; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    const back = await decide(new URL(login.headers.get("Location")!).searchParams.get("oauth_token")!, "secure_prefix");
    expect(back.href).toMatch(/^https:\/\/login\.example\.org\/auth\/twitter\/auth\?/);
    const auth = await request(app, back.href, { headers: { Cookie: login.headers.get("Set-Cookie")!.split(";")[0]! } });
    expect(auth.status).toBe(200);
    expect(auth.headers.getSetCookie().some((cookie) => /^__Host-twitter_session=.*Path=\/;.*Secure/.test(cookie))).toBe(true);
  });

  it("answers the sign-in's errors in its own shape under the prefix, and leaves the host's 404s alone", async () => {
    const app = hostApp();
    const missing = await request(app, "http://localhost:8787/auth/twitter/auth?oauth_token=a&oauth_verifier=b");
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { error: string }).error).toBe("missing_cookie");
    const anonymous = await request(app, "http://localhost:8787/auth/twitter/me");
    expect(await anonymous.json()).toEqual({ error: "not_signed_in", error_description: "Nobody is signed in. Sign in at /auth/twitter/login." });
    expect((await request(app, "http://localhost:8787/elsewhere")).status).toBe(404);
  });

  it("answers a misconfigured twitterSession() in the host's own routes in the sign-in's format, not Hono's plain 500", async () => {
    const app = hostApp();
    const broken = { ...env, SESSION_SECRET: undefined };
    const json = await app.request("http://localhost:8787/account/profile", {}, broken);
    expect(json.status).toBe(500);
    expect(json.headers.get("Cache-Control")).toBe("no-store");
    expect(await json.json()).toEqual({ error: "server_misconfigured", error_description: expect.stringMatching(/^The server's SESSION_SECRET setting is not set\. Locally, add to \.dev\.vars: SESSION_SECRET=/) });
    const page = await app.request("http://localhost:8787/account/profile", { headers: { Accept: "text/html" } }, broken);
    expect(page.status).toBe(500);
    expect(page.headers.get("Content-Type")).toMatch(/^text\/html/);
    expect(await page.text()).toContain("server_misconfigured");
    const noKv = await app.request("http://localhost:8787/account/profile", {}, { ...env, AUTH_KV: undefined });
    expect(noKv.status).toBe(500);
    expect(((await noKv.json()) as { error_description: string }).error_description).toContain("AUTH_KV");
  });

  it("answers the sign-in's errors as JSON from a host app's default error handler too (they are Hono HTTPExceptions)", async () => {
    const { SignInError } = await import("../../src/errors");
    const app = new Hono();
    app.get("/", () => {
      throw new SignInError(401, "not_signed_in", "Nobody is signed in. Sign in at /login.");
    });
    const response = await app.request("http://localhost/");
    expect(response.status).toBe(401);
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    expect(await response.json()).toEqual({ error: "not_signed_in", error_description: "Nobody is signed in. Sign in at /login." });
  });
});
