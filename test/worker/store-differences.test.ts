// Where the two stores differ on purpose: a stale read elsewhere, a request token taken twice at once, KV's operation budget, expiry in the object, moving between stores, and the settings.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { createApp } from "../../src/app";
import { kvStore } from "../../src/session/kv-store";
import { publicSessionId } from "../../src/session/devices";
import { createSession } from "../../src/session/session-store";
import { inPlace, storeFor } from "../../src/session/store";
import { TEST_SESSION_SECRET } from "./support/settings";
import { staleKv } from "./support/stale-kv";
import { ENVS, SIGNED_OUT, STORES, expectError, get, inObject, logout, moreSessions, objectRows, send, sessionOf, signInWith, signedSessionCookie } from "./support/stores";

const names = (name: string) => `${name === "KV" ? "kv" : "do"}`;

describe("once a sign-out has answered, another location reads the store", () => {
  // The env a request at another Cloudflare location gets: the same bindings, but KV answers from its cache there.
  const elsewhere = (name: (typeof STORES)[number]) => ({ ...ENVS[name], AUTH_KV: staleKv(env.AUTH_KV) });

  for (const [case_, end] of [
    ["POST /logout", async (environment: Cloudflare.Env, phone: { cookie: string }) => logout(environment, phone.cookie)],
    ["?everywhere=true", async (environment: Cloudflare.Env, phone: { cookie: string }) => logout(environment, phone.cookie, "?everywhere=true")],
  ] as const) {
    it(`KV: the ended session still opens there after ${case_} (KV's propagation delay); the Durable Object store: it opens nowhere`, async () => {
      for (const name of STORES) {
        const there = elsewhere(name);
        const phone = await signInWith(ENVS[name], `${names(name)}_stale_${case_.length}`);
        const laptop = await signInWith(ENVS[name], `${names(name)}_stale_${case_.length}`);
        const ended = case_ === "POST /logout" ? phone : laptop;
        expect((await end(there, phone)).status).toBe(303);
        const me = await get(there, "/me", ended.cookie);
        if (name === "KV") {
          expect(me.status).toBe(200);
          // At the location that signed out, it is gone at once.
          expect((await get(ENVS.KV, "/me", ended.cookie)).status).toBe(401);
        } else {
          expect(me.status).toBe(401);
          expect(await me.json()).toEqual(SIGNED_OUT);
        }
      }
    });
  }

  it("KV: a device ended from another one still opens there for a while; the Durable Object store: not once POST /logout?session= has answered", async () => {
    for (const name of STORES) {
      const there = elsewhere(name);
      const laptop = await signInWith(ENVS[name], `${names(name)}_stale_one`);
      const phone = await signInWith(ENVS[name], `${names(name)}_stale_one`);
      expect((await logout(there, laptop.cookie, `?session=${await publicSessionId(phone.id)}`)).status).toBe(303);
      expect((await get(there, "/me", phone.cookie)).status).toBe(name === "KV" ? 200 : 401);
    }
  });
});

describe("a request token taken by two callbacks at once (two isolates, no isolate guard between them)", () => {
  it("the Durable Object store gives it to exactly one; KV cannot tell, and says both took it (X's own one-time rule is what stops the second)", async () => {
    for (const name of STORES) {
      const store = storeFor(ENVS[name]);
      const id = `Race${name === "KV" ? "Kv" : "Do"}${"0".repeat(16)}`;
      await store.savePendingSignIn(id, '{"token":"t","tokenSecret":"s"}', 900);
      expect(await store.readPendingSignIn(id)).toBe('{"token":"t","tokenSecret":"s"}');
      const takes = await Promise.all([store.takePendingSignIn(id), store.takePendingSignIn(id)]);
      expect(takes.filter(Boolean)).toHaveLength(name === "KV" ? 2 : 1);
      expect(await store.readPendingSignIn(id)).toBeNull();
    }
  });

  it("the Durable Object store keeps nothing of a sign-in once its request token is taken", async () => {
    const login = await send(ENVS["Durable Object"], "/login");
    const id = decodeURIComponent(login.headers.get("Set-Cookie")!.split(";")[0]!.split("=")[1]!).split(".")[0]!;
    expect(await inObject(`sign-in:${id}`, (state) => state.storage.kv.get(id))).toEqual({ value: expect.stringContaining('"token"'), expiresAt: expect.any(Number) });
    const store = storeFor(ENVS["Durable Object"]);
    expect(await inObject(`sign-in:${id}`, (state) => state.storage.getAlarm())).toEqual(expect.any(Number));
    expect(await store.takePendingSignIn(id)).toBe(true);
    expect(await tables(`sign-in:${id}`)).toEqual([]);
    expect(await inObject(`sign-in:${id}`, (state) => state.storage.getAlarm())).toBeNull();
    expect(await store.takePendingSignIn(id)).toBe(false);
  });
});

