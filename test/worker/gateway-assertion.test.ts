// X-Twitter-Jwt-Assertion and <prefix>/.well-known/jwks.json, checked by an independent verifier (jose) against the keys the Worker publishes.
import { type JWK, calculateJwkThumbprint, createRemoteJWKSet, customFetch, decodeProtectedHeader, errors, exportJWK, generateKeyPair, jwtVerify } from "jose";
import { describe, expect, inject, it } from "vitest";
import worker from "../../src/index";
import type { GatewayEnv } from "../../src/env";
import { SITE, echoed, expectError, gateway, send, sessionCookie } from "./support/gateway";

const JWKS_URL = `${SITE}/_auth/.well-known/jwks.json`;

/** A new ES256 key pair as JWKs: the private one for GATEWAY_JWT_KEYS, the public one as a verifier sees it. */
async function newKey(kid?: string): Promise<{ private: JWK; public: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
  const extra = kid === undefined ? {} : { kid };
  return { private: { ...(await exportJWK(privateKey)), ...extra }, public: { ...(await exportJWK(publicKey)), ...extra } };
}

/** Gateway mode with these keys (one JWK, or a list newest first). */
function withKeys(keys: JWK | JWK[], settings: Partial<GatewayEnv> = {}): Cloudflare.Env {
  return gateway({ GATEWAY_JWT_KEYS: JSON.stringify(keys), ...settings });
}

/** jose's remote JWK Set, fetching the Worker's JWKS endpoint through the Worker itself (no network in these tests). */
function remoteKeys(bindings: Cloudflare.Env) {
  return createRemoteJWKSet(new URL(JWKS_URL), { [customFetch]: (url: string, init: RequestInit) => Promise.resolve(worker.request(url, init, bindings)) });
}

/** The assertion the origin received on a signed-in request. */
async function assertionFor(bindings: Cloudflare.Env, cookie: string): Promise<string> {
  const seen = await echoed(await send(bindings, "/echo", { Cookie: cookie }));
  const assertion = seen.headers["x-twitter-jwt-assertion"];
  expect(typeof assertion).toBe("string");
  return assertion as string;
}

