// Pending sign-ins: each request token and its secret in the store under a random id, read once.

import { SignInError } from "../errors.js";
import { safeNextPath } from "../next-path.js";
import { isRandomId, randomId } from "./random-id.js";
import type { SignInStore } from "./store.js";

/** How long a request token is kept: X's request tokens live about 15 minutes. */
export const REQUEST_TOKEN_TTL_SECONDS = 15 * 60;

/**
 * What /login keeps for /auth. Never sent to the browser. Under OAuth 2.0 (`protocol: "2.0"`) the
 * same two roles: `token` is what the callback brings back (the `state`), `tokenSecret` what only
 * the server holds to finish (the PKCE code verifier).
 */
export interface PendingSignIn {
  token: string;
  tokenSecret: string;
  /** Set for an OAuth 2.0 sign-in; a callback of the other protocol cannot take it. */
  protocol?: "2.0";
  /** Where /auth sends the browser afterwards (a same-origin path), if /login was asked to. */
  next?: string;
  /**
   * When /login began it (unix ms): /auth refuses it if the user signed out everywhere since.
   * Absent in entries stored before it was kept (then the earliest it can have begun).
   */
  startedAt?: number;
}

// Ids being taken in this isolate: a second callback for the same sign-in arriving while the first
// is still at work is refused here; across isolates the Durable Object store's take refuses it,
// and with KV, X's own one-time rule.
const taking = new Set<string>();

/** Stores a pending sign-in under a fresh random id, with the TTL and when it began; returns the id. */
export async function saveRequestToken(store: SignInStore, pending: Omit<PendingSignIn, "startedAt">): Promise<string> {
  const id = randomId();
  await store.savePendingSignIn(id, JSON.stringify({ ...pending, startedAt: Date.now() }), REQUEST_TOKEN_TTL_SECONDS);
  return id;
}

/**
 * What taking a pending sign-in found. `deleted` settles when its entry is gone (a 503
 * `storage_unavailable` when the store failed, a 400 `expired_sign_in` when another callback took
 * it first); until then no other callback in this isolate can take it.
 */
export type Taken = { status: "taken"; pending: PendingSignIn & { startedAt: number }; deleted: Promise<void> } | { status: "none" } | { status: "not_its_callback" };

/**
 * Reads the pending sign-in for an id and, when `isItsCallback` accepts it, deletes it, whatever
 * happens next: a request token works once. A callback that is not its own (another token)
 * leaves it in place, so nobody can cancel a visitor's sign-in by sending them to /auth.
 * `none` when there is none (expired, used, never issued, or being taken right now).
 *
 * The delete is started, not awaited: the caller may call X beside it, and must await `deleted`
 * before it answers.
 */
export async function takeRequestToken(store: SignInStore, id: string, isItsCallback: (pending: PendingSignIn) => boolean, startAgain: string): Promise<Taken> {
  if (!isRandomId(id) || taking.has(id)) return { status: "none" };
  taking.add(id);
  let deleted: Promise<void> | undefined;
  try {
    const stored = await store.readPendingSignIn(id);
    if (stored === null) return { status: "none" };
    const pending = parsePendingSignIn(stored);
    if (pending && !isItsCallback(pending)) return { status: "not_its_callback" };
    // Tried twice: by the time a failure is answered (503) X may have used the request token, so
    // reloading the callback would not help; a second attempt saves the sign-in from a passing fault.
    deleted = store
      .takePendingSignIn(id)
      .catch(() => store.takePendingSignIn(id))
      .then((taken) => {
        if (!taken) throw new SignInError(400, "expired_sign_in", `This sign-in has expired or was already used. ${startAgain}.`);
      });
    if (!pending) await deleted;
    return pending ? { status: "taken", pending: { ...pending, startedAt: pending.startedAt ?? Date.now() - REQUEST_TOKEN_TTL_SECONDS * 1000 }, deleted } : { status: "none" };
  } finally {
    // The id stays taken until its entry is gone (this also handles a failed delete's rejection).
    const release = () => void taking.delete(id);
    if (deleted) deleted.then(release, release);
    else release();
  }
}

/**
 * Our own record, read back; anything else in its place counts as none: not JSON, no token or
 * secret, or a `next` that is not a safe path (KV is not trusted to keep the browser on this site).
 */
function parsePendingSignIn(stored: string): PendingSignIn | undefined {
  try {
    const value = JSON.parse(stored) as Partial<PendingSignIn> | null;
    if (typeof value?.token !== "string" || typeof value.tokenSecret !== "string") return undefined;
    if (value.next !== undefined && (typeof value.next !== "string" || safeNextPath(value.next) !== value.next)) return undefined;
    if (value.protocol !== undefined && value.protocol !== "2.0") return undefined;
    if (value.startedAt !== undefined && !Number.isSafeInteger(value.startedAt)) return undefined;
    return value as PendingSignIn;
  } catch {
    return undefined;
  }
}