describe("KV: sign-out everywhere within the operations one invocation may make", () => {
  it("refuses every session of the user, even those whose records it could not reach within its budget, and reports success only then", async () => {
    const phone = await signInWith(ENVS.KV, "kv_budget");
    const session = (await sessionOf(ENVS.KV, phone))!;
    const others = await moreSessions(ENVS.KV, session, 30);
    // A store allowed 12 KV operations for the sign-out: the mark, its own record, one list, 4 other
    // sessions' records and index keys, its own index key.
    const store = kvStore(env.AUTH_KV, 12);
    await store.endUserSessions(session.profile.id, undefined, phone.id, inPlace);
    const left = (await Promise.all(others.map(async (other) => ((await env.AUTH_KV.get(`session:${other.id}`)) === null ? 0 : 1)))).reduce<number>((a, b) => a + b, 0);
    expect(left).toBe(26);
    for (const other of [phone, ...others]) {
      const me = await get(ENVS.KV, "/me", other.cookie);
      expect(me.status).toBe(401);
      expect(await me.json()).toEqual(SIGNED_OUT);
    }
    // Nor does the devices list show them; a sign-in after the sign-out is listed and opens.
    const fresh = await signInWith(ENVS.KV, "kv_budget");
    const listed = await get(ENVS.KV, "/sessions", fresh.cookie);
    expect(((await listed.json()) as { sessions: { id: string }[] }).sessions.map((device) => device.id)).toEqual([await publicSessionId(fresh.id)]);
  });

  it("refuses a session KV's list did not show (started at another location within the last minute)", async () => {
    const phone = await signInWith(ENVS.KV, "kv_unlisted");
    const laptop = await signInWith(ENVS.KV, "kv_unlisted");
    const userId = (await sessionOf(ENVS.KV, laptop))!.profile.id;
    await env.AUTH_KV.delete(`user-session:${userId}:${laptop.id}`);
    expect((await logout(ENVS.KV, phone.cookie, "?everywhere=true")).status).toBe(303);
    expect(await env.AUTH_KV.get(`session:${laptop.id}`)).not.toBeNull();
    const me = await get(ENVS.KV, "/me", laptop.cookie);
    expect(me.status).toBe(401);
    expect(await me.json()).toEqual(SIGNED_OUT);
  });

  it("answers 503, and leaves this browser signed in, when KV fails to write the mark", async () => {
    const phone = await signInWith(ENVS.KV, "kv_mark_fails");
    const failing = {
      ...env,
      AUTH_KV: new Proxy(env.AUTH_KV, {
        get(target, name) {
          if (name === "put") return async (key: string, ...rest: unknown[]) => (key.startsWith("user-signed-out:") ? Promise.reject(new Error("KV down")) : (target.put as (...args: unknown[]) => Promise<void>)(key, ...rest));
          const value = Reflect.get(target, name) as unknown;
          return typeof value === "function" ? value.bind(target) : value;
        },
      }),
    };
    await expectError(await logout(failing, phone.cookie, "?everywhere=true"), 503, "storage_unavailable", "The sign-in store is unavailable for a moment. Try again shortly.");
    expect((await get(ENVS.KV, "/me", phone.cookie)).status).toBe(200);
  });
});

describe("the Durable Object store's expiry", () => {
  it("refuses a session past its expiry on read, and its alarm deletes it and then the object's storage", async () => {
    const phone = await signInWith(ENVS["Durable Object"], "do_expiry");
    const session = (await sessionOf(ENVS["Durable Object"], phone))!;
    const store = storeFor(ENVS["Durable Object"]);
    const short = (await createSession(store, TEST_SESSION_SECRET, session.profile, session.credentials, { ttlSeconds: 1, limit: 100, device: {}, defer: inPlace }))!;
    expect(await objectRows(short.shard!)).toHaveLength(2);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const me = await get(ENVS["Durable Object"], "/me", await signedSessionCookie(short.id, short.shard));
    expect(me.status).toBe(401);
    expect(await me.json()).toEqual(SIGNED_OUT);

    const namespace = env.TEST_AUTH_STORE;
    const stub = namespace.get(namespace.idFromName(`user:${short.shard}`));
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await objectRows(short.shard!)).map((row) => row.id)).toEqual([phone.id]);
    // The last session ended: nothing of the object's storage is left, alarm included.
    expect((await logout(ENVS["Durable Object"], phone.cookie)).status).toBe(303);
    expect(await tables(`user:${short.shard}`)).toEqual([]);
    expect(await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm())).toBeNull();
  });
});

