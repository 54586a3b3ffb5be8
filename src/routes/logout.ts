// POST /logout: end this browser's session (or, with ?everywhere=true, every session of the user; with ?session=<id>, one of their devices) and revoke the access token at X.

import type { Context } from "hono";
import type { Settings } from "../config.js";
import type { TwitterAuthEnv } from "../env.js";
import { SignInError } from "../errors.js";
import { logRevocation } from "../log.js";
import { type Credentials, OAuth1Error } from "../oauth1/index.js";
import { SESSION_COOKIE, clearIdCookie, setNoticeCookie } from "../session/cookie.js";
import { currentSession, deferFor } from "../session/current.js";
import { type OAuth2Grant, type Session, countOtherSessions, readNewestGrant, readSession } from "../session/session-store.js";
import { findSession } from "../session/devices.js";
import { isRandomId } from "../session/random-id.js";
import { type SignInStore, storeFor } from "../session/store.js";
import { createTwitterClient } from "../twitter/client.js";
import { providerDetails } from "../twitter/errors.js";
import { revokeGrant } from "../twitter/oauth2-revoke.js";
import { invalidateToken } from "../twitter/revoke.js";
import { mountPrefix, queryParameter } from "./paths.js";

/**
 * Signs out: ends the session and clears its cookie, then 303 to `afterLogout`. X gives a user
 * one access token per app, shared by all their sessions, so it is revoked (when `revokeOnLogout`)
 * once the user's last session here has ended: at a plain sign-out when no other live session of
 * theirs is left, and always with `?everywhere=true`, which ends every session of the user first.
 * `?session=<id>` (an id from GET /sessions) ends that one session of the user's, another
 * device's; their own is an ordinary sign-out. What the store may leave for later (KV's index
 * keys) and the revocation run after the answer and never hold up or undo the sign-out: a failure
 * is logged. When the store fails (503) the cookie stays, so it can be tried again.
 */
export async function logout(c: Context<TwitterAuthEnv>, settings: Settings): Promise<Response> {
  const everywhere = queryParameter(c, "everywhere");
  if (everywhere !== undefined && everywhere !== "true" && everywhere !== "false") {
    throw new SignInError(400, "invalid_request", 'everywhere must be "true" or "false".');
  }
  const device = queryParameter(c, "session");
  if (device !== undefined && !isRandomId(device)) {
    throw new SignInError(400, "invalid_request", `session must be a session's id from ${mountPrefix(c)}/sessions.`);
  }
  if (device !== undefined && everywhere === "true") throw new SignInError(400, "invalid_request", "Give session or everywhere=true, not both.");
  const store = storeFor(c.env);
  const defer = deferFor(c);
  const session = await currentSession(c, settings, false);
  c.header("Cache-Control", "no-store");
  if (!session && (everywhere === "true" || device !== undefined)) {
    clearIdCookie(c, SESSION_COOKIE);
    const what = everywhere === "true" ? "your other sessions could not be found" : "its sessions could not be found";
    const then = everywhere === "true" ? "sign out of all devices again" : "try again";
    throw new SignInError(401, "not_signed_in", `This browser was no longer signed in, so ${what}. Sign in at ${mountPrefix(c)}/login, then ${then}.`);
  }
  if (session && device !== undefined) {
    const id = await findSession(store, session.profile.id, device);
    if (id === undefined) throw new SignInError(404, "unknown_session", `None of your sessions has this id: it has ended, or it is not yours. ${mountPrefix(c)}/sessions lists yours.`);
    if (id !== session.id) {
      // Another device of the user's: this browser stays signed in, and the 1.0a token stays in
      // use; a grant of that session's own (it began under 2.0) is revoked with it.
      const [ended] = settings.revokeOnLogout && settings.oauth2 ? await ownGrants(store, settings, [id], session) : [[]];
      await store.endSession({ id, shard: session.shard }, session.profile.id, defer);
      for (const grant of ended ?? []) await defer(revokeGrant(settings, settings.oauth2, grant));
      setNoticeCookie(c, "device_signed_out");
      return c.redirect(settings.afterLogout, 303);
    }
  }
  // An OAuth 2.0 grant is the session's own when it began under 2.0 (read before the session ends:
  // the refreshed one goes with it). A session moved from 1.0a holds its 1.0a token and the grant
  // its user's moved sessions share (grantHolder): both revoked under 1.0a's rule, by the last one.
  const grant = session && settings.revokeOnLogout && (session.oauth2 || settings.oauth2) ? await readNewestGrant(store, settings.sessionSecrets, session) : undefined;
  const oauth1 = session !== undefined && session.credentials.token !== "";
  const shared = session !== undefined && session.oauth2 === undefined;
  if (session && everywhere === "true") {
    // Under OAuth 2.0 each session began under 2.0 holds a grant of its own: theirs are revoked too (read before they end).
    const others = settings.revokeOnLogout && settings.oauth2 ? await othersGrants(store, settings, session) : [];
    await store.endUserSessions(session.profile.id, session.shard, session.id, defer);
    if (settings.revokeOnLogout && grant) await defer(revokeGrant(settings, settings.oauth2, grant));
    for (const other of others) await defer(revokeGrant(settings, settings.oauth2, other));
    if (settings.revokeOnLogout && oauth1) await defer(revokeToken(settings, session.credentials));
  } else if (session) {
    await store.endSession(session, session.profile.id, defer);
    if (settings.revokeOnLogout && grant && !shared) await defer(revokeGrant(settings, settings.oauth2, grant));
    if (settings.revokeOnLogout && oauth1) await defer(revokeIfLastSession(store, settings, session, shared ? grant : undefined));
  }
  clearIdCookie(c, SESSION_COOKIE);
  return c.redirect(settings.afterLogout, 303);
}

