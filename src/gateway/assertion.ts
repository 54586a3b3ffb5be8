// X-Twitter-Jwt-Assertion: the signed-in user as an ES256 JWT (RFC 7519, RFC 7515, RFC 7518 3.4), and the JWK Set (RFC 7517) that verifies it.

import { ConfigurationError } from "../errors.js";
import type { GatewayEnv } from "../env.js";
import { toBase64Url } from "../session/base64url.js";
import type { TwitterProfile } from "../twitter/account.js";

/** The request header the origin reads the assertion from. */
export const ASSERTION_HEADER = "X-Twitter-Jwt-Assertion";
/** Where the public keys are published, under the sign-in's prefix. */
export const JWKS_PATH = "/.well-known/jwks.json";
/**
 * How long an assertion is valid. The origin checks it the moment it arrives, so a minute covers
 * clock skew between Cloudflare and the origin; a token copied out of a log or a captured request
 * is useless a minute later (it carries no nonce, as X-Twitter-Signature does not).
 */
export const ASSERTION_LIFETIME_SECONDS = 60;
/** How long a verifier may keep the JWK Set: a new key signs at once, and verifiers fetch again on a kid they do not know. */
export const JWKS_MAX_AGE_SECONDS = 300;

/** GATEWAY_JWT_KEYS and GATEWAY_JWT_AUDIENCE, checked for shape when the settings are read. */
export interface AssertionSettings {
  /** GATEWAY_JWT_KEYS as set: parsed and imported on first use (see assertionKeys). */
  keys: string;
  /** GATEWAY_JWT_AUDIENCE; undefined: the protected origin. */
  audience: string | undefined;
}

/** The keys ready for use: the newest signs, every one is published. */
export interface AssertionKeys {
  signingKey: CryptoKey;
  /** The signing key's kid. */
  kid: string;
  /** The JWK Set as served: the public members of every key, newest first. */
  jwks: string;
  /** A strong validator of `jwks`. */
  etag: string;
}

/** The claims of an assertion, as the origin reads them. */
export interface AssertionClaims {
  /** The site's public origin. */
  iss: string;
  aud: string;
  /** The X user id (decimal digits). */
  sub: string;
  /** The screen name, without `@` (OpenID Connect Core 5.1's claim for a short name). */
  preferred_username: string;
  /** The display name (OpenID Connect Core 5.1). */
  name: string;
  iat: number;
  exp: number;
}

const SETTING = "GATEWAY_JWT_KEYS";
const FIX = "Make a key with: npx hono-sign-in-with-twitter jwt-key, then npx wrangler secret put GATEWAY_JWT_KEYS (a JWK, or a JSON array of them newest first).";
const encoder = new TextEncoder();
const ECDSA = { name: "ECDSA", namedCurve: "P-256" } as const;
const ES256 = { name: "ECDSA", hash: "SHA-256" } as const;

/**
 * Reads GATEWAY_JWT_KEYS and GATEWAY_JWT_AUDIENCE; undefined when no keys are set. Checks the
 * keys' shape (JSON, EC P-256 with `d`, distinct kids) here, so that a broken setting is a 500
 * naming it on every request, as for any other setting; the keys are imported on first use.
 */
export function readAssertionSettings(env: Partial<GatewayEnv>): AssertionSettings | undefined {
  const keys = env.GATEWAY_JWT_KEYS;
  const audience = env.GATEWAY_JWT_AUDIENCE;
  if (audience !== undefined && (audience.trim() === "" || /[\u0000-\u001f\u007f]/.test(audience))) {
    throw new ConfigurationError("GATEWAY_JWT_AUDIENCE", "empty or holding control characters", "Set it to what the origin expects as aud (e.g. https://origin.example.com), or remove it.");
  }
  if (keys === undefined || keys.trim() === "") return undefined;
  parsePrivateKeys(keys);
  return { keys, audience };
}

interface PrivateJwk {
  x: string;
  y: string;
  d: string;
  kid: string | undefined;
}

/** GATEWAY_JWT_KEYS as a list of EC P-256 private JWKs, newest first; the error names the entry at fault, never a value. */
function parsePrivateKeys(value: string): PrivateJwk[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new ConfigurationError(SETTING, "not JSON", FIX);
  }
  const list = Array.isArray(parsed) ? parsed : [parsed];
  if (list.length === 0) throw new ConfigurationError(SETTING, "an empty list", FIX);
  const which = (index: number) => (Array.isArray(parsed) ? ` (entry ${index + 1} of ${list.length})` : "");
  const base64url = (member: unknown) => typeof member === "string" && /^[A-Za-z0-9_-]{43}$/.test(member);
  return list.map((jwk: unknown, index) => {
    const problem = (text: string) => new ConfigurationError(SETTING, `${text}${which(index)}`, FIX);
    if (typeof jwk !== "object" || jwk === null || Array.isArray(jwk)) throw problem("not a JWK (a JSON object)");
    const { kty, crv, x, y, d, kid, alg } = jwk as Record<string, unknown>;
    if (kty !== "EC" || crv !== "P-256") throw problem('not an EC P-256 key ("kty": "EC", "crv": "P-256"), which ES256 needs');
    if (alg !== undefined && alg !== "ES256") throw problem('for another algorithm than ES256 ("alg")');
    if (d === undefined) throw problem('a public key: it has no private member "d"');
    if (!base64url(x) || !base64url(y) || !base64url(d)) throw problem('not a P-256 key: "x", "y" and "d" must be 32 bytes in base64url');
    if (kid !== undefined && (typeof kid !== "string" || kid === "" || /[\u0000-\u001f\u007f]/.test(kid))) throw problem('holding a "kid" that is not a non-empty string');
    return { x: x as string, y: y as string, d: d as string, kid };
  });
}