describe("the assertion the origin receives", () => {
  it("verifies with jose against the Worker's JWKS: ES256, iss the site, aud the protected origin, sub the user id, a one-minute exp", async () => {
    const key = await newKey();
    const bindings = withKeys(key.private);
    const cookie = await sessionCookie("gw_jwt_claims");
    const seen = await echoed(await send(bindings, "/echo", { Cookie: cookie }));
    const token = seen.headers["x-twitter-jwt-assertion"] as string;
    const { payload, protectedHeader } = await jwtVerify(token, remoteKeys(bindings), { issuer: SITE, audience: inject("testOrigin"), algorithms: ["ES256"], typ: "JWT" });
    expect(payload.sub).toBe(seen.headers["x-twitter-user-id"]);
    expect(payload.preferred_username).toBe("gw_jwt_claims");
    expect(payload.name).toBe(decodeURIComponent(seen.headers["x-twitter-name"] as string));
    expect(payload.exp! - payload.iat!).toBe(60);
    expect(Math.abs(payload.iat! - Date.now() / 1000)).toBeLessThan(600);
    expect(Object.keys(payload).sort()).toEqual(["aud", "exp", "iat", "iss", "name", "preferred_username", "sub"]);
    // No kid in the JWK: its RFC 7638 thumbprint, as jose computes it.
    expect(protectedHeader).toEqual({ alg: "ES256", typ: "JWT", kid: await calculateJwkThumbprint(key.public, "sha256") });
  });

  it("uses the JWK's own kid, and GATEWAY_JWT_AUDIENCE as aud; another audience is refused", async () => {
    const key = await newKey("2026-12-a");
    const bindings = withKeys(key.private, { GATEWAY_JWT_AUDIENCE: "urn:example:reports" });
    const token = await assertionFor(bindings, await sessionCookie("gw_jwt_aud"));
    expect(decodeProtectedHeader(token).kid).toBe("2026-12-a");
    const { payload } = await jwtVerify(token, remoteKeys(bindings), { issuer: SITE, audience: "urn:example:reports" });
    expect(payload.aud).toBe("urn:example:reports");
    await expect(jwtVerify(token, remoteKeys(bindings), { issuer: SITE, audience: inject("testOrigin") })).rejects.toBeInstanceOf(errors.JWTClaimValidationFailed);
  });

  it("is refused once expired (exp a minute after iat)", async () => {
    const bindings = withKeys((await newKey()).private);
    const token = await assertionFor(bindings, await sessionCookie("gw_jwt_expired"));
    const keys = remoteKeys(bindings);
    const { payload } = await jwtVerify(token, keys, { audience: inject("testOrigin") });
    await expect(jwtVerify(token, keys, { audience: inject("testOrigin"), currentDate: new Date((payload.exp! + 1) * 1000) })).rejects.toBeInstanceOf(errors.JWTExpired);
  });

  it("rotates like SESSION_SECRET: the newest key signs, an older one verifies while listed, and no longer once removed", async () => {
    const cookie = await sessionCookie("gw_jwt_rotate");
    const old = await newKey();
    const fresh = await newKey();
    const before = await assertionFor(withKeys(old.private), cookie);
    const rotated = withKeys([fresh.private, old.private]);
    const after = await assertionFor(rotated, cookie);
    expect(decodeProtectedHeader(after).kid).toBe(await calculateJwkThumbprint(fresh.public));
    for (const token of [before, after]) await jwtVerify(token, remoteKeys(rotated), { audience: inject("testOrigin") });
    const done = withKeys(fresh.private);
    await jwtVerify(after, remoteKeys(done), { audience: inject("testOrigin") });
    await expect(jwtVerify(before, remoteKeys(done), { audience: inject("testOrigin") })).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey);
  });

  it("is never sent on a public path or for a visitor who is not signed in, and a client's own never reaches the origin", async () => {
    const bindings = withKeys((await newKey()).private);
    const forged = { "X-Twitter-Jwt-Assertion": "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.", "x-twitter-jwt-assertion-2": "x" };
    const publicPath = await echoed(await send(bindings, "/assets/echo", forged));
    expect(publicPath.rawHeaders.join("\n").toLowerCase()).not.toContain("jwt-assertion");
    const signedInPublic = await echoed(await send(bindings, "/assets/echo", { ...forged, Cookie: await sessionCookie("gw_jwt_public") }));
    expect(signedInPublic.rawHeaders.join("\n").toLowerCase()).not.toContain("jwt-assertion");
    await expectError(await send(bindings, "/echo", forged), 401, { error: "not_signed_in", error_description: "Nobody is signed in. Sign in at /_auth/login." });
    const signedIn = await echoed(await send(bindings, "/echo", { ...forged, Cookie: await sessionCookie("gw_jwt_forged") }));
    expect(signedIn.headers["x-twitter-jwt-assertion"]).not.toBe(forged["X-Twitter-Jwt-Assertion"]);
    expect(signedIn.headers["x-twitter-jwt-assertion-2"]).toBeUndefined();
    await jwtVerify(signedIn.headers["x-twitter-jwt-assertion"] as string, remoteKeys(bindings), { audience: inject("testOrigin") });
  });

  it("keeps X-Twitter-Signature beside it when ORIGIN_SHARED_SECRET is set", async () => {
    const bindings = withKeys((await newKey()).private, { ORIGIN_SHARED_SECRET: "an-origin-shared-secret-of-32-characters-or-more" });
    const seen = await echoed(await send(bindings, "/echo", { Cookie: await sessionCookie("gw_jwt_hmac") }));
    expect(seen.headers["x-twitter-signature"]).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(seen.headers["x-twitter-jwt-assertion"]).toMatch(/^[\w-]+\.[\w-]+\.[\w-]{86}$/);
  });
});

describe("<prefix>/.well-known/jwks.json", () => {
  it("publishes every listed key's public members only, newest first, cacheable, with an ETag that answers 304", async () => {
    const fresh = await newKey("new");
    const old = await newKey();
    const bindings = withKeys([fresh.private, old.private]);
    const response = await send(bindings, "/_auth/.well-known/jwks.json");
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toBe("application/json");
    expect(response.headers.get("Cache-Control")).toBe("public, max-age=300");
    const etag = response.headers.get("ETag");
    expect(etag).toMatch(/^"[\w-]+"$/);
    const text = await response.text();
    expect(text).not.toContain('"d"');
    expect(text).not.toContain(old.private.d!);
    const { keys } = JSON.parse(text) as { keys: JWK[] };
    expect(keys).toEqual([
      { kty: "EC", crv: "P-256", x: fresh.public.x, y: fresh.public.y, kid: "new", alg: "ES256", use: "sig" },
      { kty: "EC", crv: "P-256", x: old.public.x, y: old.public.y, kid: await calculateJwkThumbprint(old.public), alg: "ES256", use: "sig" },
    ]);
    const again = await send(bindings, "/_auth/.well-known/jwks.json", { "If-None-Match": etag! });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe("");
    const head = await send(bindings, "/_auth/.well-known/jwks.json", {}, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("ETag")).toBe(etag);
  });

  it("answers 404 not_found without GATEWAY_JWT_KEYS, and the origin never receives an assertion then", async () => {
    await expectError(await send(gateway(), "/_auth/.well-known/jwks.json"), 404, {
      error: "not_found",
      error_description: "This site signs no identity assertions: there are no keys here.",
    });
    const seen = await echoed(await send(gateway(), "/echo", { Cookie: await sessionCookie("gw_jwt_none") }));
    expect(seen.headers["x-twitter-jwt-assertion"]).toBeUndefined();
  });
});

