// The store behind pending sign-ins and sessions: one small interface, and the backend an env binds (kv-store.ts or durable-object-store.ts).

import type { Env } from "../env.js";
import { durableObjectStore } from "./durable-object-store.js";
import { kvStore } from "./kv-store.js";

/** How a request names a session: its id (the secret part of its cookie) and the shard its cookie names, when the store needs one. */
export interface SessionRef {
  id: string;
  shard?: string | undefined;
}

/** What opening a session's record tells a store: whose it is, and its times. */
export interface SessionOwner {
  userId: string;
  /** Unix milliseconds. */
  createdAt: number;
  /** Unix seconds. */
  expiresAt: number;
}

/** What the devices list shows of a session, kept beside its record (never sealed, never a token). */
export interface DeviceFields {
  /** The browser's User-Agent at sign-in, trimmed. */
  userAgent?: string | undefined;
  /** The country Cloudflare saw at sign-in (`request.cf.country`). */
  country?: string | undefined;
}

/** A new session as a store keeps it: the record sealed (session-store.ts), and in plain what sharding, expiry, the cap and the devices list need. */
export interface NewSession extends SessionOwner, DeviceFields {
  id: string;
  sealed: string;
}

/** A session in the devices list: its id, and times in unix milliseconds (undefined where the store has none: an index key from an earlier release). */
export interface StoredDevice extends DeviceFields {
  id: string;
  createdAt?: number | undefined;
  lastSeenAt?: number | undefined;
}

/**
 * Work that may run after the answer (waitUntil); the store awaits what it returns. Where the
 * runtime has no ExecutionContext it runs before the answer.
 */
export type Defer = (work: Promise<unknown>) => Promise<void>;

/** A Defer for work that is itself already after the answer: it runs in place. */
export const inPlace: Defer = (work) => work.then(() => undefined);

/**
 * What the sign-in keeps, and how: pending sign-ins (a request token's secret for 15 minutes, read
 * once) and sessions (a sealed record each, listed per user). Every method throws a 503
 * `storage_unavailable` SignInError when the store itself fails, never anything of the failure.
 */
export interface SignInStore {
  /** Stores a pending sign-in under a fresh random id for `ttlSeconds`. */
  savePendingSignIn(id: string, value: string, ttlSeconds: number): Promise<void>;
  /** The pending sign-in's value, or null (expired, taken, never stored). */
  readPendingSignIn(id: string): Promise<string | null>;
  /**
   * Removes the pending sign-in: true when this call took it, false when someone else already had.
   * KV cannot tell (its delete says nothing) and resolves true; the Durable Object is atomic.
   */
  takePendingSignIn(id: string): Promise<boolean>;

  /**
   * Stores a session, and ends the user's oldest sessions beyond `limit` (at once, or deferred);
   * unless the user signed out everywhere after `startedAt` (unix ms, when its sign-in began;
   * one that began in the same millisecond as the sign-out, as in a harness whose clock stands
   * still, goes through): then stores nothing and resolves false. The Durable Object checks and stores in one
   * step; KV reads the user's sign-out mark first (a mark written after that read is later than
   * the session's `createdAt`, so every read refuses the session anyway). `startedAt` undefined:
   * no sign-in to check (a session made directly, as tests and tools do).
   */
  createSession(session: NewSession, shard: string | undefined, limit: number, defer: Defer, startedAt: number | undefined): Promise<boolean>;
  /**
   * Reads a session and opens its record with `open`; undefined when there is none (expired,
   * ended, never made), when it does not open, or when its user signed out everywhere after it
   * began. `device` is what the devices list holds for it; `lastSeenAt` may be minutes old.
   */
  readSession<T extends SessionOwner>(ref: SessionRef, open: (sealed: string) => Promise<T | undefined>): Promise<{ opened: T; device: StoredDevice | undefined } | undefined>;
  /**
   * Writes the record sealed again (a rotated secret) while the session lives, sealing it with
   * `sealed()` only if it writes it; never brings an ended one back.
   */
  resealSession(ref: SessionRef, owner: SessionOwner & { legacy: boolean }, sealed: () => Promise<string>): Promise<void>;
  /** Notes that the session was used now (the devices list's lastSeenAt). */
  touchSession(ref: SessionRef, owner: SessionOwner & DeviceFields): Promise<void>;
  /** Ends a session: from the answer on it opens nothing (KV: at this location; elsewhere within its propagation delay). */
  endSession(ref: SessionRef, userId: string | undefined, defer: Defer): Promise<void>;
  /** The user's sessions for the devices list, in no particular order: at most {@link DEVICES_LISTED}, read in one bounded step. */
  listSessions(userId: string, shard: string | undefined): Promise<StoredDevice[]>;
  /** How many of the user's sessions but `except` still open (`open` says which records do). */
  countOtherSessions(userId: string, shard: string | undefined, except: string, open: (id: string, sealed: string) => Promise<unknown>): Promise<number>;
  /**
   * Ends every session of the user, however many, `last` last: when this resolves none of them
   * opens any more (KV: within its propagation delay). Throws (503) having changed nothing that
   * `last` needs to try again.
   */
  endUserSessions(userId: string, shard: string | undefined, last: string, defer: Defer): Promise<void>;

  /**
   * OAuth 2.0's single flight: true when this caller may refresh the session's grant now (until
   * `untilMs`, unix ms), false while someone else may. The Durable Object decides atomically; KV
   * cannot (read, then write) and only narrows the race (docs/operations.md).
   */
  leaseRefresh(ref: SessionRef, untilMs: number): Promise<boolean>;
  /** The session's newest refreshed grant, sealed (saveRefreshedGrant's), or null: then its record's grant is the newest. */
  readRefreshedGrant(ref: SessionRef): Promise<string | null>;
  /**
   * Keeps a refreshed grant beside the session's record (never in it: a record written back could
   * bring an ended session back) while the session lives, and lets the lease go.
   */
  saveRefreshedGrant(ref: SessionRef, owner: SessionOwner, sealed: string): Promise<void>;
}

/**
 * The most sessions the devices list reads (one KV list of at most this many keys; the Durable
 * Object's newest): MAX_SESSIONS_PER_USER's default. A user allowed more sees this many; signing
 * out of all devices ends every one.
 */
export const DEVICES_LISTED = 100;

/** The id prefix of the OAuth 2.0 grant a user's sessions moved from 1.0a share (session-store.ts grantHolder): a store keeps it like a session's, alive while any session of the user is. */
export const MOVED_GRANT_PREFIX = "moved.";

/** How often a session's lastSeenAt is written at most: reads stay reads. */
export const LAST_SEEN_INTERVAL_MS = 5 * 60 * 1000;

const stores = new WeakMap<object, SignInStore>();

/**
 * The store an env binds, one per env object: the Durable Object namespace AUTH_STORE when bound
 * (then AUTH_KV is not used), else the KV namespace AUTH_KV. readSettings has checked that one is.
 */
export function storeFor(env: Env): SignInStore {
  let store = stores.get(env);
  if (!store) stores.set(env, (store = env.AUTH_STORE ? durableObjectStore(env.AUTH_STORE) : kvStore(env.AUTH_KV!)));
  return store;
}
