// The devices list on the page (issue 25): what it asserts comes from what the visitor cannot type; this device first, with one Sign out; a confirmation when another device is ended; no country in local development.
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { publicSessionId } from "../../src/session/devices";
import { decide } from "./support/browser";
import { ENVS, STORES, app, get, logout, moreSessions, sessionOf, signInWith } from "./support/stores";

afterEach(() => vi.restoreAllMocks());

const WINDOWS_CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const IPHONE_SAFARI = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1";

/** The page's list items, in order, as text without tags. */
function rows(html: string): string[] {
  const list = /<ul class="devices" id="devices">([\s\S]*?)<\/ul>/.exec(html)?.[1] ?? "";
  return [...list.matchAll(/<li[^>]*>([\s\S]*?)<\/li>/g)].map((match) => match[1]!.replace(/<[^>]+>/g, " ").replace(/\s+/g, " ").trim());
}

/** The actions of the page's forms that sign out the session `id` (by its plain form or by its public id). */
async function signOutFormsFor(html: string, id: string): Promise<string[]> {
  const own = `/logout?session=${await publicSessionId(id)}`;
  return [...html.matchAll(/<form method="post" action="([^"]*)">/g)].map((match) => match[1]!).filter((action) => action === "/logout" || action === own);
}

describe.each(STORES)("with the %s store", (name) => {
  const environment = ENVS[name];
  const user = (suffix: string) => `${name === "KV" ? "kv" : "do"}_dev_${suffix}`;

  it("marks this device by its session, never by what a User-Agent says: a hostile one reads as no other row's label", async () => {
    const laptop = await signInWith(environment, user("lie"), { "User-Agent": WINDOWS_CHROME });
    await signInWith(environment, user("lie"), { "User-Agent": "Chrome on Windows (this device)" });
    await signInWith(environment, user("lie"), { "User-Agent": "This device" });
    const html = await (await get(environment, "/", laptop.cookie)).text();
    const listed = rows(html);
    expect(listed).toHaveLength(3);
    // One row says it is this device, and it is the laptop's, first.
    expect(listed.filter((row) => /this device/i.test(row))).toEqual([listed[0]]);
    expect(listed[0]).toMatch(/^This device: Chrome on Windows\b/);
    expect(html.match(/id="this-device"/g)).toHaveLength(1);
    // The others are labelled from a fixed vocabulary, whatever they sent.
    expect(listed.slice(1).map((row) => row.split(" signed in")[0])).toEqual(["Unknown browser", "Unknown browser on Windows"]);
  });

  it("lists this device first (then newest first) with a single Sign out for it; each other device has its own", async () => {
    const phone = await signInWith(environment, user("order"), { "User-Agent": IPHONE_SAFARI });
    const laptop = await signInWith(environment, user("order"), { "User-Agent": WINDOWS_CHROME });
    const tablet = await signInWith(environment, user("order"), { "User-Agent": "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0" });
    const html = await (await get(environment, "/", laptop.cookie)).text();
    expect(rows(html).map((row) => row.split(" signed in")[0])).toEqual(["This device: Chrome on Windows", "Firefox on Linux", "Safari on iPhone"]);
    expect(await signOutFormsFor(html, laptop.id)).toEqual(["/logout"]);
    for (const other of [phone, tablet]) expect(html).toContain(`action="/logout?session=${await publicSessionId(other.id)}"`);
  });

  it("confirms on the page that another device was signed out, once, from a fixed message", async () => {
    const laptop = await signInWith(environment, user("ended"), { "User-Agent": WINDOWS_CHROME });
    const phone = await signInWith(environment, user("ended"), { "User-Agent": IPHONE_SAFARI });
    const out = await logout(environment, laptop.cookie, `?session=${await publicSessionId(phone.id)}`);
    expect(out.status).toBe(303);
    const notice = out.headers.getSetCookie().find((cookie) => cookie.startsWith("twitter_notice="));
    expect(notice).toMatch(/^twitter_notice=device_signed_out; Max-Age=60; Path=\/; HttpOnly; SameSite=Lax$/);
    const page = await get(environment, out.headers.get("Location")!, `${laptop.cookie}; ${notice!.split(";")[0]}`);
    const html = await page.text();
    expect(html).toContain('<p class="notice" id="devices-notice" role="status">The other device is signed out: it needs to sign in again to get back in.</p>');
    expect(rows(html)).toHaveLength(1);
    // Shown once: the answer clears it.
    expect(page.headers.getSetCookie()).toContain("twitter_notice=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax");
    // Without it, or with any other value, no message (and nothing of the value on the page).
    expect(await (await get(environment, "/", laptop.cookie)).text()).not.toContain("devices-notice");
    const forged = await (await get(environment, "/", `${laptop.cookie}; twitter_notice=%3Cb%3Eyou%20were%20hacked`)).text();
    expect(forged).not.toContain("devices-notice");
    expect(forged).not.toContain("hacked");
  });
});

