// `npx hono-sign-in-with-twitter jwt-key`: a private key of the shape the gateway takes (as jose exports one: test/worker/gateway-assertion.test.ts), whose signatures jose verifies with its public half.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { type JWK, SignJWT, importJWK, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";

const bin = join(import.meta.dirname, "..", "..", "tools", "bin.ts");

describe("hono-sign-in-with-twitter jwt-key", () => {
  it("prints a new EC P-256 private JWK, alone on stdout, whose public half verifies what it signs", async () => {
    const run = () => execFileSync(process.execPath, [bin, "jwt-key"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    const printed = run();
    const jwk = JSON.parse(printed) as JWK;
    expect(Object.keys(jwk).sort()).toEqual(["crv", "d", "kty", "x", "y"]);
    expect(jwk).toMatchObject({ kty: "EC", crv: "P-256" });
    expect(run()).not.toBe(printed);

    const { d: _d, ...publicHalf } = jwk;
    const token = await new SignJWT({ sub: "12" }).setProtectedHeader({ alg: "ES256" }).sign(await importJWK(jwk, "ES256"));
    expect((await jwtVerify(token, await importJWK(publicHalf, "ES256"))).payload.sub).toBe("12");
  });
});
