// Twitter's (X's) words: its error codes and bodies, and the v1.1 user object, whose 64-bit ids are written as raw JSON digits.
import { createHash } from "node:crypto";

/** Twitter API error codes the stand-in answers with, and X's messages for them. */
export const TWITTER_ERRORS = {
  couldNotAuthenticate: { code: 32, message: "Could not authenticate you." },
  pageDoesNotExist: { code: 34, message: "Sorry, that page does not exist." },
  invalidOrExpiredToken: { code: 89, message: "Invalid or expired token." },
  internalError: { code: 131, message: "Internal error." },
  timestampOutOfBounds: { code: 135, message: "Timestamp out of bounds." },
  badAuthenticationData: { code: 215, message: "Bad Authentication data." },
  callbackNotApproved: {
    code: 415,
    message: "Callback URL not approved for this client application. Approved callback URLs can be adjusted in your application settings",
  },
} as const;

/** X's wording when POST oauth/access_token gets a verifier that does not belong to the request token. */
export const INVALID_VERIFIER_MESSAGE = "Invalid oauth_verifier parameter";

/** Twitter's error body: {"errors":[{"code":N,"message":"..."}]}. */
export function twitterErrorBody(code: number, message: string): string {
  return JSON.stringify({ errors: [{ code, message }] });
}

/** A JSON number written exactly as these digits: for ids above 2^53, which a JS number would round. */
export class RawDigits {
  readonly digits: string;
  constructor(digits: string) {
    if (!/^-?\d+$/.test(digits)) throw new TypeError(`not an integer: ${digits}`);
    this.digits = digits;
  }
}