describe("where a device signed in", () => {
  it("is Cloudflare's country, kept when the sign-in came through Cloudflare, and none in local development (no invented one)", async () => {
    const environment = ENVS.KV;
    const local = await signInWith(environment, "dev_country", { "User-Agent": WINDOWS_CHROME }, { cf: { country: "US" } } as RequestInit);
    // The same user signing in at a public host, as Cloudflare serves it.
    const origin = "https://login.example.org";
    const login = await app.request(`${origin}/login`, { headers: { "CF-Connecting-IP": "198.51.100.7" }, redirect: "manual" }, environment);
    expect(login.status, await login.clone().text()).toBe(302);
    const back = await decide(new URL(login.headers.get("Location")!).searchParams.get("oauth_token")!, "dev_country");
    const auth = await app.request(`${origin}${back.pathname}${back.search}`, { headers: { Cookie: login.headers.get("Set-Cookie")!.split(";")[0]! }, cf: { country: "DE" } } as RequestInit, environment);
    expect(auth.status).toBe(200);
    const sessions = (await (await get(environment, "/sessions", local.cookie)).json()) as { sessions: { current: boolean; country: string | null }[] };
    expect(sessions.sessions.map(({ current, country }) => ({ current, country }))).toEqual([
      { current: false, country: "DE" },
      { current: true, country: null },
    ]);
    const html = await (await get(environment, "/", local.cookie)).text();
    expect(rows(html)[0]).toMatch(/^This device: Chrome on Windows signed in \d{4}-\d\d-\d\d \d\d:\d\d UTC, last seen/);
    expect(rows(html)[1]).toMatch(/^Unknown browser signed in \d{4}-\d\d-\d\d \d\d:\d\d UTC in DE, last seen/);
  });
});

describe.each(STORES)("the devices list's cost, with the %s store", (name) => {
  it("reads at most 100 sessions, however many the user has (a KV list of at most 100 keys)", async () => {
    const environment = ENVS[name];
    const phone = await signInWith(environment, `${name === "KV" ? "kv" : "do"}_dev_many`);
    await moreSessions(environment, (await sessionOf(environment, phone))!, 104);
    const lists = name === "KV" ? vi.spyOn(env.AUTH_KV, "list") : undefined;
    const listed = ((await (await get(environment, "/sessions", phone.cookie)).json()) as { sessions: { current: boolean }[] }).sessions;
    expect(listed).toHaveLength(100);
    if (lists) {
      expect(lists).toHaveBeenCalledTimes(1);
      expect(lists.mock.calls[0]![0]).toMatchObject({ limit: 100 });
    }
    // The newest first (the Durable Object's order; KV's list is by key): the phone, signed in first, is the oldest of 105.
    if (name === "Durable Object") expect(listed.some((device) => device.current)).toBe(false);
  });
});
