// X-Twitter-Signature: an HMAC-SHA256 over what the gateway forwards, so the origin can tell its requests from anyone else's.

const encoder = new TextEncoder();
const keys = new Map<string, Promise<CryptoKey>>();

/**
 * The `X-Twitter-Signature` header value for a forwarded request: `t=<unix seconds>,v1=<hex>`,
 * where hex is HMAC-SHA256 (key: ORIGIN_SHARED_SECRET as UTF-8) of these lines joined by `\n`:
 * t, the method, the path and query as sent to the origin, then the X-Twitter-User-Id,
 * X-Twitter-Screen-Name and X-Twitter-Name header values exactly as sent (empty on a public path).
 * Binding the method and path means a captured signature is good for that request only.
 *
 * @see docs/gateway.md
 */
export async function signForwarded(secret: string, fields: readonly string[], nowMs = Date.now()): Promise<string> {
  let key = keys.get(secret);
  if (!key) keys.set(secret, (key = crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"])));
  const t = Math.floor(nowMs / 1000);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", await key, encoder.encode([t, ...fields].join("\n"))));
  return `t=${t},v1=${Array.from(mac, (byte) => byte.toString(16).padStart(2, "0")).join("")}`;
}
