// X's account/verify_credentials: the signed-in user's profile, passed on exactly as X wrote it.

import { type Credentials, type OAuth1Client, ProviderResponseError, ProviderStatusError } from "../oauth1/index.js";

/** The largest verify_credentials answer read (X's is a few KiB). */
const MAX_PROFILE_BYTES = 256 * 1024;

/** The fields of a verify_credentials answer the service relies on, read without touching the raw text. */
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
 * Calls `GET account/verify_credentials.json` signed with the user's token credentials.
 *
 * @throws {ProviderStatusError} X answered non-2xx
 * @throws {ProviderResponseError} the answer is not a user object with `id_str` and `screen_name`
 * @see https://docs.x.com/x-api/v1/users/verify-credentials
 */
export async function verifyCredentials(
  client: OAuth1Client,
  token: Credentials,
  options: { includeEmail?: boolean } = {},
): Promise<VerifiedCredentials> {
  const query: Record<string, string> = { skip_status: "true" };
  if (options.includeEmail) query.include_email = "true";
  const { response, body: json, url } = await client.requestText("GET", "account/verify_credentials.json", { token, query }, MAX_PROFILE_BYTES);
  if (response.status < 200 || response.status > 299) throw new ProviderStatusError(url, response.status, json);
  const profile = readProfile(json);
  if (!profile) throw new ProviderResponseError(url, response.status, json, "no user object with id_str and screen_name");
  return { json, profile };
}

function readProfile(json: string): TwitterProfile | undefined {
  let user: Record<string, unknown>;
  try {
    user = Object(JSON.parse(json));
  } catch {
    return undefined;
  }
  // Well-formed: a lone surrogate from X would break encodeURIComponent, TextEncoder round trips and headers downstream.
  const text = (value: unknown) => (typeof value === "string" && value !== "" ? value.toWellFormed() : undefined);
  const id = text(user.id_str);
  const screenName = text(user.screen_name);
  if (!id || !/^\d{1,20}$/.test(id) || !screenName) return undefined;
  return { id, screenName, name: text(user.name) ?? screenName, profileImageUrl: text(user.profile_image_url_https), email: text(user.email) };
}
