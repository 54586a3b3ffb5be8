// AES-GCM encryption of a session's access token and secret, with a key derived from SESSION_SECRET (HKDF-SHA256).

import type { Credentials } from "../oauth1/index.js";
import { fromBase64Url, toBase64Url } from "./base64url.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
// One derived key per SESSION_SECRET (there is normally one; a rotation adds a second).
const keys = new Map<string, Promise<CryptoKey>>();

/** Derives the AES-256-GCM key from SESSION_SECRET with HKDF-SHA256 (a key of its own, not the cookie-signing key). */
function encryptionKey(sessionSecret: string): Promise<CryptoKey> {
  let key = keys.get(sessionSecret);
  if (!key) {
    key = crypto.subtle
      .importKey("raw", encoder.encode(sessionSecret), "HKDF", false, ["deriveKey"])
      .then((material) =>
        crypto.subtle.deriveKey(
          { name: "HKDF", hash: "SHA-256", salt: encoder.encode("twitter-login"), info: encoder.encode("session token encryption v1") },
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
 * Encrypts token credentials for storage: `<iv>.<ciphertext>` in base64url. The session id is
 * the additional data, so a ciphertext moved to another session's record does not decrypt.
 */
export async function encryptCredentials(sessionSecret: string, sessionId: string, credentials: Credentials): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const plaintext = encoder.encode(JSON.stringify([credentials.token, credentials.tokenSecret]));
  const ciphertext = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: encoder.encode(sessionId) }, await encryptionKey(sessionSecret), plaintext);
  return `${toBase64Url(iv)}.${toBase64Url(new Uint8Array(ciphertext))}`;
}

/** Decrypts what {@link encryptCredentials} made; undefined when it was altered or made with another key. */
export async function decryptCredentials(sessionSecret: string, sessionId: string, sealed: string): Promise<Credentials | undefined> {
  const [iv, ciphertext] = sealed.split(".");
  if (!iv || !ciphertext) return undefined;
  try {
    const plaintext = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: fromBase64Url(iv), additionalData: encoder.encode(sessionId) },
      await encryptionKey(sessionSecret),
      fromBase64Url(ciphertext),
    );
    const [token, tokenSecret] = JSON.parse(decoder.decode(plaintext)) as unknown[];
    return typeof token === "string" && typeof tokenSecret === "string" ? { token, tokenSecret } : undefined;
  } catch {
    return undefined;
  }
}
