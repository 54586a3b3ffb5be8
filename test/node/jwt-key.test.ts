// `npx hono-sign-in-with-twitter jwt-key`: a private key the gateway accepts, whose tokens jose verifies with the published public half.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { type JWK, calculateJwkThumbprint, createLocalJWKSet, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { assertionKeys, readAssertionSettings, signAssertion } from "../../src/gateway/assertion.ts";

const bin = join(import.meta.dirname, "..", "..", "tools", "bin.ts");

describe("hono-sign-in-with-twitter jwt-key", () => {
  it("prints a new EC P-256 private JWK, alone on stdout, that signs assertions jose verifies", async () => {
    const run = () => execFileSync(process.execPath, [bin, "jwt-key"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    const printed = run();
    const jwk = JSON.parse(printed) as JWK;
    expect(Object.keys(jwk).sort()).toEqual(["crv", "d", "kty", "x", "y"]);
    expect(jwk).toMatchObject({ kty: "EC", crv: "P-256" });
    expect(run()).not.toBe(printed);

    const settings = readAssertionSettings({ GATEWAY_JWT_KEYS: printed })!;
    const token = await signAssertion(settings, { id: "12", screenName: "jack", name: "Jack" } as never, "https://example.com", "https://origin.example.com");
    const jwks = JSON.parse((await assertionKeys(settings)).jwks) as { keys: JWK[] };
    const { x, y, kty, crv } = jwk;
    expect(jwks.keys[0]!.kid).toBe(await calculateJwkThumbprint({ kty, crv, x, y }));
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), { issuer: "https://example.com", audience: "https://origin.example.com" });
    expect(payload).toMatchObject({ sub: "12", preferred_username: "jack", name: "Jack" });
  });
});