/** The most other sessions whose own OAuth 2.0 grants "sign out everywhere" revokes at X (newest first): each costs a read and a call to X. */
export const EVERYWHERE_GRANTS_REVOKED = 25;

/** The OAuth 2.0 grants of the user's other sessions that began under 2.0 (each its own), newest first, at most EVERYWHERE_GRANTS_REVOKED. */
async function othersGrants(store: SignInStore, settings: Settings, session: Session): Promise<OAuth2Grant[]> {
  try {
    const listed = (await store.listSessions(session.profile.id, session.shard)).filter((device) => device.id !== session.id);
    listed.sort((a, b) => (b.createdAt ?? 0) - (a.createdAt ?? 0));
    return (await ownGrants(store, settings, listed.slice(0, EVERYWHERE_GRANTS_REVOKED).map((device) => device.id), session)).flat();
  } catch {
    // The sign-out itself must not wait on this: what cannot be read is left to expire at X.
    logRevocation({ outcome: "error", durationMs: 0, error: "storage_unavailable" });
    return [];
  }
}

/** For each id, the grant its session holds of its own (began under 2.0), or none: a 1.0a session's token, or a moved one's shared grant, follows 1.0a's rule. */
async function ownGrants(store: SignInStore, settings: Settings, ids: readonly string[], of: Session): Promise<OAuth2Grant[][]> {
  return Promise.all(
    ids.map(async (id) => {
      const other = await readSession(store, settings.sessionSecrets, { id, shard: of.shard }, settings.sessionTtlSeconds);
      if (!other?.oauth2) return [];
      const grant = await readNewestGrant(store, settings.sessionSecrets, other);
      return grant ? [grant] : [];
    }),
  );
}

/**
 * Revokes the token (and `sharedGrant`, the OAuth 2.0 grant the user's sessions moved from 1.0a
 * share) when no other live session of the user holding it is left. A listed session whose
 * record is gone or no longer opens (a sign-out whose index delete failed, a session sealed with
 * a removed secret) is no session, and does not keep the token alive.
 */
export async function revokeIfLastSession(store: SignInStore, settings: Settings, session: Pick<Session, "id" | "shard" | "profile" | "credentials">, sharedGrant?: OAuth2Grant): Promise<void> {
  let others: number;
  try {
    others = await countOtherSessions(store, settings.sessionSecrets, session, settings.sessionTtlSeconds);
  } catch {
    logRevocation({ outcome: "error", durationMs: 0, error: "storage_unavailable" });
    return;
  }
  if (others > 0) return;
  await revokeToken(settings, session.credentials);
  if (sharedGrant) await revokeGrant(settings, settings.oauth2, sharedGrant);
}

/** Revokes an access token at X and logs the outcome (never the token); never throws. */
export async function revokeToken(settings: Settings, credentials: Credentials): Promise<void> {
  const started = Date.now();
  try {
    await invalidateToken(createTwitterClient(settings), credentials);
    logRevocation({ outcome: "ok", durationMs: Date.now() - started });
  } catch (error) {
    const known = error instanceof OAuth1Error;
    logRevocation({
      outcome: "error",
      durationMs: Date.now() - started,
      error: known ? error.code : "internal_error",
      ...(known && providerDetails(error)),
    });
  }
}
