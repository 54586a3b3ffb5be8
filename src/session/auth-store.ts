// AuthStore: the SQLite-backed Durable Object class behind the Durable Object store (durable-object-store.ts): one object per user's sessions, one per pending sign-in.

import { DurableObject } from "cloudflare:workers";
import { REQUEST_TOKEN_TTL_SECONDS } from "./request-token-store.js";
import { MOVED_GRANT_PREFIX } from "./store.js";

/** A session's row as the store reads it back. Times: created and last seen in unix ms, expiry in unix seconds. */
export interface SessionRow {
  id: string;
  userId: string;
  sealed: string;
  createdAt: number;
  expiresAt: number;
  lastSeenAt: number;
  userAgent: string | null;
  country: string | null;
}

/** A pending sign-in, under its id in the object's key-value storage. */
interface Pending {
  value: string;
  /** Unix seconds. */
  expiresAt: number;
}

/**
 * When a user last signed out everywhere, under their id in the record `signed-out` of their
 * object's key-value storage: kept as long as a sign-in begun before it can still reach /auth (a pending sign-in's
 * 15 minutes, and a minute more), so that a callback held past the sign-out starts no session.
 */
interface SignedOut {
  /** Unix ms. */
  at: number;
  /** Unix seconds. */
  expiresAt: number;
}

const SIGNED_OUT_KEY = "signed-out";
const SIGNED_OUT_TTL_SECONDS = REQUEST_TOKEN_TTL_SECONDS + 60;

/**
 * Bind it as `AUTH_STORE` (a `[[durable_objects.bindings]]` with `class_name = "AuthStore"`,
 * created by a migration's `new_sqlite_classes`) and the sign-in keeps its sessions and pending
 * sign-ins here instead of in KV. An object holds one user's sessions (a table: signing out
 * everywhere is one statement) or one pending sign-in (a key); each method runs alone against the
 * object's storage, so a read after an end never sees the ended session, and a request token is
 * taken once. What has expired is refused on read and deleted by an alarm; an object left with
 * nothing deletes its storage.
 *
 * @see docs/operations.md
 */
export class AuthStore extends DurableObject {
  /** Whether the sessions table exists: unknown until asked, in a new instance. */
  #table: boolean | undefined;

