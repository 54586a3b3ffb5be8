// c.var.twitterApi: X API v2 beside v1.1, and the user's token sent to X's API origin only.
import { env } from "cloudflare:workers";
import { Hono } from "hono";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type TwitterAuthEnv, twitterAuth, twitterSession } from "../../src/twitter-auth";
import { decide, nextClientIp, standInOrigin } from "./support/browser";

afterEach(() => vi.restoreAllMocks());

/** A host app whose /call?path=… GETs that path through twitterApi and says what came of it. */
function hostApp() {
  const app = new Hono<TwitterAuthEnv>();
  app.route("/auth/twitter", twitterAuth());
  app.use("/call", twitterSession());
  app.get("/call", async (c) => {
    try {
      const response = await c.var.twitterApi!.get(c.req.query("path")!);
      return c.json({ status: response.status, url: response.url, body: await response.text() });
    } catch (error) {
      return c.json({ thrown: error instanceof Error ? error.name : typeof error, message: error instanceof Error ? error.message : "" });
    }
  });
  return app;
}

const site = "http://localhost:8787";

async function signedIn(app: Hono<TwitterAuthEnv>, screenName: string): Promise<string> {
  const login = await app.request(`${site}/auth/twitter/login`, { redirect: "manual", headers: { "CF-Connecting-IP": nextClientIp() } }, env);
  const back = await decide(new URL(login.headers.get("Location")!).searchParams.get("oauth_token")!, screenName);
  const auth = await app.request(back.href, { redirect: "manual", headers: { Cookie: login.headers.get("Set-Cookie")!.split(";")[0]! } }, env);
  expect(auth.status).toBe(200);
  return auth.headers.getSetCookie().find((cookie) => cookie.startsWith("twitter_session="))!.split(";")[0]!;
}

async function call(app: Hono<TwitterAuthEnv>, cookie: string, path: string): Promise<{ status?: number; url?: string; body?: string; thrown?: string; message?: string }> {
  const response = await app.request(`${site}/call?path=${encodeURIComponent(path)}`, { headers: { Cookie: cookie } }, env);
  expect(response.status).toBe(200);
  return response.json();
}

describe("twitterApi paths", () => {
  it("calls X API v2 with a path starting with 2/ (the 2/ beside TWITTER_API_BASE_URL's 1.1/), signed with the session's token", async () => {
    const app = hostApp();
    const cookie = await signedIn(app, "api_v2_user");
    const v2 = await call(app, cookie, "2/users/me");
    expect(v2).toMatchObject({ status: 200, url: `${standInOrigin()}/2/users/me` });
    expect(JSON.parse(v2.body!).data).toMatchObject({ username: "api_v2_user" });
    // An absolute path on the API's origin names the same endpoint.
    expect(await call(app, cookie, "/2/users/me")).toMatchObject({ status: 200, url: `${standInOrigin()}/2/users/me` });
    // Any other relative path is v1.1, under the base, as before.
    const v1 = await call(app, cookie, "account/verify_credentials.json");
    expect(v1).toMatchObject({ status: 200, url: `${standInOrigin()}/1.1/account/verify_credentials.json` });
    expect(JSON.parse(v1.body!).screen_name).toBe("api_v2_user");
  });

  // Issue 19 (Package): get(path) resolved new URL(path, apiBaseUrl), so an absolute URL sent a
  // request signed with the user's token (oauth_token in its Authorization header) to another host.
  it("refuses a URL that leaves X's API origin with a TypeError, and sends nothing anywhere", async () => {
    const app = hostApp();
    const cookie = await signedIn(app, "api_origin_user");
    const sent = vi.spyOn(globalThis, "fetch");
    for (const path of ["https://evil.example/steal", "//evil.example/steal", "/\\evil.example/steal", "http://evil.example:8080/", `${standInOrigin().replace("http:", "https:")}/2/users/me`]) {
      expect(await call(app, cookie, path), path).toEqual({
        thrown: "TypeError",
        message: expect.stringMatching(/^twitterApi refuses a URL on https?:\/\/[^ ]+: only X's API \(http:\/\/127\.0\.0\.1:\d+\) gets the user's token\. Give a path such as 2\/users\/me\.$/),
      });
    }
    expect(sent).not.toHaveBeenCalled();
    // An absolute URL on X's own API origin is fine.
    expect(await call(app, cookie, `${standInOrigin()}/2/users/me`)).toMatchObject({ status: 200 });
  });
});