describe("moving between stores", () => {
  it("signs everyone in once more: a cookie of one store opens nothing in the other, and is cleared", async () => {
    const kvDevice = await signInWith(ENVS.KV, "moving_from_kv");
    const doDevice = await signInWith(ENVS["Durable Object"], "moving_from_do");
    for (const [environment, cookie] of [
      [ENVS["Durable Object"], kvDevice.cookie],
      [ENVS.KV, doDevice.cookie],
    ] as const) {
      const me = await get(environment, "/me", cookie);
      expect(me.status).toBe(401);
      expect(await me.json()).toEqual(SIGNED_OUT);
      expect(me.headers.getSetCookie().some((header) => /^twitter_session=;.*Max-Age=0/.test(header))).toBe(true);
    }
  });
});

describe("settings", () => {
  it("needs no AUTH_KV when AUTH_STORE is bound", async () => {
    const { AUTH_KV: _unused, ...rest } = ENVS["Durable Object"];
    const withoutKv = rest as Cloudflare.Env;
    const device = await signInWith(withoutKv, "do_without_kv");
    expect((await get(withoutKv, "/me", device.cookie)).status).toBe(200);
    expect((await logout(withoutKv, device.cookie, "?everywhere=true")).status).toBe(303);
  });

  it("answers 500 naming AUTH_STORE when it is bound to something else, and MAX_SESSIONS_PER_USER when it is out of range", async () => {
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    await expectError(
      await send({ ...env, AUTH_STORE: env.AUTH_KV as unknown as Cloudflare.Env["AUTH_STORE"] }, "/login"),
      500,
      "server_misconfigured",
      'The server\'s AUTH_STORE setting is not a Durable Object namespace. Bind it in wrangler.toml: [[durable_objects.bindings]] name = "AUTH_STORE", class_name = "AuthStore".',
    );
    for (const value of ["0", "1001", "ten"]) {
      await expectError(
        await send({ ...env, MAX_SESSIONS_PER_USER: value }, "/login"),
        500,
        "server_misconfigured",
        "The server's MAX_SESSIONS_PER_USER setting is not a whole number from 1 to 1000. Fix it in wrangler.toml [vars] or .dev.vars.",
      );
    }
    expect(errors.mock.calls.map((call) => String(call[0]))).toContain(JSON.stringify({ event: "server_misconfigured", settings: ["MAX_SESSIONS_PER_USER"] }));
    expect(() => createApp({ maxSessionsPerUser: 0 })).toThrow(new TypeError("twitterAuth()/twitterSession() option maxSessionsPerUser is not a whole number from 1 to 1000."));
  });

  it("takes the maxSessionsPerUser option over the setting", async () => {
    const capped = createApp({ maxSessionsPerUser: 1 });
    const environment = { ...ENVS["Durable Object"], MAX_SESSIONS_PER_USER: "50" };
    const first = await signInWith(environment, "do_option_cap", {}, {}, capped);
    const second = await signInWith(environment, "do_option_cap", {}, {}, capped);
    expect((await send(environment, "/me", { headers: { Cookie: first.cookie } }, capped)).status).toBe(401);
    expect((await send(environment, "/me", { headers: { Cookie: second.cookie } }, capped)).status).toBe(200);
  });
});

describe("gateway mode's not_allowed page", () => {
  it("lists the user's devices, this one without a second Sign out, and Sign out of all devices", async () => {
    for (const name of STORES) {
      const gateway = { ...ENVS[name], PROTECT_ORIGIN: "http://127.0.0.1:9", ALLOWED_USER_IDS: "1" };
      const worker = createApp();
      const device = await signInWith(gateway, `${names(name)}_not_allowed`, {}, {}, worker, "/_auth");
      const page = await send(gateway, "/page", { headers: { Cookie: device.cookie, Accept: "text/html" } }, worker);
      expect(page.status).toBe(403);
      const html = await page.text();
      expect(html).toContain('<form method="post" action="/_auth/logout"><button class="button secondary" id="sign-out" type="submit">Sign out</button></form>');
      expect(html).toContain('<li id="this-device"><b>This device: Unknown browser</b>');
      expect(html).not.toContain(`<form method="post" action="/_auth/logout?session=${await publicSessionId(device.id)}">`);
      expect(html).toContain('<form method="post" action="/_auth/logout?everywhere=true"><button class="button secondary" id="sign-out-everywhere" type="submit">Sign out of all devices</button></form>');
      expect(html).toContain('<code id="error-code">not_allowed</code>');
    }
  });
});

/** The tables an object of the Durable Object store holds, its key-value storage's included (none once it deleted its storage). */
function tables(name: string): Promise<string[]> {
  return inObject(name, (state) => [
    ...state.storage.sql
      .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")
      .toArray()
      .map((row) => row.name)
      .filter((table) => !table.startsWith("_cf_")),
    ...[...state.storage.kv.list()].map(([key]) => `kv:${key}`),
  ]);
}
