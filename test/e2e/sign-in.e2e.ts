// "Sign in with Twitter" end to end, in a real browser: Debian's headless Chromium, driven by
// playwright-core, against `wrangler dev` and the Twitter stand-in (started by global-setup.ts, at
// the `free` access level, as npm run dev starts it: the profile comes from X API v2's /2/users/me).
// A person's clicks: the landing page, the stand-in's consent page, back to the Worker; then /me,
// "Sign out", "Sign out of all devices" across two browsers, and the Cancel path. No CSP violation
// may show up on the Worker's pages, and the session cookie must be HttpOnly. In gateway mode: a
// protected page, the consent page, back on it, with an X-Twitter-Jwt-Assertion that verifies against the Worker's JWKS.
import { mkdirSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, BrowserContext, Page, Response } from "playwright-core";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, inject, test } from "vitest";
import { type Watch, launchChromium, watchContext } from "./browser.ts";

const origin = inject("e2eOrigin");
const standInOrigin = inject("e2eStandInOrigin");
/** Screenshots go to test-results/e2e/ (git ignores test-results/). */
const SCREENSHOTS = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "test-results", "e2e");
const SESSION_COOKIE = "twitter_session";
const REQUEST_TOKEN_COOKIE = "twitter_login";

let browser: Browser;

interface Scenario {
  context: BrowserContext;
  page: Page;
  watch: Watch;
}
let current: Scenario | undefined;

