// Parameter transmission of RFC 5849 section 3.5: Authorization header, form body, query string.

import type { EncodedParameter } from "./base-string.js";
import { InvalidInputError } from "./errors.js";

/** Where the protocol parameters travel (section 3.5); the header is the RFC's recommendation. */
export type Placement = "header" | "body" | "query";

/**
 * The `Authorization` header of section 3.5.1: `OAuth`, an optional `realm`, then each
 * protocol parameter as `name="value"` (already percent-encoded), separated by `, `.
 *
 * @see https://www.rfc-editor.org/rfc/rfc5849#section-3.5.1
 */
export function toAuthorizationHeader(encodedProtocolParameters: readonly EncodedParameter[], realm?: string): string {
  let header = "OAuth ";
  if (realm !== undefined) {
    // The realm is an RFC 2617 quoted-string, not percent-encoded: refuse what it cannot hold,
    // and what a header value (a ByteString) cannot hold, a character above U+00FF.
    if (/["\\\u0000-\u001f\u007f\u0100-\uffff]/.test(realm)) {
      throw new InvalidInputError("realm has a quote, backslash, control or non-Latin-1 character");
    }
    header += `realm="${realm}", `;
  }
  for (let index = 0; index < encodedProtocolParameters.length; index++) {
    const [name, value] = encodedProtocolParameters[index]!;
    header += index === 0 ? `${name}="${value}"` : `, ${name}="${value}"`;
  }
  return header;
}

/**
 * An `application/x-www-form-urlencoded` string of section 3.5.2 (and 3.5.3's query) from
 * already-encoded pairs. RFC 3986 encoding is valid form encoding, so receivers decode it exactly.
 *
 * @see https://www.rfc-editor.org/rfc/rfc5849#section-3.5.2
 */
export function toFormEncoded(encodedParameters: readonly EncodedParameter[]): string {
  return encodedParameters.map(([name, value]) => `${name}=${value}`).join("&");
}

/**
 * Appends already-encoded pairs to a URL's query (section 3.5.3), keeping what is there.
 *
 * @see https://www.rfc-editor.org/rfc/rfc5849#section-3.5.3
 */
export function appendToQuery(url: URL, encodedParameters: readonly EncodedParameter[]): string {
  // The fragment is never sent (fetch drops it), so it is left out. Cut at the "#" itself:
  // `url.hash` is "" for an empty fragment ("...#"), which would leave the "#" in place and
  // append the parameters to the fragment. A serialized URL has "#" nowhere else.
  const hashAt = url.href.indexOf("#");
  const base = hashAt === -1 ? url.href : url.href.slice(0, hashAt);
  if (encodedParameters.length === 0) return base;
  const separator = url.search.length > 1 ? "&" : base.endsWith("?") ? "" : "?";
  return `${base}${separator}${toFormEncoded(encodedParameters)}`;
}
