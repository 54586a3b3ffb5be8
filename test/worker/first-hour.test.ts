// A newcomer's first hour with the Worker itself: the landing page's sign-in comes back to it, and the pages and messages met on localhost say what to do.
import { env, exports } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, inject, it, vi } from "vitest";
import app from "../../src/index";
import { callback, decide, nextClientIp, startLogin } from "./support/browser";

const SITE = "http://localhost:8787";
const HTML = "text/html,application/xhtml+xml";

afterEach(() => vi.restoreAllMocks());

/** A request to the Worker with the given env. */
async function send(url: string, bindings: object = env, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("CF-Connecting-IP", nextClientIp());
  return app.request(url, { redirect: "manual", ...init, headers }, bindings);
}

/** The href of the landing page's Sign in button. */
function signInHref(html: string): string {
  const match = /<a class="button" id="sign-in" href="([^"]+)"/.exec(html);
  if (!match) throw new Error(`no Sign in button in ${html}`);
  return match[1]!.replaceAll("&amp;", "&");
}

describe("the landing page's Sign in button", () => {
  it("links to /login?next=/, so that a person comes back to the page signed in", async () => {
    const landing = await exports.default.fetch(`${SITE}/`, { headers: { Accept: HTML } });
    const href = signInHref(await landing.text());
    expect(href).toBe("/login?next=/");

    const start = await startLogin(SITE, href);
    const auth = await callback(await decide(start.oauthToken, "landing_user"), start.cookie);
    expect(auth.status).toBe(303);
    expect(auth.headers.get("Location")).toBe("/");
    const session = auth.headers.getSetCookie().find((cookie) => cookie.startsWith("twitter_session="))!.split(";")[0]!;

    const back = await exports.default.fetch(`${SITE}/`, { headers: { Accept: HTML, Cookie: session } });
    expect(back.status).toBe(200);
    const page = await back.text();
    expect(page).toContain('<p class="handle" id="screen-name">@landing_user</p>');
    expect(page).toContain('id="sign-out"');
    expect(page).not.toContain('id="sign-in"');
  });

  it("follows SIGN_IN_PREFIX and still comes back to /", async () => {
    const landing = await send(`${SITE}/`, { ...env, SIGN_IN_PREFIX: "/account" }, { headers: { Accept: HTML } });
    expect(signInHref(await landing.text())).toBe("/account/login?next=/");
  });

  it("leaves /auth answering X's profile JSON to a program that starts at /login without next (curl)", async () => {
    const start = await startLogin(SITE, "/login");
    const auth = await callback(await decide(start.oauthToken, "curl_user"), start.cookie);
    expect(auth.status).toBe(200);
    expect(auth.headers.get("Content-Type")).toBe("application/json; charset=utf-8");
    expect(await auth.json()).toMatchObject({ screen_name: "curl_user" });
  });
});

describe("/me signed out, in a browser", () => {
  it("is headed 'You are not signed in' (nobody tried a sign-in) and links the sign-in path", async () => {
    for (const [bindings, path] of [
      [env, "/login"],
      [{ ...env, SIGN_IN_PREFIX: "/account" }, "/account/login"],
    ] as const) {
      const page = await send(`${SITE}${path.replace(/login$/, "me")}`, bindings, { headers: { Accept: HTML } });
      expect(page.status).toBe(401);
      const html = await page.text();
      expect(html).toContain("<h1>You are not signed in</h1>");
      expect(html).not.toContain("The sign-in did not work");
      expect(html).toContain(`<p id="error-description">Nobody is signed in. Sign in at <a href="${path}">${path}</a>.</p>`);
      expect(html).toContain('<code id="error-code">not_signed_in</code>');
    }
  });

  it("still answers a program JSON, the path as text", async () => {
    const me = await send(`${SITE}/me`);
    expect(me.status).toBe(401);
    expect(await me.json()).toEqual({ error: "not_signed_in", error_description: "Nobody is signed in. Sign in at /login." });
  });
});

