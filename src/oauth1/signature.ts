// Signature methods of RFC 5849 sections 3.4.2 (HMAC-SHA1), 3.4.3 (RSA-SHA1) and 3.4.4 (PLAINTEXT), plus HMAC-SHA256.

import { InvalidInputError } from "./errors.ts";
import { percentEncode } from "./percent-encode.ts";

/** The signature methods the client can use. Twitter uses HMAC-SHA1. */
export type SignatureMethod = "HMAC-SHA1" | "HMAC-SHA256" | "RSA-SHA1" | "PLAINTEXT";

/** What a signature is made with. */
export interface SigningSecrets {
  /** The client's (consumer's) shared secret. */
  consumerSecret: string;
  /** The token's shared secret; empty or absent before there is a token. */
  tokenSecret?: string;
  /** For RSA-SHA1 only: the client's private key, PKCS#8 in PEM (`-----BEGIN PRIVATE KEY-----`). */
  privateKey?: string;
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
      if (!secrets.privateKey) throw new InvalidInputError("RSA-SHA1 needs the client's private key (PKCS#8 PEM)");
      const key = await importRsaKey(secrets.privateKey);
      return toBase64(await crypto.subtle.sign("RSASSA-PKCS1-v1_5", key, encoder.encode(baseString)));
    }
    case "PLAINTEXT":
      // Section 3.4.4: the signature is the signing key; the base string is not used.
      return signingKey(secrets.consumerSecret, secrets.tokenSecret);
    default:
      throw new InvalidInputError(`unknown signature method ${String(method).slice(0, 32)}`);
  }
}

/** The HMAC key for an encoded signing key (see {@link signingKey}), imported once and cached. Internal. */
export function importHmacKey(method: "HMAC-SHA1" | "HMAC-SHA256", key: string): Promise<CryptoKey> {
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

function importRsaKey(pem: string): Promise<CryptoKey> {
  return cached(`RSA-SHA1\n${pem}`, async () => {
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
  });
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

const BASE64 = Array.from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
// The same digits percent-encoded (section 3.6): "+" and "/" (and the "=" padding) are reserved.
const BASE64_ENCODED = BASE64.map((digit) => (digit === "+" ? "%2B" : digit === "/" ? "%2F" : digit));

function toBase64(buffer: ArrayBuffer): string {
  return base64(new Uint8Array(buffer), BASE64, "=");
}

/** Base64 of a signature, percent-encoded for transmission in the same pass. Internal. */
export function toEncodedBase64(buffer: ArrayBuffer): string {
  return base64(new Uint8Array(buffer), BASE64_ENCODED, "%3D");
}

function base64(bytes: Uint8Array, digits: readonly string[], pad: string): string {
  let text = "";
  let index = 0;
  for (; index + 2 < bytes.length; index += 3) {
    const triple = (bytes[index]! << 16) | (bytes[index + 1]! << 8) | bytes[index + 2]!;
    text += digits[triple >>> 18]! + digits[(triple >>> 12) & 63]! + digits[(triple >>> 6) & 63]! + digits[triple & 63]!;
  }
  if (index + 1 === bytes.length) {
    const single = bytes[index]! << 16;
    text += digits[single >>> 18]! + digits[(single >>> 12) & 63]! + pad + pad;
  } else if (index + 2 === bytes.length) {
    const pair = (bytes[index]! << 16) | (bytes[index + 1]! << 8);
    text += digits[pair >>> 18]! + digits[(pair >>> 12) & 63]! + digits[(pair >>> 6) & 63]! + pad;
  }
  return text;
}