const imported = new Map<string, Promise<AssertionKeys>>();

/**
 * The keys of GATEWAY_JWT_KEYS, imported once per isolate: the newest signs, every one is
 * published. Each kid is the JWK's own, else its RFC 7638 thumbprint; two alike are refused.
 */
export function assertionKeys(settings: AssertionSettings): Promise<AssertionKeys> {
  let keys = imported.get(settings.keys);
  if (!keys) {
    keys = importKeys(settings.keys);
    imported.set(settings.keys, keys);
    // A failure is answered now and tried again on the next request, not remembered.
    keys.catch(() => imported.delete(settings.keys));
  }
  return keys;
}

async function importKeys(value: string): Promise<AssertionKeys> {
  const jwks = parsePrivateKeys(value);
  const which = (index: number) => (jwks.length > 1 ? ` (entry ${index + 1} of ${jwks.length})` : "");
  const published = await Promise.all(
    jwks.map(async ({ x, y, kid }, index) => {
      await crypto.subtle.importKey("jwk", { kty: "EC", crv: "P-256", x, y }, ECDSA, false, ["verify"]).catch(() => {
        throw new ConfigurationError(SETTING, `not a P-256 key: its "x", "y" are not a point of the curve${which(index)}`, FIX);
      });
      return { jwk: { kty: "EC", crv: "P-256", x, y, kid: kid ?? (await jwkThumbprint(x, y)), alg: "ES256", use: "sig" } };
    }),
  );
  const kids = published.map(({ jwk }) => jwk.kid);
  const repeated = kids.findIndex((kid, index) => kids.indexOf(kid) !== index);
  if (repeated !== -1) throw new ConfigurationError(SETTING, `a list where entries ${kids.indexOf(kids[repeated]!) + 1} and ${repeated + 1} have the same kid`, FIX);
  const { x, y, d } = jwks[0]!;
  // The runtime checks that d is the private key of x, y (a d pasted beside another key's x, y would sign what nobody verifies).
  const signingKey = await crypto.subtle.importKey("jwk", { kty: "EC", crv: "P-256", x, y, d }, ECDSA, false, ["sign"]).catch(() => {
    throw new ConfigurationError(SETTING, `a key whose "d" does not match its "x", "y"${which(0)}`, FIX);
  });
  const body = JSON.stringify({ keys: published.map(({ jwk }) => jwk) });
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(body)));
  return { signingKey, kid: kids[0]!, jwks: body, etag: `"${toBase64Url(digest.subarray(0, 16))}"` };
}

/**
 * The JWK thumbprint of an EC public key (RFC 7638 section 3.2: the required members crv, kty, x,
 * y in lexicographic order, no whitespace), SHA-256, base64url.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7638#section-3.2
 */
export async function jwkThumbprint(x: string, y: string): Promise<string> {
  const members = `{"crv":"P-256","kty":"EC","x":"${x}","y":"${y}"}`;
  return toBase64Url(new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(members))));
}

/**
 * The X-Twitter-Jwt-Assertion value for a signed-in user: a JWS compact serialization (RFC 7515
 * 7.1) with header `{"alg":"ES256","typ":"JWT","kid"}` and the claims of AssertionClaims. WebCrypto's
 * ECDSA signature is r and s, 32 bytes each, which is what ES256 puts in the JWS (RFC 7518 3.4).
 *
 * @see docs/gateway.md
 */
export async function signAssertion(settings: AssertionSettings, user: TwitterProfile, issuer: string, protectedOrigin: string, nowMs = Date.now()): Promise<string> {
  const { signingKey, kid } = await assertionKeys(settings);
  const iat = Math.floor(nowMs / 1000);
  const claims: AssertionClaims = {
    iss: issuer,
    aud: settings.audience ?? protectedOrigin,
    sub: user.id,
    preferred_username: user.screenName,
    name: user.name,
    iat,
    exp: iat + ASSERTION_LIFETIME_SECONDS,
  };
  const part = (value: object) => toBase64Url(encoder.encode(JSON.stringify(value)));
  const signingInput = `${part({ alg: "ES256", typ: "JWT", kid })}.${part(claims)}`;
  const signature = new Uint8Array(await crypto.subtle.sign(ES256, signingKey, encoder.encode(signingInput)));
  return `${signingInput}.${toBase64Url(signature)}`;
}

/**
 * The answer to `<prefix>/.well-known/jwks.json`: the public keys (never `d`), as a verifier
 * expects them (`application/json`, cacheable for JWKS_MAX_AGE_SECONDS, an ETag, 304 when it still
 * holds); 404 `not_found` when GATEWAY_JWT_KEYS is not set.
 */
export async function jwksResponse(request: Request, settings: AssertionSettings): Promise<Response> {
  const { jwks, etag } = await assertionKeys(settings);
  const headers = { "Content-Type": "application/json", "Cache-Control": `public, max-age=${JWKS_MAX_AGE_SECONDS}`, ETag: etag };
  const known = (request.headers.get("If-None-Match") ?? "").split(",").map((tag) => tag.trim().replace(/^W\//, ""));
  if (known.includes(etag) || known.includes("*")) return new Response(null, { status: 304, headers });
  return new Response(request.method === "HEAD" ? null : jwks, { headers });
}