describe("messages on localhost", () => {
  it("server_misconfigured names the wrangler secret put command for each missing secret, not NAME", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    const response = await send(`${SITE}/login`, { ...env, TWITTER_CLIENT_SECRET: undefined, SESSION_SECRET: undefined });
    expect(response.status).toBe(500);
    const body = await response.json<{ error: string; error_description: string }>();
    expect(body.error).toBe("server_misconfigured");
    expect(body.error_description).toMatch(/Deployed, run npx wrangler secret put SESSION_SECRET, npx wrangler secret put TWITTER_CLIENT_SECRET\.$/);
    expect(body.error_description).not.toContain("NAME");
  });

  it("wrong_host on localhost names the documented PUBLIC_ORIGIN= line for .dev.vars; elsewhere only where to go", async () => {
    const deployed = { ...env, PUBLIC_ORIGIN: "https://login.example.org" };
    for (const origin of [SITE, "http://127.0.0.1:8787"]) {
      const local = await send(`${origin}/login`, deployed);
      expect(local.status).toBe(400);
      expect(await local.json()).toEqual({
        error: "wrong_host",
        error_description:
          "This sign-in is served at https://login.example.org. Open it there. To sign in locally instead, add the line PUBLIC_ORIGIN= (empty) to .dev.vars and restart wrangler dev.",
      });
    }
    const remote = await send("https://evil.example/login", deployed);
    expect(remote.status).toBe(400);
    expect(await remote.json()).toEqual({ error: "wrong_host", error_description: "This sign-in is served at https://login.example.org. Open it there." });
  });
});

describe("a stand-in that is not running", () => {
  const closed = () => inject("closedTestOrigin");

  beforeEach(() => {
    // Miniflare's outbound service answers a refused connection with a 500 of its own: the
    // runtime's rejection (what wrangler dev gives for a stopped stand-in) is played by a stub.
    const real = globalThis.fetch;
    vi.spyOn(globalThis, "fetch").mockImplementation((input, init) => {
      const url = String(input instanceof Request ? input.url : input);
      const refused = url.startsWith(closed()) || url.startsWith("https://api.unreachable.example/");
      return refused ? Promise.reject(new TypeError("Network connection lost.")) : real(input, init);
    });
  });

  it("names, on localhost, the address that did not answer and the setting that points at it", async () => {
    const bindings = { ...env, TWITTER_REQUEST_TOKEN_URL: `${closed()}/oauth/request_token` };
    for (const origin of [SITE, "http://127.0.0.1:8787"]) {
      const response = await send(`${origin}/login`, bindings);
      expect(response.status).toBe(502);
      expect(await response.json()).toEqual({
        error: "twitter_unreachable",
        error_description: `Twitter could not be reached (request_token). Nothing answered at ${closed()}/oauth/request_token (the TWITTER_REQUEST_TOKEN_URL setting). Is the local X stand-in running? Try again.`,
      });
    }
  });

  it("names a loopback address from any host (only a developer's stand-in lives there), never a secret or a query", async () => {
    const bindings = { ...env, TWITTER_REQUEST_TOKEN_URL: `${closed()}/oauth/request_token?key=not-to-be-shown` };
    const response = await send("https://login.example.org/login", bindings);
    expect(response.status).toBe(502);
    const body = await response.json<{ error: string; error_description: string }>();
    expect(body.error_description).toContain(`Nothing answered at ${closed()}/oauth/request_token (the TWITTER_REQUEST_TOKEN_URL setting).`);
    for (const value of ["not-to-be-shown", env.TWITTER_CLIENT_SECRET, env.SESSION_SECRET, env.TWITTER_CLIENT_ID]) expect(JSON.stringify(body)).not.toContain(value);
  });

  it("keeps the address of X to itself for a deployed site's visitors", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    const bindings = { ...env, TWITTER_REQUEST_TOKEN_URL: "https://api.unreachable.example/oauth/request_token" };
    const deployed = await send("https://login.example.org/login", bindings);
    expect(deployed.status).toBe(502);
    expect(await deployed.json()).toEqual({ error: "twitter_unreachable", error_description: "Twitter could not be reached (request_token). Try again." });
    const local = await send(`${SITE}/login`, bindings);
    expect(((await local.json()) as { error_description: string }).error_description).toBe(
      "Twitter could not be reached (request_token). Nothing answered at https://api.unreachable.example/oauth/request_token (the TWITTER_REQUEST_TOKEN_URL setting). Try again.",
    );
  });
});
