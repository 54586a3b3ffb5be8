// X's two endpoints for the signed-in user's profile, v1.1 account/verify_credentials and v2 GET /2/users/me, each answer passed on exactly as X wrote it; and the user its token answer names.

import { type Credentials, type OAuth1Client, ProviderResponseError, ProviderStatusError } from "../oauth1/index.js";

/** The largest profile answer read (X's is a few KiB). */
const MAX_PROFILE_BYTES = 256 * 1024;

/** The fields of a profile answer the service relies on, read without touching the raw text: the same from either endpoint. */
export interface TwitterProfile {
  /** The user id as a string: X's ids exceed 2^53, so the numeric `id` is never used. */
  id: string;
  screenName: string;
  name: string;
  profileImageUrl: string | undefined;
  email: string | undefined;
}

/** The raw answer and what was read from it. */
export interface VerifiedCredentials {
  /** X's JSON text, byte for byte. */
  json: string;
  profile: TwitterProfile;
}

/**
 * Calls v1.1 `GET account/verify_credentials.json` signed with the user's token credentials.
 *
 * @throws {ProviderStatusError} X answered non-2xx
 * @throws {ProviderResponseError} the answer is not a user object with `id_str` and `screen_name`
 * @see https://developer.x.com/en/docs/twitter-api/v1/accounts-and-users/manage-account-settings/api-reference/get-account-verify_credentials
 */
export function verifyCredentials(client: OAuth1Client, token: Credentials, options: { includeEmail?: boolean } = {}): Promise<VerifiedCredentials> {
  const query: Record<string, string> = { skip_status: "true" };
  if (options.includeEmail) query.include_email = "true";
  return fetchProfileJson(client, "account/verify_credentials.json", token, query, V1_FIELDS);
}

/**
 * Calls X API v2 `GET /2/users/me` signed with the user's OAuth 1.0a token credentials (the `2/`
 * beside TWITTER_API_BASE_URL's `1.1/`), asking `user.fields=profile_image_url` (id, name and
 * username come by default), and `confirmed_email` with `includeEmail`.
 *
 * @throws {ProviderStatusError} X answered non-2xx
 * @throws {ProviderResponseError} the answer has no `data` with a string `id` of digits and a `username`
 * @see https://docs.x.com/x-api/users/lookup/quickstart/authenticated-lookup
 * @see https://docs.x.com/x-api/fundamentals/data-dictionary
 */
export function getUsersMe(client: OAuth1Client, token: Credentials, options: { includeEmail?: boolean } = {}): Promise<VerifiedCredentials> {
  const query = { "user.fields": options.includeEmail ? "profile_image_url,confirmed_email" : "profile_image_url" };
  return fetchProfileJson(client, "../2/users/me", token, query, V2_FIELDS);
}

/** Where each endpoint keeps the profile: the object (`data` in v2), then its id, screen name, name, avatar and email fields. */
type Fields = readonly [object: string | undefined, id: string, screenName: string, name: string, image: string, email: string];
const V1_FIELDS: Fields = [undefined, "id_str", "screen_name", "name", "profile_image_url_https", "email"];
const V2_FIELDS: Fields = ["data", "id", "username", "name", "profile_image_url", "confirmed_email"];

async function fetchProfileJson(client: OAuth1Client, path: string, token: Credentials, query: Record<string, string>, fields: Fields): Promise<VerifiedCredentials> {
  const { response, body: json, url } = await client.requestText("GET", path, { token, query }, MAX_PROFILE_BYTES);
  if (response.status < 200 || response.status > 299) throw new ProviderStatusError(url, response.status, json);
  const profile = readProfile(json, fields);
  if (!profile) throw new ProviderResponseError(url, response.status, json, `no user with a ${fields[1]} of digits and a ${fields[2]}`);
  return { json, profile };
}

/** The profile in a /2/users/me answer (`data` with a string `id` of digits and a `username`), or undefined. */
export function readUsersMeProfile(json: string): TwitterProfile | undefined {
  return readProfile(json, V2_FIELDS);
}

function readProfile(json: string, [object, ...names]: Fields): TwitterProfile | undefined {
  let user: Record<string, unknown>;
  try {
    user = Object(JSON.parse(json));
    if (object) user = Object(user[object]);
  } catch {
    return undefined;
  }
  return readUser(user, names);
}

/**
 * The user X names in its OAuth 1.0a `oauth/access_token` answer, `user_id` and `screen_name`
 * (X's extension of RFC 5849 section 2.3), for TWITTER_PROFILE_ENDPOINT=none: no profile call.
 * The name is the screen name; no avatar, no email. Undefined when either is missing or the id is
 * not digits.
 * @see https://docs.x.com/resources/fundamentals/authentication/api-reference
 */
export function userOfTokenAnswer(parameters: URLSearchParams): TwitterProfile | undefined {
  return readUser(Object.fromEntries(parameters), TOKEN_ANSWER_FIELDS);
}
/** The id and screen name; the token answer has no name, avatar or email. */
const TOKEN_ANSWER_FIELDS = ["user_id", "screen_name", undefined, undefined, undefined] as const;

function readUser(user: Record<string, unknown>, names: readonly (string | undefined)[]): TwitterProfile | undefined {
  const [id, screenName, name, image, email] = names.map((name) => {
    const value = name === undefined ? undefined : user[name];
    // Well-formed: a lone surrogate from X would break encodeURIComponent, TextEncoder round trips and headers downstream.
    return typeof value === "string" && value !== "" ? value.toWellFormed() : undefined;
  });
  // A string of digits: a JSON number would have lost the id's last digits already.
  if (!id || !/^\d{1,20}$/.test(id) || !screenName) return undefined;
  return { id, screenName, name: name ?? screenName, profileImageUrl: image, email };
}