  /**
   * Runs one statement on the sessions table. A write creates it first; a read of an object
   * without it (a new one, or one whose storage was deleted) finds no rows and leaves no storage.
   */
  #sql<T extends Record<string, SqlStorageValue>>(write: boolean, query: string, ...bindings: SqlStorageValue[]): T[] {
    const { sql } = this.ctx.storage;
    this.#table ??= sql.exec("SELECT 1 FROM sqlite_master WHERE name = 'sessions'").toArray().length > 0;
    if (!this.#table) {
      if (!write) return [];
      sql.exec("CREATE TABLE sessions (id TEXT PRIMARY KEY, userId, sealed, createdAt, expiresAt, lastSeenAt, userAgent, country)");
      this.#table = true;
    }
    return sql.exec<T>(query, ...bindings).toArray();
  }

  /** Wakes the object by `expiresAt` (unix seconds) at the latest, to delete what expired. */
  async #alarmBy(expiresAt: number): Promise<void> {
    const alarm = await this.ctx.storage.getAlarm();
    if (alarm === null || alarm > expiresAt * 1000) await this.ctx.storage.setAlarm(expiresAt * 1000);
  }

  /** The user's sign-out marks that have not expired, by key. */
  #marks(): Record<string, SignedOut> {
    const marks = this.ctx.storage.kv.get<Record<string, SignedOut>>(SIGNED_OUT_KEY) ?? {};
    return Object.fromEntries(Object.entries(marks).filter(([, mark]) => mark.expiresAt > seconds()));
  }

  /** Deletes the object's storage, alarm included, once no session (and no live sign-out mark) is left: no empty object is kept, or billed. */
  async #dropIfEmpty(): Promise<void> {
    if (this.#sql(false, "SELECT 1 FROM sessions LIMIT 1").length > 0 || Object.keys(this.#marks()).length > 0) return;
    await this.ctx.storage.deleteAll();
    this.#table = false;
  }

  /** Deletes what expired (a pending sign-in's object: everything), then sleeps until the next expiry. */
  override async alarm(): Promise<void> {
    return guard("alarm", async () => {
      this.#forgetGrants(this.#sql<{ id: string }>(false, "SELECT id FROM sessions WHERE expiresAt <= ?", seconds()).map((row) => row.id));
      this.#sql(false, "DELETE FROM sessions WHERE expiresAt <= ?", seconds());
      const marks = this.#marks();
      if (Object.keys(marks).length > 0) this.ctx.storage.kv.put(SIGNED_OUT_KEY, marks);
      else this.ctx.storage.kv.delete(SIGNED_OUT_KEY);
      const sessions = this.#sql<{ next: number | null }>(false, "SELECT MIN(expiresAt) AS next FROM sessions")[0]?.next;
      const next = Math.min(sessions ?? Infinity, ...Object.values(marks).map((mark) => mark.expiresAt));
      if (next !== Infinity) await this.ctx.storage.setAlarm(next * 1000);
      else await this.#dropIfEmpty();
    });
  }

  async savePendingSignIn(id: string, value: string, expiresAt: number): Promise<void> {
    return guard("savePendingSignIn", async () => {
      this.ctx.storage.kv.put<Pending>(id, { value, expiresAt });
      await this.#alarmBy(expiresAt);
    });
  }

  readPendingSignIn(id: string): string | null {
    return guard("readPendingSignIn", () => {
      const pending = this.ctx.storage.kv.get<Pending>(id);
      return pending && pending.expiresAt > seconds() ? pending.value : null;
    });
  }

  /** True for the one call that removed it: a request token is taken once, whatever the isolates. */
  async takePendingSignIn(id: string): Promise<boolean> {
    return guard("takePendingSignIn", async () => {
      const taken = this.readPendingSignIn(id) !== null && this.ctx.storage.kv.delete(id);
      await this.#dropIfEmpty();
      return taken;
    });
  }

  /**
   * Stores a session, then ends the user's oldest beyond `limit`, in the same step; unless the
   * user signed out everywhere after `startedAt` (unix ms, when its sign-in began): then
   * stores nothing and answers false.
   */
  async createSession(session: Omit<SessionRow, "lastSeenAt">, limit: number, startedAt: number | undefined): Promise<boolean> {
    return guard("createSession", async () => {
      const { id, userId, sealed, createdAt, expiresAt, userAgent, country } = session;
      const mark = startedAt === undefined ? undefined : this.#marks()[userId];
      if (mark && mark.expiresAt > seconds() && mark.at > startedAt!) return false;
      this.#sql(true, "INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?, ?, ?)", id, userId, sealed, createdAt, expiresAt, createdAt, userAgent, country);
      const beyond = this.#sql<{ id: string }>(false, "SELECT id FROM sessions WHERE userId = ? ORDER BY createdAt DESC, id LIMIT -1 OFFSET ?", userId, limit).map((row) => row.id);
      if (beyond.length > 0) {
        this.#forgetGrants(beyond);
        this.#sql(false, "DELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE userId = ? ORDER BY createdAt DESC, id LIMIT -1 OFFSET ?)", userId, limit);
      }
      await this.#alarmBy(expiresAt);
      return true;
    });
  }

  /** The live session, its lastSeenAt brought to now when older than `touchBefore` (unix ms); null when there is none. */
  readSession(id: string, touchBefore: number): SessionRow | null {
    return guard("readSession", () => {
      const row = this.#sql<SessionRow & Record<string, SqlStorageValue>>(false, "SELECT * FROM sessions WHERE id = ? AND expiresAt > ?", id, seconds())[0];
      if (row && row.lastSeenAt < touchBefore) row.lastSeenAt = this.touchSession(id);
      return row ?? null;
    });
  }

  /** Sets lastSeenAt to now; returns it. */
  touchSession(id: string): number {
    return guard("touchSession", () => {
      const now = Date.now();
      this.#sql(false, "UPDATE sessions SET lastSeenAt = ? WHERE id = ?", now, id);
      return now;
    });
  }

  /** Writes the record sealed again, only while the session is there. */
  resealSession(id: string, sealed: string): void {
    return guard("resealSession", () => {
      this.#sql(false, "UPDATE sessions SET sealed = ? WHERE id = ?", sealed, id);
    });
  }

  async endSession(id: string): Promise<void> {
    return guard("endSession", async () => {
      this.#sql(false, "DELETE FROM sessions WHERE id = ?", id);
      this.#forgetGrants([id]);
      await this.#dropIfEmpty();
    });
  }

  /**
   * OAuth 2.0's single flight: true, and the lease is this caller's until `untilMs` (unix ms),
   * when the session lives and nobody holds an unexpired lease on it. One call at a time runs
   * here, so two requests of a session (in any isolates) never both get it.
   */
  leaseRefresh(id: string, untilMs: number): boolean {
    return guard("leaseRefresh", () => {
      if (!this.#live(id) || (this.ctx.storage.kv.get<number>(`lease:${id}`) ?? 0) > Date.now()) return false;
      this.ctx.storage.kv.put(`lease:${id}`, untilMs);
      return true;
    });
  }

  readRefreshedGrant(id: string): string | null {
    return guard("readRefreshedGrant", () => (this.#live(id) ? (this.ctx.storage.kv.get<string>(`grant:${id}`) ?? null) : null));
  }

  /** Keeps the refreshed grant only while the session is there (an ended one stays ended), and lets the lease go. */
  saveRefreshedGrant(id: string, sealed: string): void {
    return guard("saveRefreshedGrant", () => {
      if (this.#live(id)) this.ctx.storage.kv.put(`grant:${id}`, sealed);
      this.ctx.storage.kv.delete(`lease:${id}`);
    });
  }

  /** Whether the session lives; for the grant the user's sessions moved from 1.0a share (session-store.ts grantHolder), whether any of the object's sessions does. */
  #live(id: string): boolean {
    if (id.startsWith(MOVED_GRANT_PREFIX)) return this.#sql(false, "SELECT 1 FROM sessions WHERE expiresAt > ? LIMIT 1", seconds()).length > 0;
    return this.#sql(false, "SELECT 1 FROM sessions WHERE id = ? AND expiresAt > ?", id, seconds()).length > 0;
  }

  /** Deletes the refreshed grants and leases of ended sessions: only those there are (OAuth 2.0 sessions that refreshed), not a delete per session. */
  #forgetGrants(ids: readonly string[]): void {
    const ended = new Set(ids);
    for (const prefix of ["grant:", "lease:"]) {
      for (const [key] of this.ctx.storage.kv.list({ prefix })) if (ended.has(key.slice(prefix.length))) this.ctx.storage.kv.delete(key);
    }
  }

  /** The user's live sessions, newest first; at most `limit` of them. */
  listSessions(userId: string, limit = -1): SessionRow[] {
    return guard("listSessions", () => {
      return this.#sql<SessionRow & Record<string, SqlStorageValue>>(false, "SELECT * FROM sessions WHERE userId = ? AND expiresAt > ? ORDER BY createdAt DESC LIMIT ?", userId, seconds(), limit);
    });
  }

  /** Deletes every session of the user, and marks when, for the sign-ins begun before it that are still under way. */
  async endUserSessions(userId: string): Promise<void> {
    return guard("endUserSessions", async () => {
      const expiresAt = seconds() + SIGNED_OUT_TTL_SECONDS;
      this.ctx.storage.kv.put<Record<string, SignedOut>>(SIGNED_OUT_KEY, { ...this.#marks(), [userId]: { at: Date.now(), expiresAt } });
      this.#forgetGrants(this.#sql<{ id: string }>(false, "SELECT id FROM sessions WHERE userId = ?", userId).map((row) => row.id));
      this.#sql(false, "DELETE FROM sessions WHERE userId = ?", userId);
      await this.#alarmBy(expiresAt);
      await this.#dropIfEmpty();
    });
  }
}

/**
 * Runs a method's work; an exception leaves the object (and reaches the runtime's log of it) as a
 * fixed message naming the method and the error's name only: a storage or SQLite message may
 * quote what it was given (an id, a key), and the Worker answers 503 whatever it was.
 */
function guard<T>(method: string, work: () => T): T {
  const redact = (error: unknown): never => {
    throw new Error(`AuthStore.${method} failed (${error instanceof Error ? error.name : typeof error})`);
  };
  try {
    const result = work();
    return (result instanceof Promise ? result.catch(redact) : result) as T;
  } catch (error) {
    return redact(error);
  }
}

function seconds(): number {
  return Math.floor(Date.now() / 1000);
}
