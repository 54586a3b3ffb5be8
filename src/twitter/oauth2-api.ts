// twitterApi for a session under OAuth 2.0: Bearer calls, the access token refreshed on demand, one refresh at a time per session.

import type { OAuth2Settings, Settings } from "../config.js";
import { SignInError } from "../errors.js";
import type { ParametersInit } from "../oauth1/index.js";
import { OAuth2Error, TokenEndpointError } from "../oauth2/index.js";
import { type OAuth2Grant, type Session, grantHolder, readNewestGrant, saveRefreshedGrant } from "../session/session-store.js";
import type { SignInStore } from "../session/store.js";
import { type TwitterApi, resolveApiPath } from "./api.js";
import { createOAuth2Client, explainOAuth2Failure, sendBearer } from "./oauth2-client.js";

/** X's token exchange: a 1.0a access token and its secret for an OAuth 2.0 pair of the same user, no consent screen. */
const TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange";
const OAUTH1_TOKEN_TYPE = "urn:x:params:oauth:token-type:oauth1_token";
/** What a session started under 1.0a holds of OAuth 2.0 before its exchange: nothing usable. */
const NOT_EXCHANGED: OAuth2Grant = { accessToken: "", refreshToken: undefined, accessTokenExpiresAt: 0, scope: "" };

/** An access token this close to its expiry is refreshed before use, not after X refuses it. */
const EXPIRY_MARGIN_MS = 60_000;
/** How often a request waiting for another one's refresh looks for the new grant. */
const WAIT_STEP_MS = 100;
/**
 * How long a refresh that X refused as already spent looks for the grant of the request that spent
 * it (KV: two isolates can both take the lease): that one keeps its grant as soon as X answers it.
 * A grant refused for good (the user removed the app) ends its session this much later.
 */
const WINNER_WAIT_MS = 3_000;

// Refreshes under way in this isolate, per session: a second request awaits the first one's.
const refreshing = new Map<string, Promise<OAuth2Grant>>();

const REVOKED = "Twitter no longer accepts this sign-in: it was revoked, or the app was removed from the account. Sign in again.";

/**
 * X's API as the signed-in user, with their OAuth 2.0 access token as a Bearer token. An expired
 * token (or one X answers 401 to) is refreshed first. X's refresh tokens are single-use, so two
 * requests of one session must never both spend the same one: in an isolate they share one
 * refresh; across isolates the store's lease lets one refresh while the other waits for the grant
 * it keeps (the Durable Object decides atomically; KV narrows the race and, when its loser's
 * refresh is refused, looks for the winner's grant before giving up). When X refuses the refresh
 * (`invalid_grant`: revoked, or the app removed) the session ends and the call throws 401
 * `session_revoked`; this never ends any other session.
 */
export function createOAuth2TwitterApi(settings: Settings, store: SignInStore, session: Session, endSession: () => Promise<void>): TwitterApi {
  const oauth2 = settings.oauth2;
  // A session started under 1.0a has no grant yet: its first call exchanges its 1.0a token (refreshGrant).
  let grant = session.oauth2 ?? NOT_EXCHANGED;
  const current = async (refuse?: OAuth2Grant): Promise<OAuth2Grant> => {
    if (refuse === undefined && grant.accessTokenExpiresAt - EXPIRY_MARGIN_MS > Date.now()) return grant;
    if (oauth2 === undefined) throw new SignInError(500, "server_misconfigured", "The server's TWITTER_OAUTH2_CLIENT_ID, TWITTER_OAUTH2_CLIENT_SECRET settings are not set: this OAuth 2.0 session cannot be refreshed.");
    // One flight per grant: a session's own, or the one its user's sessions moved from 1.0a share.
    const key = (await grantHolder(session)).id;
    let flight = refreshing.get(key);
    if (!flight) {
      flight = refreshGrant(settings, oauth2, store, session, grant, refuse).finally(() => refreshing.delete(key));
      refreshing.set(key, flight);
    }
    try {
      grant = await flight;
    } catch (error) {
      if (error === GRANT_REFUSED) {
        await endSession();
        throw new SignInError(401, "session_revoked", REVOKED);
      }
      throw error;
    }
    return grant;
  };
  const request: TwitterApi["request"] = async (method, path, init = {}) => {
    const url = new URL(resolveApiPath(settings.apiBaseUrl, path));
    for (const [name, value] of pairs(init.query)) url.searchParams.append(name, value);
    const form = init.form === undefined ? undefined : new URLSearchParams(pairs(init.form));
    const send = async (used: OAuth2Grant) => {
      const headers = new Headers(init.headers);
      if (form !== undefined) headers.set("Content-Type", "application/x-www-form-urlencoded");
      try {
        return await sendBearer(url.href, used.accessToken, settings.timeoutMs, { method, headers, ...(form === undefined ? {} : { body: form.toString() }) });
      } catch (error) {
        throw error instanceof OAuth2Error ? explainOAuth2Failure(error, "users_me", "Try again") : error;
      }
    };
    const used = await current();
    const response = await send(used);
    // X answers 401 to an access token that expired early or was revoked: one refresh, one retry.
    if (response.status !== 401) return response;
    return send(await current(used));
  };
  return {
    request,
    get: (path, query) => request("GET", path, query === undefined ? {} : { query }),
    post: (path, form) => request("POST", path, form === undefined ? {} : { form }),
  };
}

