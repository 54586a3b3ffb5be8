// Regressions from the session layer's security review (KV): a re-seal or a lastSeenAt write in another isolate, landing
// after a sign-out, and KV's list failing under sign-out everywhere and the devices list.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { publicSessionId } from "../../src/session/devices";
import { readSession, resealSession, touchSession } from "../../src/session/session-store";
import { storeFor } from "../../src/session/store";
import { TEST_SESSION_SECRET } from "./support/settings";
import { ENVS, get, logout, signInWith } from "./support/stores";

afterEach(() => vi.restoreAllMocks());

const NEW = "rotated-secret-N-0123456789abcdefghijklm";

/**
 * Another isolate: its own copy of kv-store.ts (its own in-memory guards) over the same namespace,
 * whose puts of keys starting with `prefix` wait until `release()`: a request in flight there.
 */
async function otherIsolate(prefix: string) {
  vi.resetModules();
  const { kvStore } = await import("../../src/session/kv-store");
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let putStarted!: () => void;
  const started = new Promise<void>((resolve) => (putStarted = resolve));
  const held = new Proxy(env.AUTH_KV, {
    get(target, name) {
      if (name === "put") {
        return async (key: string, ...rest: unknown[]) => {
          if (key.startsWith(prefix)) {
            putStarted();
            await gate;
          }
          return (target.put as (...args: unknown[]) => Promise<void>).call(target, key, ...rest);
        };
      }
      const value = Reflect.get(target, name) as unknown;
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { store: kvStore(held), release, started };
}

/** The public ids the devices list shows the holder of `cookie`. */
async function listed(environment: Cloudflare.Env, cookie: string): Promise<string[]> {
  return ((await (await get(environment, "/sessions", cookie)).json()) as { sessions: { id: string }[] }).sessions.map((device) => device.id);
}

describe("KV: what a request in another isolate writes after a sign-out", () => {
  it("a re-seal under a rotated secret never brings back a session signed out meanwhile (it opens nowhere, and is not hidden from the list)", async () => {
    const phone = await signInWith(ENVS.KV, "kv_reseal_race");
    const laptop = await signInWith(ENVS.KV, "kv_reseal_race");
    const rotated = { ...ENVS.KV, SESSION_SECRET: `${NEW},${TEST_SESSION_SECRET}` };
    const there = await otherIsolate("session:");
    // The phone's request there: its record was sealed with the old secret, so it is brought forward after the answer.
    const session = (await readSession(there.store, [NEW, TEST_SESSION_SECRET], phone, 604_800))!;
    expect(session.sealedWithOlderSecret).toBe(true);
    const resealing = resealSession(there.store, NEW, session);
    // Until it writes (or is done without writing, as it should be).
    await Promise.race([there.started, resealing]);
    // Meanwhile the user signs the phone out here.
    expect((await logout(rotated, phone.cookie)).status).toBe(303);
    expect((await get(rotated, "/me", phone.cookie)).status).toBe(401);
    there.release();
    await resealing;
    expect((await get(rotated, "/me", phone.cookie)).status).toBe(401);
    expect(await env.AUTH_KV.get(`session:${phone.id}`)).toBeNull();
    expect(await listed(rotated, laptop.cookie)).toEqual([await publicSessionId(laptop.id)]);
  });

  it("a lastSeenAt write never brings back a device ended meanwhile into the devices list", async () => {
    const phone = await signInWith(ENVS.KV, "kv_touch_race");
    const laptop = await signInWith(ENVS.KV, "kv_touch_race");
    const session = (await readSession(storeFor(ENVS.KV), [TEST_SESSION_SECRET], phone, 604_800))!;
    // Last seen ten minutes ago (as if): the phone's next request writes lastSeenAt.
    const key = `user-session:${session.profile.id}:${phone.id}`;
    const { metadata } = await env.AUTH_KV.getWithMetadata<Record<string, unknown>>(key);
    await env.AUTH_KV.put(key, "", { expiration: session.expiresAt, metadata: { ...metadata, lastSeenAt: Date.now() - 600_000 } });
    const there = await otherIsolate("user-session:");
    const touching = touchSession(there.store, session);
    await there.started;
    // The laptop ends the phone from its list, while the write waits.
    expect((await logout(ENVS.KV, laptop.cookie, `?session=${await publicSessionId(phone.id)}`)).status).toBe(303);
    there.release();
    await touching;
    expect((await get(ENVS.KV, "/me", phone.cookie)).status).toBe(401);
    expect(await listed(ENVS.KV, laptop.cookie)).toEqual([await publicSessionId(laptop.id)]);
  });
});

describe("KV: its list failing (an outage, or Workers Free's 1,000 lists a day spent)", () => {
  const listFails = {
    ...ENVS.KV,
    AUTH_KV: new Proxy(env.AUTH_KV, {
      get(target, name) {
        if (name === "list") return async () => Promise.reject(new Error("KV list: daily limit exceeded"));
        const value = Reflect.get(target, name) as unknown;
        return typeof value === "function" ? value.bind(target) : value;
      },
    }),
  } as Cloudflare.Env;

  it("sign out everywhere still ends every session: the mark alone refuses them all, and the answer says so", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    const phone = await signInWith(ENVS.KV, "kv_listfail");
    const laptop = await signInWith(ENVS.KV, "kv_listfail");
    const answer = await logout(listFails, phone.cookie, "?everywhere=true");
    expect(answer.status).toBe(303);
    expect(answer.headers.getSetCookie().some((cookie) => /^twitter_session=;.*Max-Age=0/.test(cookie))).toBe(true);
    for (const device of [phone, laptop]) expect((await get(ENVS.KV, "/me", device.cookie)).status).toBe(401);
  });

  it("the landing page still shows the signed-in user, saying the devices could not be listed", async () => {
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    const phone = await signInWith(ENVS.KV, "kv_listfail_pg");
    const page = await get(listFails, "/", phone.cookie, { Accept: "text/html" });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('id="screen-name">@kv_listfail_pg<');
    expect(html).toContain('id="devices-unavailable"');
    expect(html).toContain('id="sign-out-everywhere"');
  });
});

describe("moving between stores and back", () => {
  it("needs a new SESSION_SECRET: a sign-out everywhere made on KV never reached the Durable Object's sessions, which a new secret alone ends", async () => {
    const phone = await signInWith(ENVS["Durable Object"], "mig_back");
    // The operator moves to KV: the phone is signed out there; the user signs in on a laptop and signs out of all devices.
    expect((await get(ENVS.KV, "/me", phone.cookie)).status).toBe(401);
    const laptop = await signInWith(ENVS.KV, "mig_back");
    expect((await logout(ENVS.KV, laptop.cookie, "?everywhere=true")).status).toBe(303);
    // Moving back with the same secret: the phone's old session opens again (what docs/operations.md warns of)...
    expect((await get(ENVS["Durable Object"], "/me", phone.cookie)).status).toBe(200);
    // ...and with a new SESSION_SECRET alone, as it says to put with every move, it opens nothing.
    expect((await get({ ...ENVS["Durable Object"], SESSION_SECRET: NEW }, "/me", phone.cookie)).status).toBe(401);
  });
});

describe("the Durable Object's exceptions (issue 25)", () => {
  it("leave the object as a fixed message naming the method and the error's name, never its message, which may quote what it was given", async () => {
    const namespace = env.TEST_AUTH_STORE;
    const failure = await runInDurableObject(namespace.get(namespace.idFromName("user:exception-redaction")), async (instance, state) => {
      vi.spyOn(state.storage.sql, "exec").mockImplementation(() => {
        throw new TypeError("near 'oauth_token=SECRET-VALUE': syntax error");
      });
      const sync = (() => {
        try {
          instance.listSessions("someone");
        } catch (error) {
          return error;
        }
      })();
      const async = await instance.endUserSessions("someone").then(
        () => undefined,
        (error: unknown) => error,
      );
      return [String(sync), String(async)];
    });
    expect(failure).toEqual(["Error: AuthStore.listSessions failed (TypeError)", "Error: AuthStore.endUserSessions failed (TypeError)"]);
  });
});
