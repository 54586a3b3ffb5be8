// The signature base string of RFC 5849 section 3.4.1.

import { InvalidInputError } from "./errors.js";
import { percentEncode } from "./percent-encode.js";

/** A request parameter as a name/value pair; names may repeat. */
export type Parameter = readonly [name: string, value: string];

/** A parameter whose name and value are already percent-encoded (section 3.6). */
export type EncodedParameter = readonly [encodedName: string, encodedValue: string];

/**
 * Parses an absolute http(s) URL, or throws InvalidInputError.
 * Nothing is sent for a URL that fails here.
 */
export function parseAbsoluteUrl(url: string | URL, what = "URL"): URL {
  let parsed: URL;
  try {
    parsed = url instanceof URL ? url : new URL(url);
  } catch {
    throw new InvalidInputError(`the ${what} is not an absolute URL`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new InvalidInputError(`the ${what} must use http or https, not ${parsed.protocol.slice(0, 16)}`);
  }
  return parsed;
}

/**
 * The base string URI of section 3.4.1.2: scheme and host in lowercase, the port only when it
 * is not the scheme's default, the path; no user info, query or fragment.
 *
 * @example normalizeBaseStringUri("HTTP://EXAMPLE.COM:80/r%20v/X?id=123") === "http://example.com/r%20v/X"
 * @see https://www.rfc-editor.org/rfc/rfc5849#section-3.4.1.2
 */
export function normalizeBaseStringUri(url: string | URL): string {
  const parsed = parseAbsoluteUrl(url);
  // WHATWG URL already lowercases scheme and host and drops :80 for http and :443 for https,
  // which is what the RFC asks: "The port MUST be included if it is not the default port for
  // the scheme, and MUST be excluded if it is the default."
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
}

/** Percent-encodes each name and value (section 3.4.1.3.2, step 1). */
export function encodeParameters(parameters: Iterable<Parameter>): EncodedParameter[] {
  const encoded: EncodedParameter[] = [];
  for (const [name, value] of parameters) encoded.push([percentEncode(name), percentEncode(value)]);
  return encoded;
}

/**
 * Parameters normalization of section 3.4.1.3.2 over already-encoded pairs: sorted by name, then
 * by value, in ascending byte order; each joined by `=` (even when the value is empty), all by `&`.
 * Duplicates are kept. Sorts the given array in place.
 */
export function normalizeEncodedParameters(encoded: EncodedParameter[]): string {
  // Encoded strings are ASCII, so UTF-16 code unit order is byte order.
  encoded.sort(compareEncodedParameters);
  let normalized = "";
  for (let index = 0; index < encoded.length; index++) {
    const pair = encoded[index]!;
    normalized += index === 0 ? `${pair[0]}=${pair[1]}` : `&${pair[0]}=${pair[1]}`;
  }
  return normalized;
}

/**
 * Parameters normalization of section 3.4.1.3.2: encode, sort, join.
 *
 * @see https://www.rfc-editor.org/rfc/rfc5849#section-3.4.1.3.2
 */
export function normalizeParameters(parameters: Iterable<Parameter>): string {
  return normalizeEncodedParameters(encodeParameters(parameters));
}

/**
 * The signature base string of section 3.4.1.1 from already-encoded pairs, in one pass: equal to
 * `constructBaseString(method, baseStringUri, normalizeEncodedParameters(encoded))`. Encoding an
 * encoded pair again only turns "%" into "%25" (it holds nothing else to encode), and "=" and
 * "&" between them become "%3D" and "%26". Sorts `encoded` in place. Internal to the client.
 */
export function constructBaseStringOfEncoded(method: string, baseStringUri: string, encoded: EncodedParameter[]): string {
  encoded.sort(compareEncodedParameters);
  let baseString = `${percentEncode(method.toUpperCase())}&${percentEncode(baseStringUri)}&`;
  for (let index = 0; index < encoded.length; index++) {
    const pair = encoded[index]!;
    if (index > 0) baseString += "%26";
    baseString += `${encodeAgain(pair[0])}%3D${encodeAgain(pair[1])}`;
  }
  return baseString;
}

function encodeAgain(encoded: string): string {
  // In an encoded string, encodeURIComponent finds only "%" to encode: it is replaceAll("%", "%25"), faster.
  return encoded.includes("%") ? encodeURIComponent(encoded) : encoded;
}

function compareEncodedParameters(a: EncodedParameter, b: EncodedParameter): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  if (a[1] !== b[1]) return a[1] < b[1] ? -1 : 1;
  return 0;
}

/**
 * The signature base string of section 3.4.1.1: the uppercase method, the base string URI and
 * the normalized parameters, each percent-encoded, joined by `&`.
 *
 * @param normalizedParameters the output of {@link normalizeParameters}
 * @see https://www.rfc-editor.org/rfc/rfc5849#section-3.4.1.1
 */
export function constructBaseString(method: string, baseStringUri: string, normalizedParameters: string): string {
  return `${percentEncode(method.toUpperCase())}&${percentEncode(baseStringUri)}&${percentEncode(normalizedParameters)}`;
}

/**
 * The request parameters of section 3.4.1.3.1: the query component, an
 * `application/x-www-form-urlencoded` body, and the protocol parameters except
 * `oauth_signature` (and `realm`, which only the Authorization header carries).
 *
 * @see https://www.rfc-editor.org/rfc/rfc5849#section-3.4.1.3.1
 */
export function collectParameters(
  url: string | URL,
  formBody: Iterable<Parameter> = [],
  protocolParameters: Iterable<Parameter> = [],
): Parameter[] {
  const collected: Parameter[] = [];
  for (const pair of parseAbsoluteUrl(url).searchParams) collected.push(pair);
  for (const pair of formBody) collected.push(pair);
  for (const pair of protocolParameters) {
    if (pair[0] !== "oauth_signature" && pair[0] !== "realm") collected.push(pair);
  }
  return collected;
}