beforeAll(async () => {
  browser = await launchChromium(inject("e2eChromium"));
  mkdirSync(SCREENSHOTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
});

/** A fresh context (its own cookie jar) with a page on it, watched for CSP violations. */
async function openScenario(): Promise<Scenario> {
  const context = await browser.newContext({ baseURL: origin });
  context.setDefaultTimeout(15_000);
  const watch = await watchContext(context);
  const page = await context.newPage();
  current = { context, page, watch };
  return current;
}

// After each scenario: a screenshot when it failed, no CSP violation on the Worker's pages, the context closed.
afterEach(async ({ task }) => {
  const scenario = current;
  current = undefined;
  if (!scenario) return;
  try {
    if (task.result?.state === "fail") {
      const file = join(SCREENSHOTS, `failed-${task.name.replace(/[^A-Za-z0-9]+/g, "-").slice(0, 60)}.png`);
      await scenario.page.screenshot({ path: file, fullPage: true }).catch(() => undefined);
      console.error(`e2e: the page was at ${scenario.page.url()} (screenshot: ${file}); console errors: ${JSON.stringify(scenario.watch.consoleErrors)}`);
    }
    if (process.env.E2E_VERBOSE) console.log(`e2e: ${task.name}: CSP reports ${JSON.stringify(scenario.watch.csp)}; console errors ${JSON.stringify(scenario.watch.consoleErrors)}`);
    expect(scenario.watch.cspOn(origin), `Content-Security-Policy violations on the Worker's pages (${origin})`).toEqual([]);
  } finally {
    await scenario.context.close();
  }
});

/** Waits for the Worker's answer to a path (redirects included: Playwright reports each hop). */
function workerResponse(page: Page, pathname: string, method = "GET"): Promise<Response> {
  return page.waitForResponse((response) => {
    const url = new URL(response.url());
    return url.origin === origin && url.pathname === pathname && response.request().method() === method;
  });
}

/** From the Worker's `/` or `/login`: on to the stand-in's consent page. */
async function expectConsentPage(page: Page): Promise<void> {
  await page.waitForURL((url) => url.origin === standInOrigin && url.pathname === "/oauth/authenticate");
  await page.getByRole("button", { name: "Authorize app" }).waitFor();
}

/** On the consent page: types the screen name and display name and presses "Authorize app"; the Worker's /auth answer. */
async function authorize(page: Page, screenName: string, displayName: string): Promise<Response> {
  await expectConsentPage(page);
  await page.getByLabel("Screen name", { exact: true }).fill(screenName);
  await page.getByLabel("Display name (optional)").fill(displayName);
  const callback = workerResponse(page, "/auth");
  await page.getByRole("button", { name: "Authorize app" }).click();
  return callback;
}

/** The landing page shows a signed-in user. */
async function expectSignedIn(page: Page, screenName: string, displayName: string): Promise<void> {
  expect(new URL(page.url()).pathname).toBe("/");
  await page.locator("#name").waitFor();
  expect(await page.locator("#name").textContent()).toBe(displayName);
  expect(await page.locator("#screen-name").textContent()).toBe(`@${screenName}`);
  expect(await page.getByRole("button", { name: "Sign out", exact: true }).isVisible()).toBe(true);
  expect(await page.getByRole("link", { name: "Sign in with Twitter" }).count()).toBe(0);
}

/** The landing page shows the signed-out welcome. */
async function expectSignedOut(page: Page): Promise<void> {
  expect(new URL(page.url()).pathname).toBe("/");
  await page.getByRole("link", { name: "Sign in with Twitter" }).waitFor();
  expect(await page.locator("#name").count()).toBe(0);
  expect(await page.getByRole("button", { name: "Sign out", exact: true }).count()).toBe(0);
}

async function cookieNamed(context: BrowserContext, name: string) {
  return (await context.cookies(origin)).find((cookie) => cookie.name === name);
}

describe("Sign in with Twitter, in Chromium", () => {
  test("sign in from /, see the profile on / and /me, sign out: /me answers 401", async () => {
    const { context, page } = await openScenario();

    // The landing page, signed out.
    const landing = await page.goto("/");
    expect(landing?.status()).toBe(200);
    await expectSignedOut(page);

    // "Sign in with Twitter" leads to the stand-in's consent page, with the request-token cookie set (HttpOnly).
    await page.getByRole("link", { name: "Sign in with Twitter" }).click();
    await expectConsentPage(page);
    const requestTokenCookie = await cookieNamed(context, REQUEST_TOKEN_COOKIE);
    expect(requestTokenCookie, "the request-token cookie after /login").toMatchObject({ httpOnly: true, sameSite: "Lax" });

    // "Authorize app": /auth starts the session and sends the browser back to the landing page
    // (the button asked /login for next=/), signed in: name, @screen name, the avatar (loaded from
    // the stand-in), "Sign out".
    const back = await authorize(page, "e2e_alice", "Alice E2E");
    expect(back.status()).toBe(303);
    expect(back.headers()["location"]).toBe("/");
    await page.waitForURL(`${origin}/`);
    await expectSignedIn(page, "e2e_alice", "Alice E2E");
    // The sign-in cookie is spent; the session cookie is HttpOnly and not readable by the page's scripts.
    const sessionCookie = await cookieNamed(context, SESSION_COOKIE);
    expect(sessionCookie, "the session cookie after /auth").toMatchObject({ httpOnly: true, sameSite: "Lax", path: "/", secure: false });
    expect(await cookieNamed(context, REQUEST_TOKEN_COOKIE), "the request-token cookie after /auth").toBeUndefined();
    expect(await page.evaluate(() => document.cookie)).not.toContain(SESSION_COOKIE);
    const avatar = page.locator("img.avatar");
    expect(new URL((await avatar.getAttribute("src")) ?? "").origin).toBe(standInOrigin);
    await expect
      .poll(() => avatar.evaluate((image: HTMLImageElement) => (image.complete ? image.naturalWidth : -1)), { timeout: 10_000 })
      .toBeGreaterThan(0);
    await page.screenshot({ path: join(SCREENSHOTS, "signed-in-landing.png") });

    // /login without next, as a program (curl) starts it: /auth answers X's profile JSON. The stand-in
    // runs at the `free` access level, as npm run dev's does (X as it answers a new app today): v1.1
    // verify_credentials is refused with 403 code 453, and /auth answers X API v2's /2/users/me JSON,
    // saying so in X-Twitter-Profile-Source.
    await page.goto("/login");
    const auth = await authorize(page, "e2e_alice", "Alice E2E");
    await page.waitForURL((url) => url.origin === origin && url.pathname === "/auth");
    expect(auth.status()).toBe(200);
    expect(auth.headers()["content-type"]).toMatch(/^application\/json/);
    expect(auth.headers()["x-twitter-profile-source"]).toBe("users_me");
    const query = new URL(page.url()).searchParams;
    expect(query.get("oauth_token")).toBeTruthy();
    expect(query.get("oauth_verifier")).toBeTruthy();
    const raw = await auth.text();
    const account = (JSON.parse(raw) as { data: { id: string; username: string; name: string; profile_image_url: string } }).data;
    expect(account.username).toBe("e2e_alice");
    expect(account.name).toBe("Alice E2E");
    // X's JSON byte for byte: v2 writes the 64-bit id as a string.
    expect(account.id).toMatch(/^\d{19}$/);
    expect(raw).toContain(`"id":"${account.id}",`);

    // /me in the browser: the profile.
    const me = await page.goto("/me");
    expect(me?.status()).toBe(200);
    const profile = (await me?.json()) as { id: string; screenName: string; name: string };
    expect(profile).toMatchObject({ id: account.id, screenName: "e2e_alice", name: "Alice E2E" });

    // "Sign out": a POST to /logout, 303 back to / signed out, the session cookie gone.
    await page.goto("/");
    const logout = workerResponse(page, "/logout", "POST");
    await page.getByRole("button", { name: "Sign out", exact: true }).click();
    expect((await logout).status()).toBe(303);
    await page.waitForURL(`${origin}/`);
    await expectSignedOut(page);
    expect(await cookieNamed(context, SESSION_COOKIE), "the session cookie after Sign out").toBeUndefined();

    // /me now answers 401: JSON for a program (with the browser's cookies) ...
    const meAfter = await context.request.get("/me", { headers: { Accept: "application/json" } });
    expect(meAfter.status()).toBe(401);
    expect(await meAfter.json()).toMatchObject({ error: "not_signed_in", error_description: expect.any(String) });
    // ... and the HTML error page for the browser.
    const meAfterPage = await page.goto("/me");
    expect(meAfterPage?.status()).toBe(401);
    expect(await page.locator("#error-code").textContent()).toBe("not_signed_in");

    // Signing out ended the session itself, not just the cookie: the old cookie no longer works.
    const replay = await browser.newContext({ baseURL: origin });
    try {
      await replay.addCookies([sessionCookie!]);
      const replayed = await replay.request.get("/me", { headers: { Accept: "application/json" } });
      expect(replayed.status()).toBe(401);
    } finally {
      await replay.close();
    }
  });

  test("sign in from /login?next=/: the browser ends on / already signed in", async () => {
    const { context, page } = await openScenario();
    await page.goto("/login?next=/");
    const auth = await authorize(page, "e2e_bob", "Bob E2E");
    expect(auth.status()).toBe(303);
    expect(auth.headers().location).toBe("/");
    await page.waitForURL(`${origin}/`);
    await expectSignedIn(page, "e2e_bob", "Bob E2E");
    expect(await cookieNamed(context, SESSION_COOKIE)).toMatchObject({ httpOnly: true });
    const me = await context.request.get("/me", { headers: { Accept: "application/json" } });
    expect(me.status()).toBe(200);
    expect(await me.json()).toMatchObject({ screenName: "e2e_bob", name: "Bob E2E" });
  });

  test("two devices signed in as one user; Sign out of all devices on one signs the other out too", async () => {
    const phone = await openScenario();
    const laptop = await browser.newContext({ baseURL: origin });
    try {
      laptop.setDefaultTimeout(15_000);
      const laptopPage = await laptop.newPage();
      await laptopPage.goto("/login?next=/");
      await authorize(laptopPage, "e2e_dana", "Dana E2E");
      await laptopPage.waitForURL(`${origin}/`);
      await expectSignedIn(laptopPage, "e2e_dana", "Dana E2E");

      await phone.page.goto("/login?next=/");
      await authorize(phone.page, "e2e_dana", "Dana E2E");
      await phone.page.waitForURL(`${origin}/`);
      await expectSignedIn(phone.page, "e2e_dana", "Dana E2E");

      const logout = workerResponse(phone.page, "/logout", "POST");
      await phone.page.getByRole("button", { name: "Sign out of all devices" }).click();
      expect((await logout).status()).toBe(303);
      await phone.page.waitForURL(`${origin}/`);
      await expectSignedOut(phone.page);

      // The laptop did nothing, and is signed out: its next page load shows the welcome.
      await laptopPage.reload();
      await expectSignedOut(laptopPage);
      expect(await cookieNamed(laptop, SESSION_COOKIE), "the laptop's stale cookie is cleared").toBeUndefined();
    } finally {
      await laptop.close();
    }
  });

  test("the devices list: the laptop signs the phone out from its list, and stays signed in", async () => {
    const phone = await openScenario();
    const laptop = await browser.newContext({ baseURL: origin });
    try {
      laptop.setDefaultTimeout(15_000);
      const laptopPage = await laptop.newPage();
      for (const page of [phone.page, laptopPage]) {
        await page.goto("/login?next=/");
        await authorize(page, "e2e_erin", "Erin E2E");
        await page.waitForURL(`${origin}/`);
        await expectSignedIn(page, "e2e_erin", "Erin E2E");
      }
      // The laptop's page lists both sessions, its own marked.
      await laptopPage.reload();
      expect(await laptopPage.locator("#devices li").count()).toBe(2);
      expect(await laptopPage.locator("#this-device").textContent()).toContain("This device: ");

      const logout = workerResponse(laptopPage, "/logout", "POST");
      await laptopPage.locator("#devices li:not(#this-device) button").click();
      expect((await logout).status()).toBe(303);
      await laptopPage.waitForURL(`${origin}/`);
      await expectSignedIn(laptopPage, "e2e_erin", "Erin E2E");
      expect(await laptopPage.locator("#devices li").count()).toBe(1);

      // The phone did nothing, and is signed out.
      await phone.page.reload();
      await expectSignedOut(phone.page);
    } finally {
      await laptop.close();
    }
  });

  test("Cancel on the consent page: the Worker's error page (403 access_denied), then back to the start", async () => {
    const { context, page } = await openScenario();
    await page.goto("/");
    await page.getByRole("link", { name: "Sign in with Twitter" }).click();
    await expectConsentPage(page);
    const callback = workerResponse(page, "/auth");
    await page.getByRole("button", { name: "Cancel" }).click();
    const auth = await callback;
    expect(auth.status()).toBe(403);
    expect(auth.headers()["content-type"]).toMatch(/^text\/html/);
    await page.waitForURL((url) => url.origin === origin && url.pathname === "/auth" && url.searchParams.has("denied"));
    expect(await page.locator("h1").textContent()).toBe("Sign-in cancelled");
    expect(await page.locator("#error-code").textContent()).toBe("access_denied");
    expect(await page.locator("#error-description").textContent()).toMatch(/declined/);
    expect(await cookieNamed(context, REQUEST_TOKEN_COOKIE), "the request-token cookie after Cancel").toBeUndefined();
    expect(await cookieNamed(context, SESSION_COOKIE), "no session after Cancel").toBeUndefined();

    await page.getByRole("link", { name: "Back to the start" }).click();
    await page.waitForURL(`${origin}/`);
    await expectSignedOut(page);
  });

  test("the CSP watch itself sees a violation on the Worker's page (control)", async () => {
    // Without this, "no violation" could also mean "the watch is blind".
    const { page, watch } = await openScenario();
    await page.goto("/");
    await page.evaluate((blocked) => {
      const image = document.createElement("img");
      image.src = blocked;
      document.body.append(image);
    }, `${standInOrigin}/profile_images/1/control.svg`);
    await expect.poll(() => watch.cspOn(origin).map((report) => report.via).sort(), { timeout: 10_000 }).toEqual(["console", "event"]);
    expect(watch.cspOn(origin).find((report) => report.via === "event")?.text).toContain("img-src");
    watch.csp.length = 0; // expected here: not a failure of this scenario
  });
});

describe("Gateway mode (npm run dev -- --demo-origin), in Chromium", () => {
  test("a protected page, the stand-in's consent page, back on that page, which shows the identity headers it received and a JWT that verifies against the JWKS", async () => {
    const gatewayOrigin = inject("e2eGatewayOrigin");
    const gatewayStandIn = inject("e2eGatewayStandInOrigin");
    const context = await browser.newContext({ baseURL: gatewayOrigin });
    context.setDefaultTimeout(15_000);
    const watch = await watchContext(context);
    const page = await context.newPage();
    current = { context, page, watch };

    // Signed out, the protected page sends the browser to the sign-in, then to the consent page.
    await page.goto("/reports/2026?tab=sales");
    await page.waitForURL((url) => url.origin === gatewayStandIn && url.pathname === "/oauth/authenticate");
    await page.getByLabel("Screen name", { exact: true }).fill("e2e_gateway");
    await page.getByLabel("Display name (optional)").fill("Gâteway Ünïcode");
    await page.getByRole("button", { name: "Authorize app" }).click();

    // Back on the page first asked for, query included, now served by the origin.
    await page.waitForURL(`${gatewayOrigin}/reports/2026?tab=sales`);
    await page.locator("#protected").waitFor();
    expect(await page.locator("#row-0").textContent()).toBe("/reports/2026?tab=sales");
    expect(await page.locator("#row-1").textContent()).toMatch(/^\d{19}$/);
    expect(await page.locator("#row-2").textContent()).toBe("e2e_gateway");
    expect(await page.locator("#row-4").textContent()).toBe("Gâteway Ünïcode");
    expect(await page.locator("#row-5").textContent()).toBe("yes");
    // The signed assertion verifies against the JWKS the Worker serves, fetched over the network by jose.
    const assertion = (await page.locator("#row-6").textContent()) ?? "";
    const jwks = createRemoteJWKSet(new URL(`${gatewayOrigin}/_auth/.well-known/jwks.json`));
    const { payload } = await jwtVerify(assertion, jwks, { issuer: gatewayOrigin, audience: inject("e2eGatewayProtectedOrigin"), algorithms: ["ES256"] });
    expect(payload).toMatchObject({ sub: await page.locator("#row-1").textContent(), preferred_username: "e2e_gateway", name: "Gâteway Ünïcode" });

    // A WebSocket from the protected page: through the gateway to the origin, the identity on its handshake, echoed both ways.
    const live = await page.evaluate(
      (url) =>
        new Promise<string[]>((resolve, reject) => {
          const socket = new WebSocket(url);
          const received: string[] = [];
          socket.onopen = () => socket.send("hello from the page");
          socket.onmessage = (event) => {
            received.push(String(event.data));
            if (received.length === 2) {
              socket.close();
              resolve(received);
            }
          };
          socket.onerror = () => reject(new Error(`the WebSocket to ${url} failed`));
        }),
      `${gatewayOrigin.replace("http:", "ws:")}/live`,
    );
    expect(JSON.parse(live[0]!)).toEqual({ screenName: "e2e_gateway", name: "Gâteway Ünïcode", signatureVerified: true });
    expect(live[1]).toBe("echo:hello from the page");
    expect(watch.cspOn(gatewayOrigin), "CSP violations on the protected page").toEqual([]);

    // The same browser on another origin's page: localhost on another port, the same site, so the
    // browser sends the session cookie with its WebSocket. The gateway refuses it for its Origin (403).
    const other = createServer((_request, response) => response.writeHead(200, { "Content-Type": "text/html" }).end("<!doctype html><title>Another origin</title>"));
    await new Promise<void>((resolve) => other.listen(0, "127.0.0.1", resolve));
    const refusals: string[] = [];
    page.on("websocket", (socket) => socket.on("socketerror", (error) => refusals.push(error)));
    await page.goto(`http://localhost:${(other.address() as AddressInfo).port}/`).finally(() => other.close());
    const crossSite = await page.evaluate(
      (url) =>
        new Promise<string>((resolve) => {
          const socket = new WebSocket(url);
          socket.onopen = () => resolve("open");
          socket.onclose = (event) => resolve(`closed ${event.code}`);
        }),
      `${gatewayOrigin.replace("http:", "ws:")}/live`,
    );
    expect(crossSite).toBe("closed 1006");
    await expect.poll(() => refusals.join(" | "), { timeout: 10_000 }).toContain("403");
  });
});

describe("Sign in with X over OAuth 2.0 (PKCE), in Chromium", () => {
  test("sign in from / through X's OAuth 2.0 consent page, see the profile on / and /me, sign out", async () => {
    const oauth2Origin = inject("e2eOAuth2Origin");
    const { context, page } = await openScenario();
    await page.goto(`${oauth2Origin}/`);
    await page.getByRole("link", { name: "Sign in with Twitter" }).click();
    // The stand-in's OAuth 2.0 page, reached with S256 PKCE and a state.
    await page.waitForURL((url) => url.origin === inject("e2eOAuth2StandInOrigin") && url.pathname === "/i/oauth2/authorize");
    const authorizeUrl = new URL(page.url());
    expect(authorizeUrl.searchParams.get("code_challenge_method")).toBe("S256");
    expect(authorizeUrl.searchParams.get("redirect_uri")).toBe(`${oauth2Origin}/auth`);
    await page.getByLabel("Screen name", { exact: true }).fill("e2e_oauth2");
    await page.getByLabel("Display name (optional)").fill("OAuth Two");
    const callback = page.waitForResponse((response) => response.url().startsWith(`${oauth2Origin}/auth?`));
    await page.getByRole("button", { name: "Authorize app" }).click();
    const auth = await callback;
    // X's redirect carried a code; the landing page's link asked to come back to / (next=/), signed in.
    expect(new URL(auth.url()).searchParams.get("code")).toBeTruthy();
    expect(auth.status()).toBe(303);
    expect(auth.headers()["location"]).toBe("/");
    expect((await context.cookies(oauth2Origin)).find((cookie) => cookie.name === SESSION_COOKIE)).toMatchObject({ httpOnly: true, sameSite: "Lax" });
    await page.waitForURL(`${oauth2Origin}/`);
    await page.locator("#screen-name").waitFor();
    expect(await page.locator("#screen-name").textContent()).toBe("@e2e_oauth2");
    const me = await page.goto(`${oauth2Origin}/me`);
    expect(((await me?.json()) as { screenName: string }).screenName).toBe("e2e_oauth2");

    await page.goto(`${oauth2Origin}/`);
    const logout = page.waitForResponse((response) => response.url() === `${oauth2Origin}/logout` && response.request().method() === "POST");
    await page.getByRole("button", { name: "Sign out", exact: true }).click();
    expect((await logout).status()).toBe(303);
    await page.getByRole("link", { name: "Sign in with Twitter" }).waitFor();
    expect((await page.goto(`${oauth2Origin}/me`))?.status()).toBe(401);
  });
});
