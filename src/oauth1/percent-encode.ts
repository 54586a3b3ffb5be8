// Percent-encoding of RFC 5849 section 3.6: UTF-8, then every octet outside RFC 3986's unreserved set.

import { InvalidInputError } from "./errors.js";

const RESERVED_BY_RFC_3986 = /[!'()*]/g;
const HAS_RESERVED = /[!'()*]/;
// Already encoded as it is (tokens, nonces, timestamps, most names): returned unchanged.
const ONLY_UNRESERVED = /^[A-Za-z0-9\-._~]*$/;
const ENCODED_RESERVED: Record<string, string> = { "!": "%21", "'": "%27", "(": "%28", ")": "%29", "*": "%2A" };

/**
 * Encodes a string as RFC 5849 section 3.6 requires: UTF-8 first, then every octet except
 * the unreserved characters `ALPHA / DIGIT / "-" / "." / "_" / "~"` as `%XX` with uppercase hex.
 *
 * Unlike `encodeURIComponent`, it also encodes `!`, `*`, `'`, `(` and `)`.
 *
 * @example percentEncode("Ladies + Gentlemen") === "Ladies%20%2B%20Gentlemen"
 * @see https://www.rfc-editor.org/rfc/rfc5849#section-3.6
 */
export function percentEncode(value: string): string {
  if (ONLY_UNRESERVED.test(value)) return value;
  let encoded: string;
  try {
    encoded = encodeURIComponent(value);
  } catch {
    // encodeURIComponent throws URIError on a lone surrogate: such a string has no UTF-8 form.
    throw new InvalidInputError("a parameter has a lone surrogate (not valid Unicode)");
  }
  return HAS_RESERVED.test(encoded) ? encoded.replace(RESERVED_BY_RFC_3986, encodeReserved) : encoded;
}

function encodeReserved(character: string): string {
  return ENCODED_RESERVED[character]!;
}
