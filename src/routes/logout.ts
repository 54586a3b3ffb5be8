// POST /logout: end this browser's session (or, with ?everywhere=true, every session of the user) and revoke the access token at X.

import type { Context } from "hono";
import { afterAnswer } from "../after-answer.js";
import type { Settings } from "../config.js";
import type { TwitterAuthEnv } from "../env.js";
import { SignInError } from "../errors.js";
import { logRevocation } from "../log.js";
import { OAuth1Error } from "../oauth1/index.js";
import { SESSION_COOKIE, clearIdCookie } from "../session/cookie.js";
import { currentSession } from "../session/current.js";
import { type Session, deleteSessionIndex, deleteSessionIndexes, deleteSessionRecord, endUserSessions, listUserSessions, readSession } from "../session/session-store.js";
import { createTwitterClient } from "../twitter/client.js";
import { providerDetails } from "../twitter/errors.js";
import { invalidateToken } from "../twitter/revoke.js";
import { mountPrefix, queryParameter } from "./paths.js";

/**
 * Signs out: deletes the session and clears its cookie, then 303 to `afterLogout`. X gives a user
 * one access token per app, shared by all their sessions, so it is revoked (when `revokeOnLogout`)
 * once the user's last session here has ended: at a plain sign-out when no other live session of
 * theirs is listed, and always with `?everywhere=true`, which ends every session of the user
 * first. The index keys and the revocation run after the answer and never hold up or undo the
 * sign-out: a failure is logged. When KV fails (503) the cookie stays, so it can be tried again.
 */
export async function logout(c: Context<TwitterAuthEnv>, settings: Settings): Promise<Response> {
  const everywhere = queryParameter(c, "everywhere");
  if (everywhere !== undefined && everywhere !== "true" && everywhere !== "false") {
    throw new SignInError(400, "invalid_request", 'everywhere must be "true" or "false".');
  }
  const kv = c.env.AUTH_KV;
  const session = await currentSession(c, settings, false);
  c.header("Cache-Control", "no-store");
  if (everywhere === "true") {
    if (!session) {
      clearIdCookie(c, SESSION_COOKIE);
      throw new SignInError(401, "not_signed_in", `This browser was no longer signed in, so your other sessions could not be found. Sign in at ${mountPrefix(c)}/login, then sign out of all devices again.`);
    }
    const userId = session.profile.id;
    const ended = await endUserSessions(kv, userId, session.id);
    await afterAnswer(
      c,
      (async () => {
        await deleteSessionIndexes(kv, userId, ended);
        if (settings.revokeOnLogout) await revoke(settings, session);
      })(),
    );
  } else if (session) {
    await deleteSessionRecord(kv, session.id);
    await afterAnswer(
      c,
      (async () => {
        await deleteSessionIndex(kv, session.profile.id, session.id);
        if (settings.revokeOnLogout) await revokeIfLastSession(kv, settings, session);
      })(),
    );
  }
  clearIdCookie(c, SESSION_COOKIE);
  return c.redirect(settings.afterLogout, 303);
}

/**
 * Revokes the token when no other live session of the user is listed. A listed id whose record is
 * gone or no longer opens (a sign-out whose index delete failed, a session sealed with a removed
 * secret) is no session: its index key is removed, and it does not keep the token alive.
 */
async function revokeIfLastSession(kv: KVNamespace, settings: Settings, session: Session): Promise<void> {
  let live = 0;
  try {
    const others = (await listUserSessions(kv, session.profile.id)).filter((id) => id !== session.id);
    for (const id of others) {
      if (await readSession(kv, settings.sessionSecrets, id, settings.sessionTtlSeconds)) live++;
      else await deleteSessionIndex(kv, session.profile.id, id);
    }
  } catch {
    logRevocation({ outcome: "error", durationMs: 0, error: "storage_unavailable" });
    return;
  }
  if (live === 0) await revoke(settings, session);
}

/** Revokes the session's access token at X and logs the outcome (never the token). */
async function revoke(settings: Settings, session: Session): Promise<void> {
  const started = Date.now();
  try {
    await invalidateToken(createTwitterClient(settings), session.credentials);
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
