// Tests for the mutants of the security code that the suite let live (issue 25): each names the mutation it kills.
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { publicSessionId } from "../../src/session/devices";
import { seal } from "../../src/session/seal";
import { TEST_SESSION_SECRET } from "./support/settings";
import worker from "../../src/index";
import { SITE, echoed, gateway, send as sendToGateway, sessionCookie } from "./support/gateway";
import { ENVS, STORES, expectError, get, inObject, logout, moreSessions, objectRows, sessionOf, signInWith, signedSessionCookie } from "./support/stores";

afterEach(() => vi.restoreAllMocks());

const SIGNED_OUT = { error: "not_signed_in", error_description: "Nobody is signed in. Sign in at /login." };

describe("the gateway drops every client-sent X-Twitter-* name (mutant: only the four it sets are dropped)", () => {
  const forged = { "X-Twitter-Role": "admin", "X-Twitter-Email": "boss@example.com", "X-Twitter-Signature": "t=1,v1=" + "0".repeat(64), "X-Twitter-Verified": "true" };

  it("for a signed-in user without ORIGIN_SHARED_SECRET: the origin sees the three identity headers, no forged signature, role or email", async () => {
    const bindings = gateway();
    const cookie = await sessionCookie("gw_mut_forged");
    const seen = await echoed(await sendToGateway(bindings, "/", { ...forged, Cookie: cookie }));
    expect(Object.keys(seen.headers).filter((name) => name.startsWith("x-twitter-")).sort()).toEqual(["x-twitter-name", "x-twitter-screen-name", "x-twitter-user-id"]);
  });

  it("on a public path: none at all", async () => {
    const seen = await echoed(await sendToGateway(gateway(), "/assets/app.css", forged));
    expect(Object.keys(seen.headers).filter((name) => name.startsWith("x-twitter-"))).toEqual([]);
  });
});

describe("a public path's escapes, in the worker project (mutant: %2E counted as harmless)", () => {
  it("refuses an escaped dot that URL parsing leaves in place", async () => {
    for (const path of ["/assets/.%2E./private", "/assets/a%2Ecss", "/assets/%2e%2e%2e/private"]) {
      const response = await sendToGateway(gateway(), path);
      expect(response.status, path).toBe(401);
      expect(await response.json(), path).toEqual({ error: "not_signed_in", error_description: "Nobody is signed in. Sign in at /_auth/login." });
    }
    expect((await echoed(await sendToGateway(gateway(), "/assets/a.css"))).url).toBe("/assets/a.css");
  });

  it("answers a GET or HEAD with a body 400 invalid_request (mutant: forwarded, and the origin's fetch fails as 502)", async () => {
    const body = { error: "invalid_request", error_description: "A GET or HEAD request cannot carry a body here. Send it without one." };
    for (const method of ["GET", "HEAD"]) {
      // workerd's Request refuses to be built so, though a client can send one (the node project sends it raw): a POST that says it is a GET.
      const posted = new Request(`${SITE}/assets/a.css`, { method: "POST", body: "hello", headers: { "Content-Length": "5", "CF-Connecting-IP": "198.51.100.20" } });
      const request = new Proxy(posted, {
        get: (target, property) => (property === "method" ? method : ((value: unknown) => (typeof value === "function" ? value.bind(target) : value))(Reflect.get(target, property))),
      });
      const response = await worker.fetch(request, gateway());
      expect(response.status, method).toBe(400);
      if (method === "GET") expect(await response.json()).toEqual(body);
    }
  });
});

describe("the Durable Object store opens a row only when its sealed record names the row's user (mutant: the userId comparison removed)", () => {
  it("refuses a row of one user's object holding another user's record, sealed under the row's own id", async () => {
    const environment = ENVS["Durable Object"];
    const mallory = await signInWith(environment, "do_mut_mallory");
    const alice = await signInWith(environment, "do_mut_alice");
    const aliceSession = (await sessionOf(environment, alice))!;
    const [row] = await objectRows(mallory.shard!);
    // Alice's record, sealed (with the real secret) under the id of a row in Mallory's object, which names Mallory.
    const sealed = await seal(TEST_SESSION_SECRET, mallory.id, {
      profile: aliceSession.profile,
      token: aliceSession.credentials.token,
      tokenSecret: aliceSession.credentials.tokenSecret,
      createdAt: aliceSession.createdAt,
      createdAtMs: aliceSession.createdAtMs,
      expiresAt: aliceSession.expiresAt,
    });
    await inObject(`user:${mallory.shard}`, (state) => state.storage.sql.exec("UPDATE sessions SET sealed = ? WHERE id = ?", sealed, mallory.id));
    expect(row!.userId).not.toBe(aliceSession.profile.id);
    const me = await get(environment, "/me", mallory.cookie);
    expect(me.status).toBe(401);
    expect(await me.json()).toEqual(SIGNED_OUT);
  });
});