export type JsonValue = null | boolean | number | string | RawDigits | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** JSON text by hand, so a RawDigits id reaches the client digit for digit (compact, like Twitter's). */
export function jsonText(value: JsonValue): string {
  if (value instanceof RawDigits) return value.digits;
  if (Array.isArray(value)) return `[${value.map(jsonText).join(",")}]`;
  if (value !== null && typeof value === "object") {
    return `{${Object.entries(value).map(([key, item]) => `${JSON.stringify(key)}:${jsonText(item)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** The first 8 bytes of SHA-256 over a label, as an unsigned 64-bit number: the seed of every made-up field. */
function hashSeed(label: string): bigint {
  return createHash("sha256").update(label, "utf8").digest().readBigUInt64BE(0);
}

/**
 * A user's id from their screen name: 19 digits starting with 1 (so above 2^53), the same for the
 * same name in any letter case, different for different names (a SHA-256 hash of the lowercased name).
 */
export function userIdForScreenName(screenName: string): string {
  return (10n ** 18n + (hashSeed(`user:${screenName.toLowerCase()}`) % (9n * 10n ** 17n))).toString();
}

/** Twitter's screen name rule: 1 to 15 letters, digits or underscores. */
export function isValidScreenName(value: string): boolean {
  return /^[A-Za-z0-9_]{1,15}$/.test(value);
}

/** Twitter's boolean query values: "true", "t" or "1". */
export function isTwitterTrue(value: string | null): boolean {
  return value === "true" || value === "t" || value === "1";
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** Twitter's created_at format: "Wed Oct 10 20:19:24 +0000 2018". */
export function twitterDate(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${DAYS[date.getUTCDay()]} ${MONTHS[date.getUTCMonth()]} ${pad(date.getUTCDate())} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000 ${date.getUTCFullYear()}`;
}

/** A made-up but stable date between 2007 and 2020 for a label. */
function stableDate(label: string): Date {
  const start = Date.UTC(2007, 0, 1);
  const span = Date.UTC(2020, 0, 1) - start;
  return new Date(start + Number(hashSeed(label) % BigInt(span)));
}

/** A made-up but stable count below `limit` for a label. */
function stableCount(label: string, limit: number): number {
  return Number(hashSeed(label) % BigInt(limit));
}

/** Who the verify_credentials answer describes. */
export interface TwitterAccount {
  screenName: string;
  /** Display name; defaults to the screen name. */
  name?: string;
}

export interface UserObjectOptions {
  /** Base of profile image URLs, e.g. "http://127.0.0.1:1234". */
  origin: string;
  includeStatus: boolean;
  includeEmail: boolean;
  includeEntities: boolean;
}

/** The avatar URL the stand-in serves for a user id. */
export function profileImageUrl(origin: string, idStr: string): string {
  return `${origin}/profile_images/${idStr}/normal.svg`;
}

/**
 * A Twitter v1.1 user object (GET account/verify_credentials), deterministic per screen name.
 * `id` (and the status's `id`) are RawDigits: serialize with jsonText.
 */
export function userObject(account: TwitterAccount, options: UserObjectOptions): JsonObject {
  const screenName = account.screenName;
  const key = screenName.toLowerCase();
  const idStr = userIdForScreenName(screenName);
  const image = profileImageUrl(options.origin, idStr);
  const user: JsonObject = {
    id: new RawDigits(idStr),
    id_str: idStr,
    name: account.name ?? screenName,
    screen_name: screenName,
    location: "Localhost",
    description: `Stand-in account for @${screenName}. Not a real Twitter user.`,
    url: null,
  };
  if (options.includeEntities) user["entities"] = { description: { urls: [] } };
  Object.assign(user, {
    protected: false,
    followers_count: stableCount(`followers:${key}`, 5000),
    friends_count: stableCount(`friends:${key}`, 1000),
    listed_count: stableCount(`listed:${key}`, 50),
    created_at: twitterDate(stableDate(`created:${key}`)),
    favourites_count: stableCount(`favourites:${key}`, 10000),
    utc_offset: null,
    time_zone: null,
    geo_enabled: false,
    verified: false,
    statuses_count: stableCount(`statuses:${key}`, 20000) + 1,
    lang: null,
  } satisfies JsonObject);
  if (options.includeStatus) user["status"] = statusObject(screenName, options.includeEntities);
  Object.assign(user, {
    contributors_enabled: false,
    is_translator: false,
    is_translation_enabled: false,
    profile_background_color: "F5F8FA",
    profile_background_image_url: null,
    profile_background_image_url_https: null,
    profile_background_tile: false,
    profile_image_url: image,
    profile_image_url_https: image,
    profile_link_color: "1DA1F2",
    profile_sidebar_border_color: "C0DEED",
    profile_sidebar_fill_color: "DDEEF6",
    profile_text_color: "333333",
    profile_use_background_image: true,
    has_extended_profile: false,
    default_profile: true,
    default_profile_image: false,
    following: false,
    follow_request_sent: false,
    notifications: false,
    translator_type: "none",
    withheld_in_countries: [],
    suspended: false,
    needs_phone_verification: false,
  } satisfies JsonObject);
  if (options.includeEmail) user["email"] = `${screenName}@example.com`;
  return user;
}

/** The user's latest Tweet, embedded as "status" unless skip_status. */
function statusObject(screenName: string, includeEntities: boolean): JsonObject {
  const key = screenName.toLowerCase();
  const idStr = (10n ** 18n + (hashSeed(`status:${key}`) % (9n * 10n ** 17n))).toString();
  const status: JsonObject = {
    created_at: twitterDate(stableDate(`status-created:${key}`)),
    id: new RawDigits(idStr),
    id_str: idStr,
    text: `Hello from the stand-in, @${screenName}! \u{1F426}`,
    truncated: false,
  };
  if (includeEntities) status["entities"] = { hashtags: [], symbols: [], user_mentions: [], urls: [] };
  Object.assign(status, {
    source: '<a href="https://example.com/stand-in" rel="nofollow">Twitter stand-in</a>',
    in_reply_to_status_id: null,
    in_reply_to_status_id_str: null,
    in_reply_to_user_id: null,
    in_reply_to_user_id_str: null,
    in_reply_to_screen_name: null,
    geo: null,
    coordinates: null,
    place: null,
    contributors: null,
    is_quote_status: false,
    retweet_count: 0,
    favorite_count: 0,
    favorited: false,
    retweeted: false,
    lang: "en",
  } satisfies JsonObject);
  return status;
}

// ---------------------------------------------------------------- X API v2 and access levels

/**
 * What the stand-in's app may call. `legacy`: everything, as apps with the old v1.1 access had.
 * `free`: what a new app gets today (Free, pay-per-use): the OAuth endpoints, invalidate_token and
 * X API v2, but v1.1 `account/verify_credentials` answered 403 code 453.
 */
export const ACCESS_LEVELS = ["legacy", "free"] as const;
export type AccessLevel = (typeof ACCESS_LEVELS)[number];

export function isAccessLevel(value: unknown): value is AccessLevel {
  return typeof value === "string" && (ACCESS_LEVELS as readonly string[]).includes(value);
}

/** X's 403 body for a v1.1 endpoint outside the app's access level, word for word as X sent it in 2025 (code 453 is in no table of X's). */
export const ACCESS_LEVEL_ERROR_BODY =
  '{"errors":[{"message":"You currently have access to a subset of X API V2 endpoints and limited v1.1 endpoints (e.g. media post, oauth) only. If you need access to this endpoint, you may need a different access level. You can learn more here: https://developer.x.com/en/portal/product","code":453}]}';

/** X API v2's answer to a request whose OAuth 1.0a authentication fails, whatever the reason. */
export const V2_UNAUTHORIZED = { title: "Unauthorized", type: "about:blank", status: 401, detail: "Unauthorized" } as const;

/** The `user.fields` values of GET /2/users/me in X's OpenAPI spec v2.167 (alphabetical, as X lists them in its 400). */
export const USER_FIELDS = [
  "confirmed_email", "connection_status", "created_at", "description", "entities", "id", "is_identity_verified", "location", "name", "parody",
  "profile_banner_url", "profile_image_url", "protected", "public_metrics", "receives_your_dm", "subscribes_to_you", "subscription",
  "subscription_type", "url", "username", "verified", "verified_followers_count", "verified_type", "withheld",
] as const;

/**
 * X API v2's 400 for `user.fields` values it does not know: one error per value, each echoing the
 * parameter as sent (comma-joined), then the problem's title, detail and type.
 */
export function invalidUserFieldsBody(raw: string, unknown: string[]): JsonObject {
  return {
    errors: unknown.map((value) => ({
      parameters: { "user.fields": [raw] },
      message: `The \`user.fields\` query parameter value [${value}] is not one of [${USER_FIELDS.join(",")}]`,
    })),
    title: "Invalid Request",
    detail: "One or more parameters to your request was invalid.",
    type: "https://api.twitter.com/2/problems/invalid-request",
  };
}

/**
 * GET /2/users/me's answer, `{"data":{...}}`: id (a string), name and username always, then the
 * requested fields the stand-in models (others X would know are left out, as X leaves out what a
 * user lacks). `confirmed_email` is given whenever asked: the stand-in's app has the email permission.
 */
export function usersMeObject(account: TwitterAccount, origin: string, fields: readonly string[]): JsonObject {
  const screenName = account.screenName;
  const key = screenName.toLowerCase();
  const id = userIdForScreenName(screenName);
  const modelled: JsonObject = {
    created_at: stableDate(`created:${key}`).toISOString(),
    description: `Stand-in account for @${screenName}. Not a real Twitter user.`,
    location: "Localhost",
    profile_image_url: profileImageUrl(origin, id),
    protected: false,
    public_metrics: {
      followers_count: stableCount(`followers:${key}`, 5000),
      following_count: stableCount(`friends:${key}`, 1000),
      tweet_count: stableCount(`statuses:${key}`, 20000) + 1,
      listed_count: stableCount(`listed:${key}`, 50),
    },
    url: "",
    verified: false,
    verified_type: "none",
    confirmed_email: `${screenName}@example.com`,
  };
  const data: JsonObject = { id, name: account.name ?? screenName, username: screenName };
  for (const field of fields) if (field in modelled && !(field in data)) data[field] = modelled[field]!;
  return { data };
}
