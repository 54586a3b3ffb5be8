// Signature methods of RFC 5849 sections 3.4.2 (HMAC-SHA1), 3.4.3 (RSA-SHA1) and 3.4.4 (PLAINTEXT), plus HMAC-SHA256.

import { InvalidInputError } from "./errors.js";
import { percentEncode } from "./percent-encode.js";

/** The signature methods the client can use. Twitter uses HMAC-SHA1. */
export type SignatureMethod = "HMAC-SHA1" | "HMAC-SHA256" | "RSA-SHA1" | "PLAINTEXT";

/** What a signature is made with. */
export interface SigningSecrets {
  /** The client's (consumer's) shared secret. */
  consumerSecret: string;
  /** The token's shared secret; empty or absent before there is a token. */
  tokenSecret?: string;
  /** For RSA-SHA1 only: the client's private key (see {@link importRsaPrivateKey}). */
  privateKey?: CryptoKey;
}

const encoder = new TextEncoder();
const KEY_CACHE_LIMIT = 256;
// Imported keys, most recently used last. The HMAC key holds the token secret, so one
// per user; the bound keeps a busy isolate from growing it without limit.
const keyCache = new Map<string, Promise<CryptoKey>>();

/**
 * The signing key of sections 3.4.2 and 3.4.4: the encoded client secret, `&`, and the encoded
 * token secret ("An "&" character (ASCII code 38), which MUST be included even when either
 * secret is empty").
 */
export function signingKey(consumerSecret: string, tokenSecret = ""): string {
  return `${percentEncode(consumerSecret)}&${percentEncode(tokenSecret)}`;
}

/**
 * Signs a signature base string with the given method; returns the `oauth_signature` value
 * (base64 for HMAC and RSA, the signing key itself for PLAINTEXT), not yet percent-encoded.
 *
 * @see https://www.rfc-editor.org/rfc/rfc5849#section-3.4
 */
export async function sign(method: SignatureMethod, baseString: string, secrets: SigningSecrets): Promise<string> {
  switch (method) {
    case "HMAC-SHA1":
    case "HMAC-SHA256": {
      const key = await importHmacKey(method, signingKey(secrets.consumerSecret, secrets.tokenSecret));
      return toBase64(await crypto.subtle.sign("HMAC", key, encoder.encode(baseString)));
    }
    case "RSA-SHA1": {
      if (!secrets.privateKey) throw new InvalidInputError("RSA-SHA1 needs privateKey");
      return toBase64(await crypto.subtle.sign("RSASSA-PKCS1-v1_5", secrets.privateKey, encoder.encode(baseString)));
    }
    case "PLAINTEXT":
      // Section 3.4.4: the signature is the signing key; the base string is not used.
      return signingKey(secrets.consumerSecret, secrets.tokenSecret);
    default:
      throw new InvalidInputError(`unknown signature method ${String(method).slice(0, 32)}`);
  }
}

/** The HMAC key for an encoded signing key (see {@link signingKey}), imported once and cached. */
function importHmacKey(method: "HMAC-SHA1" | "HMAC-SHA256", key: string): Promise<CryptoKey> {
  return cached(`${method}\n${key}`, () =>
    crypto.subtle.importKey(
      "raw",
      encoder.encode(key),
      { name: "HMAC", hash: method === "HMAC-SHA1" ? "SHA-1" : "SHA-256" },
      false,
      ["sign"],
    ),
  );
}

/**
 * Imports an RSA private key, PKCS#8 in PEM (`-----BEGIN PRIVATE KEY-----`), for RSA-SHA1
 * (RSASSA-PKCS1-v1_5 with SHA-1, section 3.4.3). Import it once and give the key to the client:
 * a Worker that signs with HMAC never carries this code.
 *
 * @throws {InvalidInputError} not PEM, or not a PKCS#8 RSA key
 * @see https://www.rfc-editor.org/rfc/rfc5849#section-3.4.3
 */
export async function importRsaPrivateKey(pem: string): Promise<CryptoKey> {
  const body = pem.replace(/-----(BEGIN|END) PRIVATE KEY-----/g, "").replace(/\s+/g, "");
  let der: Uint8Array<ArrayBuffer>;
  try {
    der = Uint8Array.from(atob(body), (character) => character.charCodeAt(0));
  } catch {
    throw new InvalidInputError("the RSA private key is not PEM (base64 between PRIVATE KEY lines)");
  }
  try {
    return await crypto.subtle.importKey("pkcs8", der, { name: "RSASSA-PKCS1-v1_5", hash: "SHA-1" }, false, ["sign"]);
  } catch {
    throw new InvalidInputError("the RSA private key is not a PKCS#8 RSA key");
  }
}

function cached(cacheKey: string, importKey: () => Promise<CryptoKey>): Promise<CryptoKey> {
  let key = keyCache.get(cacheKey);
  if (key) {
    keyCache.delete(cacheKey);
  } else {
    key = importKey();
    // A failed import is not kept.
    key.catch(() => keyCache.delete(cacheKey));
    if (keyCache.size >= KEY_CACHE_LIMIT) keyCache.delete(keyCache.keys().next().value!);
  }
  keyCache.set(cacheKey, key);
  return key;
}

function toBase64(buffer: ArrayBuffer): string {
  return btoa(String.fromCharCode(...new Uint8Array(buffer)));
}