describe.each(STORES)("the seal's associated data, with the %s store (mutant: the session id not bound to the record)", (name) => {
  it("a record moved under another session of the same user opens nothing there", async () => {
    const environment = ENVS[name];
    const phone = await signInWith(environment, `${name === "KV" ? "kv" : "do"}_mut_seal`);
    const [laptop] = await moreSessions(environment, (await sessionOf(environment, phone))!, 1);
    if (name === "KV") {
      await env.AUTH_KV.put(`session:${laptop!.id}`, (await env.AUTH_KV.get(`session:${phone.id}`))!);
    } else {
      await inObject(`user:${phone.shard}`, (state) => state.storage.sql.exec("UPDATE sessions SET sealed = (SELECT sealed FROM sessions WHERE id = ?) WHERE id = ?", phone.id, laptop!.id));
    }
    const me = await get(environment, "/me", laptop!.cookie);
    expect(me.status).toBe(401);
    expect(await me.json()).toEqual(SIGNED_OUT);
    expect((await get(environment, "/me", phone.cookie)).status).toBe(200);
  });

  it("is the session id, checked with WebCrypto directly: the record opens with it as AES-GCM's additional data, and without it or with another id does not", async () => {
    const environment = ENVS[name];
    const phone = await signInWith(environment, `${name === "KV" ? "kv" : "do"}_mut_ad`);
    const sealed = name === "KV" ? (await env.AUTH_KV.get(`session:${phone.id}`))! : String((await objectRows(phone.shard!)).find((row) => row.id === phone.id)!.sealed);
    const material = await crypto.subtle.importKey("raw", new TextEncoder().encode(TEST_SESSION_SECRET), "HKDF", false, ["deriveKey"]);
    const key = await crypto.subtle.deriveKey(
      { name: "HKDF", hash: "SHA-256", salt: new TextEncoder().encode("twitter-login"), info: new TextEncoder().encode("session record v2") },
      material,
      { name: "AES-GCM", length: 256 },
      false,
      ["decrypt"],
    );
    const bytes = (text: string) => Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/")), (character) => character.charCodeAt(0));
    const [iv, ciphertext] = sealed.split(".").map(bytes) as [Uint8Array, Uint8Array];
    const open = (additionalData?: string) =>
      crypto.subtle.decrypt({ name: "AES-GCM", iv, ...(additionalData === undefined ? {} : { additionalData: new TextEncoder().encode(additionalData) }) }, key, ciphertext).then(
        (plain) => JSON.parse(new TextDecoder().decode(plain)) as { profile: { screenName: string } },
        () => undefined,
      );
    expect((await open(phone.id))?.profile.screenName).toBe(`${name === "KV" ? "kv" : "do"}_mut_ad`);
    expect(await open()).toBeUndefined();
    expect(await open(phone.id.replace(/^./, (first) => (first === "A" ? "B" : "A")))).toBeUndefined();
  });
});

describe.each(STORES)("ending a session that is not the asker's, with the %s store (mutant: anything but the status)", (name) => {
  it("ends nothing, by its public id or its secret one: the other user's sessions still open and are still listed; the asker stays signed in", async () => {
    const environment = ENVS[name];
    const prefix = name === "KV" ? "kv" : "do";
    const mallory = await signInWith(environment, `${prefix}_mut_mal`);
    const alicePhone = await signInWith(environment, `${prefix}_mut_ali`);
    const aliceLaptop = await signInWith(environment, `${prefix}_mut_ali`);
    const listed = async (cookie: string) => ((await (await get(environment, "/sessions", cookie)).json()) as { sessions: { id: string }[] }).sessions.map((device) => device.id).sort();
    const before = await listed(aliceLaptop.cookie);
    // Her session's public id, and its secret id (which a leak could give away): neither is Mallory's.
    for (const id of [await publicSessionId(alicePhone.id), alicePhone.id]) {
      await expectError(await logout(environment, mallory.cookie, `?session=${id}`), 404, "unknown_session", "None of your sessions has this id: it has ended, or it is not yours. /sessions lists yours.");
    }
    expect((await get(environment, "/me", alicePhone.cookie)).status).toBe(200);
    expect(await sessionOf(environment, alicePhone)).toBeDefined();
    expect(await listed(aliceLaptop.cookie)).toEqual(before);
    expect(before).toContain(await publicSessionId(alicePhone.id));
    expect((await get(environment, "/me", mallory.cookie)).status).toBe(200);
    // A forged cookie naming Alice's session under Mallory's shard opens nothing either.
    expect((await get(environment, "/me", await signedSessionCookie(alicePhone.id, mallory.shard))).status).toBe(401);
  });
});
