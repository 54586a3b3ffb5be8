// RFC 5849 on the provider side: reads protocol parameters from a request and checks signatures with oauth-sign, never with the project's own signer.
import { timingSafeEqual } from "node:crypto";
import { generateBase, rfc3986, sign } from "oauth-sign";

/** One request parameter, decoded: [name, value]. Repeated names stay repeated. */
export type Parameter = [name: string, value: string];

/** The signature methods the stand-in verifies (RFC 5849 3.4; HMAC-SHA256 as commonly added). */
export const SIGNATURE_METHODS = ["HMAC-SHA1", "HMAC-SHA256", "PLAINTEXT"] as const;
export type SignatureMethod = (typeof SIGNATURE_METHODS)[number];

/** The protocol parameters of RFC 5849 3.1 and 2.x: each may appear at most once per request. */
export const PROTOCOL_PARAMETERS = [
  "oauth_consumer_key",
  "oauth_token",
  "oauth_signature_method",
  "oauth_signature",
  "oauth_timestamp",
  "oauth_nonce",
  "oauth_version",
  "oauth_callback",
  "oauth_verifier",
] as const;

/** Either a value or the reason it could not be had. */
export type Result<T> = { ok: true; value: T } | { ok: false; reason: string };

/** RFC 5849 3.6: what a percent-encoded value may contain (unreserved characters and %XX triplets). */
const PERCENT_ENCODED = /^(?:[A-Za-z0-9\-._~]|%[0-9A-Fa-f]{2})*$/;
/** RFC 5849 3.5.1 / RFC 2617 auth-param: name="value", separated by commas and optional whitespace. */
const AUTH_PARAM = /[ \t]*([^\s=,"]+)="([^"]*)"[ \t]*(,|$)/y;

/**
 * RFC 5849 3.5.1, the "Authorization" header: `OAuth name="value", ...` with names and values
 * percent-encoded per 3.6. Returns null when the header is absent or not of the OAuth scheme.
 * Strict on purpose: a value holding characters that should have been encoded is rejected.
 */
export function parseAuthorizationHeader(header: string | undefined): Result<Parameter[]> | null {
  if (header === undefined) return null;
  const scheme = /^OAuth(?:[ \t]+|$)/i.exec(header);
  if (!scheme) return null;
  const parameters: Parameter[] = [];
  const text = header.slice(scheme[0].length);
  AUTH_PARAM.lastIndex = 0;
  while (AUTH_PARAM.lastIndex < text.length) {
    const start = AUTH_PARAM.lastIndex;
    const match = AUTH_PARAM.exec(text);
    if (!match) return { ok: false, reason: `malformed Authorization header near character ${start + scheme[0].length}` };
    const [, rawName = "", rawValue = "", separator] = match;
    for (const raw of [rawName, rawValue]) {
      if (!PERCENT_ENCODED.test(raw)) {
        return { ok: false, reason: `Authorization header parameter ${JSON.stringify(rawName)} is not percent-encoded (RFC 5849 3.6)` };
      }
    }
    const name = percentDecode(rawName);
    const value = percentDecode(rawValue);
    if (name === null || value === null) return { ok: false, reason: `Authorization header parameter ${JSON.stringify(rawName)} is not valid UTF-8` };
    parameters.push([name, value]);
    if (separator === "") break;
  }
  return { ok: true, value: parameters };
}

function percentDecode(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

/** What the stand-in needs from an HTTP request to find its parameters. */
export interface ReceivedRequest {
  query: URLSearchParams;
  /** The entity-body, parsed, when it is single-part application/x-www-form-urlencoded; otherwise null. */
  form: URLSearchParams | null;
  /** The Authorization header's parameters (realm included), or null without one. */
  header: Parameter[] | null;
}

/**
 * RFC 5849 3.4.1.3.1, parameter sources: the query component, the form-encoded entity-body and the
 * Authorization header (minus "realm"). Includes oauth_signature; see signatureBaseParameters.
 */
export function requestParameters(request: ReceivedRequest): Parameter[] {
  const parameters: Parameter[] = [];
  for (const [name, value] of request.query) parameters.push([name, value]);
  if (request.form) for (const [name, value] of request.form) parameters.push([name, value]);
  for (const [name, value] of request.header ?? []) if (name !== "realm") parameters.push([name, value]);
  return parameters;
}

/** RFC 5849 3.4.1.3.1: "The oauth_signature parameter MUST be excluded from the signature base string". */
export function signatureBaseParameters(parameters: Parameter[]): Parameter[] {
  return parameters.filter(([name]) => name !== "oauth_signature");
}

/** RFC 5849 3.1: each protocol parameter appears at most once. Returns them by name, or the first duplicate. */
export function protocolParameters(parameters: Parameter[]): Result<Map<string, string>> {
  const known = new Set<string>(PROTOCOL_PARAMETERS);
  const found = new Map<string, string>();
  for (const [name, value] of parameters) {
    if (!known.has(name)) continue;
    if (found.has(name)) return { ok: false, reason: `duplicate protocol parameter ${name}` };
    found.set(name, value);
  }
  return { ok: true, value: found };
}

/**
 * RFC 5849 3.4.1.2, the base string URI: lowercase scheme and host, no default port (80 for http,
 * 443 for https), no userinfo, the path as sent (an empty path becomes "/"), no query or fragment.
 */
export function baseStringUri(url: string): Result<string> {
  const match = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(?:[^/?#@]*@)?(\[[^\]]*\]|[^:/?#]*)(?::(\d*))?([^?#]*)/.exec(url);
  if (!match) return { ok: false, reason: `not an absolute URL: ${JSON.stringify(url)}` };
  const [, rawScheme = "", rawHost = "", port = "", path = ""] = match;
  const scheme = rawScheme.toLowerCase();
  const host = rawHost.toLowerCase();
  if (host === "") return { ok: false, reason: `no host in ${JSON.stringify(url)}` };
  const isDefaultPort = port === "" || (scheme === "http" && Number(port) === 80) || (scheme === "https" && Number(port) === 443);
  return { ok: true, value: `${scheme}://${host}${isDefaultPort ? "" : `:${port}`}${path === "" ? "/" : path}` };
}

/** oauth-sign takes parameters as an object; repeated names become arrays. Null prototype: any name is safe. */
function toOauthSignParameters(parameters: Parameter[]): Record<string, string | string[]> {
  const object: Record<string, string | string[]> = Object.create(null);
  for (const [name, value] of parameters) {
    const existing = object[name];
    if (existing === undefined) object[name] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else object[name] = [existing, value];
  }
  return object;
}

/** RFC 5849 3.4.1: the signature base string, as oauth-sign builds it. */
export function signatureBaseString(httpMethod: string, baseUri: string, parameters: Parameter[]): string {
  return generateBase(httpMethod, baseUri, toOauthSignParameters(signatureBaseParameters(parameters)));
}

/** What checking one signature found. No secrets in here. */
export interface SignatureCheck {
  valid: boolean;
  baseString: string;
  expectedSignature: string;
  receivedSignature: string;
}

/**
 * RFC 5849 3.4: computes the signature oauth-sign expects for this request and compares it, in
 * constant time, with the one received. `parameters` may include oauth_signature (it is excluded).
 */
export function checkSignature(input: {
  signatureMethod: SignatureMethod;
  httpMethod: string;
  baseUri: string;
  parameters: Parameter[];
  receivedSignature: string;
  consumerSecret: string;
  tokenSecret: string;
}): SignatureCheck {
  const baseParameters = toOauthSignParameters(signatureBaseParameters(input.parameters));
  const baseString = generateBase(input.httpMethod, input.baseUri, baseParameters);
  const expectedSignature = sign(input.signatureMethod, input.httpMethod, input.baseUri, baseParameters, input.consumerSecret, input.tokenSecret);
  return { valid: constantTimeEqual(expectedSignature, input.receivedSignature), baseString, expectedSignature, receivedSignature: input.receivedSignature };
}

/** crypto.timingSafeEqual on equal-length UTF-8 buffers; different lengths are simply unequal. */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, "utf8");
  const right = Buffer.from(b, "utf8");
  return left.length === right.length && timingSafeEqual(left, right);
}

export function isSignatureMethod(value: string): value is SignatureMethod {
  return (SIGNATURE_METHODS as readonly string[]).includes(value);
}

/** RFC 5849 3.6 percent-encoding (oauth-sign's rfc3986). */
export function percentEncode(value: string): string {
  return rfc3986(value);
}

/** application/x-www-form-urlencoded body text from parameters, percent-encoded per RFC 5849 3.6. */
export function formEncode(parameters: Parameter[]): string {
  return parameters.map(([name, value]) => `${percentEncode(name)}=${percentEncode(value)}`).join("&");
}
