// Proof Key for Code Exchange (RFC 7636): the code verifier (section 4.1) and the S256 code challenge (section 4.2).

import { InvalidInputError } from "./errors.js";

// Section 4.1: code-verifier = 43*128unreserved, unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~".
const CODE_VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

/**
 * A code verifier of 32 random octets, base64url-encoded into 43 characters, as section 4.1
 * recommends ("a 32-octet sequence ... base64url-encoded to produce a 43-octet URL safe string").
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.1
 */
export function generateCodeVerifier(): string {
  return base64UrlEncode(crypto.getRandomValues(new Uint8Array(32)));
}

/**
 * The S256 code challenge of a verifier: BASE64URL-ENCODE(SHA256(ASCII(code_verifier))).
 * @see https://www.rfc-editor.org/rfc/rfc7636#section-4.2
 */
export async function calculateCodeChallenge(codeVerifier: string): Promise<string> {
  if (!CODE_VERIFIER.test(codeVerifier)) {
    throw new InvalidInputError("the code verifier is not 43 to 128 unreserved characters (RFC 7636 section 4.1)");
  }
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(codeVerifier));
  return base64UrlEncode(new Uint8Array(digest));
}

/** Base64url without padding (RFC 7636 Appendix A). */
export function base64UrlEncode(bytes: Uint8Array): string {
  let binary = "";
  for (let index = 0; index < bytes.length; index++) binary += String.fromCharCode(bytes[index]!);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