describe("an unusable GATEWAY_JWT_KEYS", () => {
  const fix = "Make a key with: npx hono-sign-in-with-twitter jwt-key, then npx wrangler secret put GATEWAY_JWT_KEYS (a JWK, or a JSON array of them newest first).";
  const refused = (problem: string) => ({ error: "server_misconfigured", error_description: `The server's GATEWAY_JWT_KEYS setting is ${problem}. ${fix}` });

  it("answers 500 naming the setting, and what is wrong with which entry, never a value, on every path", async () => {
    const key = await newKey("k1");
    const other = await newKey("k1");
    const { d: _d, ...publicOnly } = key.private;
    const rsa = await exportJWK((await generateKeyPair("RS256", { extractable: true })).privateKey);
    const p384 = await exportJWK((await generateKeyPair("ES384", { extractable: true })).privateKey);
    const cases: [string, string][] = [
      [`${JSON.stringify(key.private).slice(0, -1)}`, "not JSON"],
      ["[]", "an empty list"],
      ['"a string"', "not a JWK (a JSON object)"],
      [JSON.stringify(rsa), 'not an EC P-256 key ("kty": "EC", "crv": "P-256"), which ES256 needs'],
      [JSON.stringify([key.private, p384]), 'not an EC P-256 key ("kty": "EC", "crv": "P-256"), which ES256 needs (entry 2 of 2)'],
      [JSON.stringify(publicOnly), 'a public key: it has no private member "d"'],
      [JSON.stringify({ ...key.private, alg: "ES384" }), 'for another algorithm than ES256 ("alg")'],
      [JSON.stringify({ ...key.private, d: "short" }), 'not a P-256 key: "x", "y" and "d" must be 32 bytes in base64url'],
      [JSON.stringify({ ...key.private, kid: 7 }), 'holding a "kid" that is not a non-empty string'],
    ];
    for (const [value, problem] of cases) {
      for (const path of ["/echo", "/assets/echo", "/_auth/me", "/_auth/.well-known/jwks.json"]) {
        const response = await send(gateway({ GATEWAY_JWT_KEYS: value }), path);
        expect(response.status, `${problem} ${path}`).toBe(500);
        const text = await response.text();
        expect(JSON.parse(text), path).toEqual(refused(problem));
        for (const secret of [key.private.d!, key.private.x!]) expect(text).not.toContain(secret);
      }
    }
    // Found when the keys are imported (the JWKS, or the first identified request): two alike kids, a d from another key.
    const imported: [string, string][] = [
      [JSON.stringify([key.private, other.private]), "a list where entries 1 and 2 have the same kid"],
      [JSON.stringify({ ...key.private, d: other.private.d }), 'a key whose "d" does not match its "x", "y"'],
      [JSON.stringify([key.private, { ...other.private, kid: "k2", y: key.private.x }]), 'not a P-256 key: its "x", "y" are not a point of the curve (entry 2 of 2)'],
    ];
    const cookie = await sessionCookie("gw_jwt_bad_key");
    for (const [value, problem] of imported) {
      for (const [path, headers] of [["/_auth/.well-known/jwks.json", {}], ["/echo", { Cookie: cookie }]] as const) {
        const response = await send(gateway({ GATEWAY_JWT_KEYS: value }), path, headers);
        expect(response.status, `${problem} ${path}`).toBe(500);
        const text = await response.text();
        expect(JSON.parse(text)).toEqual(refused(problem));
        expect(text).not.toContain(other.private.d!);
      }
    }
  });

  it("refuses an empty GATEWAY_JWT_AUDIENCE with a 500 naming it", async () => {
    const response = await send(withKeys((await newKey()).private, { GATEWAY_JWT_AUDIENCE: " " }), "/echo");
    await expectError(response, 500, {
      error: "server_misconfigured",
      error_description: "The server's GATEWAY_JWT_AUDIENCE setting is empty or holding control characters. Set it to what the origin expects as aud (e.g. https://origin.example.com), or remove it.",
    });
  });
});
