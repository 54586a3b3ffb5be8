// AES-256-GCM sealing of session records, with a key derived from SESSION_SECRET (HKDF-SHA256) and the session id as associated data.

import { fromBase64Url, toBase64Url } from "./base64url.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
// One derived key per SESSION_SECRET (there is normally one; a rotation adds a second).
const keys = new Map<string, Promise<CryptoKey>>();

/** Derives the AES-256-GCM key from SESSION_SECRET with HKDF-SHA256 (a key of its own, not the cookie-signing key). */
function sealingKey(sessionSecret: string): Promise<CryptoKey> {
  let key = keys.get(sessionSecret);
  if (!key) {
    key = crypto.subtle
      .importKey("raw", encoder.encode(sessionSecret), "HKDF", false, ["deriveKey"])
      .then((material) =>
        crypto.subtle.deriveKey(
          { name: "HKDF", hash: "SHA-256", salt: encoder.encode("twitter-login"), info: encoder.encode("session record v2") },
          material,
          { name: "AES-GCM", length: 256 },
          false,
          ["encrypt", "decrypt"],
        ),
      );
    if (keys.size > 4) keys.clear();
    keys.set(sessionSecret, key);
  }
  return key;
}

/**
 * Seals a value (as JSON) for storage: `<iv>.<ciphertext>` in base64url. Nobody without
 * SESSION_SECRET can read it or alter it, and the session id is the associated data, so a record
 * moved under another session's key does not open.
 */
export async function seal(sessionSecret: string, sessionId: string, value: unknown): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ciphertext = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: encoder.encode(sessionId) },
    await sealingKey(sessionSecret),
    encoder.encode(JSON.stringify(value)),
  );
  return `${toBase64Url(iv)}.${toBase64Url(new Uint8Array(ciphertext))}`;
}

/** Opens what {@link seal} made; undefined when it was altered, moved, or sealed with another key. */
export async function unseal(sessionSecret: string, sessionId: string, sealed: string): Promise<unknown> {
  const [iv, ciphertext, extra] = sealed.split(".");
  if (!iv || !ciphertext || extra !== undefined) return undefined;
  try {
    const plaintext = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: fromBase64Url(iv), additionalData: encoder.encode(sessionId) },
      await sealingKey(sessionSecret),
      fromBase64Url(ciphertext),
    );
    return JSON.parse(decoder.decode(plaintext)) as unknown;
  } catch {
    return undefined;
  }
}
