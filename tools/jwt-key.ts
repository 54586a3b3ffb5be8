// `npx hono-sign-in-with-twitter jwt-key`: a new EC P-256 private JWK for GATEWAY_JWT_KEYS, on stdout; what to do with it, on stderr.

const { privateKey } = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
const { kty, crv, x, y, d } = await crypto.subtle.exportKey("jwk", privateKey);
// Only the key's own members: its kid is then its RFC 7638 thumbprint, and nothing (key_ops, ext) can disagree with how the Worker uses it.
process.stdout.write(`${JSON.stringify({ kty, crv, x, y, d })}\n`);
process.stderr.write(
  [
    "A new ES256 signing key (private: keep it secret). Store it with: npx wrangler secret put GATEWAY_JWT_KEYS",
    "To rotate, list it first and keep the old one after it until verifiers have fetched the new JWKS: [NEW,OLD].",
    "",
  ].join("\n"),
);