/** Thrown inside a refresh when X refuses the grant for good. */
export const GRANT_REFUSED = Symbol("grant refused");

/**
 * The session's next grant. First the newest one kept (another request may have refreshed);
 * then, holding the store's lease, X's refresh with the newest refresh token, and the new pair
 * kept before it is used. Without the lease, it waits (at most the settings' timeout and two
 * seconds) for the holder's grant, and answers 503 when none comes.
 */
export async function refreshGrant(settings: Settings, oauth2: OAuth2Settings, store: SignInStore, session: Session, known: OAuth2Grant, refused: OAuth2Grant | undefined): Promise<OAuth2Grant> {
  const usable = (candidate: OAuth2Grant): boolean =>
    candidate.accessToken !== refused?.accessToken && candidate.accessTokenExpiresAt - EXPIRY_MARGIN_MS > Date.now();
  const newest = async () => (await readNewestGrant(store, settings.sessionSecrets, session)) ?? (known.accessToken === "" ? NOT_EXCHANGED : known);
  let latest = await newest();
  if (usable(latest)) return latest;
  const deadline = Date.now() + settings.timeoutMs + 2_000;
  const holder = await grantHolder(session);
  while (!(await store.leaseRefresh(holder, deadline))) {
    if (Date.now() > deadline) throw new SignInError(503, "twitter_refresh_busy", "Another request of this session is renewing its access to Twitter. Try again.");
    await new Promise((resolve) => setTimeout(resolve, WAIT_STEP_MS));
    latest = await newest();
    if (usable(latest)) return latest;
  }
  // The holder before us may have finished just before the lease was ours.
  latest = await newest();
  if (usable(latest)) {
    await saveRefreshedGrant(store, settings.sessionSecret, session, latest);
    return latest;
  }
  const client = createOAuth2Client(settings, oauth2);
  const exchanging = latest === NOT_EXCHANGED || (latest.accessToken === "" && latest.refreshToken === undefined);
  if (!exchanging && latest.refreshToken === undefined) throw GRANT_REFUSED;
  let tokens;
  try {
    // Once per 1.0a token, for all the user's sessions holding it (grantHolder): under the lease,
    // and only while no grant is kept for it. X: exchanging the same 1.0a token again would end
    // the pair issued before.
    tokens = exchanging
      ? await client.requestToken(TOKEN_EXCHANGE_GRANT, {
          subject_token: session.credentials.token,
          subject_token_type: OAUTH1_TOKEN_TYPE,
          oauth_token_secret: session.credentials.tokenSecret,
        })
      : await client.refresh(latest.refreshToken!);
  } catch (error) {
    if (error instanceof TokenEndpointError && error.code === "invalid_grant") {
      // With KV another isolate may have spent this refresh token a moment ago (both took the
      // lease): X answered it first, and it keeps the new grant right after. Its grant wins, once
      // written: looked for during WINNER_WAIT_MS, then the grant counts as refused.
      const until = Math.min(deadline, Date.now() + WINNER_WAIT_MS);
      for (;;) {
        const winner = await newest();
        if (!exchanging && usable(winner) && winner.refreshToken !== latest.refreshToken) return winner;
        if (exchanging || Date.now() >= until) throw GRANT_REFUSED;
        await new Promise((resolve) => setTimeout(resolve, WAIT_STEP_MS));
      }
    }
    throw error instanceof OAuth2Error ? explainOAuth2Failure(error, "oauth2_token", "Try again") : error;
  }
  const next: OAuth2Grant = {
    accessToken: tokens.accessToken,
    // X rotates refresh tokens; a provider that does not keeps the one it has.
    refreshToken: tokens.refreshToken ?? (exchanging ? undefined : latest.refreshToken),
    accessTokenExpiresAt: Date.now() + (tokens.expiresIn ?? 7200) * 1000,
    scope: tokens.scope ?? latest.scope,
  };
  // Kept before it is used: the old refresh token is spent at X already.
  await saveRefreshedGrant(store, settings.sessionSecret, session, next);
  return next;
}

/** Query or form parameters as pairs. */
function pairs(parameters: ParametersInit | undefined): [string, string][] {
  if (parameters === undefined) return [];
  if (parameters instanceof URLSearchParams) return [...parameters];
  if (Symbol.iterator in parameters) return [...(parameters as Iterable<[string, string]>)];
  const list: [string, string][] = [];
  for (const [name, value] of Object.entries(parameters as Record<string, string | readonly string[]>)) {
    if (typeof value === "string") list.push([name, value]);
    else for (const item of value) list.push([name, item]);
  }
  return list;
}
