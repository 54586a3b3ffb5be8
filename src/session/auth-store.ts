// AuthStore: the SQLite-backed Durable Object class behind the Durable Object store (durable-object-store.ts): one object per user's sessions, one per pending sign-in.

import { DurableObject } from "cloudflare:workers";

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

  /** Deletes the object's storage, alarm included, once no session is left: no empty object is kept, or billed. */
  async #dropIfEmpty(): Promise<void> {
    if (this.#sql(false, "SELECT 1 FROM sessions LIMIT 1").length > 0) return;
    await this.ctx.storage.deleteAll();
    this.#table = false;
  }

  /** Deletes what expired (a pending sign-in's object: everything), then sleeps until the next expiry. */
  override async alarm(): Promise<void> {
    this.#sql(false, "DELETE FROM sessions WHERE expiresAt <= ?", seconds());
    const next = this.#sql<{ next: number | null }>(false, "SELECT MIN(expiresAt) AS next FROM sessions")[0]?.next;
    if (next) await this.ctx.storage.setAlarm(next * 1000);
    else await this.#dropIfEmpty();
  }

  async savePendingSignIn(id: string, value: string, expiresAt: number): Promise<void> {
    this.ctx.storage.kv.put<Pending>(id, { value, expiresAt });
    await this.#alarmBy(expiresAt);
  }

  readPendingSignIn(id: string): string | null {
    const pending = this.ctx.storage.kv.get<Pending>(id);
    return pending && pending.expiresAt > seconds() ? pending.value : null;
  }

  /** True for the one call that removed it: a request token is taken once, whatever the isolates. */
  async takePendingSignIn(id: string): Promise<boolean> {
    const taken = this.readPendingSignIn(id) !== null && this.ctx.storage.kv.delete(id);
    await this.#dropIfEmpty();
    return taken;
  }

  /** Stores a session, then ends the user's oldest beyond `limit` in the same step. */
  async createSession(session: Omit<SessionRow, "lastSeenAt">, limit: number): Promise<void> {
    const { id, userId, sealed, createdAt, expiresAt, userAgent, country } = session;
    this.#sql(true, "INSERT INTO sessions VALUES (?, ?, ?, ?, ?, ?, ?, ?)", id, userId, sealed, createdAt, expiresAt, createdAt, userAgent, country);
    this.#sql(false, "DELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE userId = ? ORDER BY createdAt DESC, id LIMIT -1 OFFSET ?)", userId, limit);
    await this.#alarmBy(expiresAt);
  }

  /** The live session, its lastSeenAt brought to now when older than `touchBefore` (unix ms); null when there is none. */
  readSession(id: string, touchBefore: number): SessionRow | null {
    const row = this.#sql<SessionRow & Record<string, SqlStorageValue>>(false, "SELECT * FROM sessions WHERE id = ? AND expiresAt > ?", id, seconds())[0];
    if (row && row.lastSeenAt < touchBefore) row.lastSeenAt = this.touchSession(id);
    return row ?? null;
  }

  /** Sets lastSeenAt to now; returns it. */
  touchSession(id: string): number {
    const now = Date.now();
    this.#sql(false, "UPDATE sessions SET lastSeenAt = ? WHERE id = ?", now, id);
    return now;
  }

  /** Writes the record sealed again, only while the session is there. */
  resealSession(id: string, sealed: string): void {
    this.#sql(false, "UPDATE sessions SET sealed = ? WHERE id = ?", sealed, id);
  }

  async endSession(id: string): Promise<void> {
    this.#sql(false, "DELETE FROM sessions WHERE id = ?", id);
    this.#forgetGrants([id]);
    await this.#dropIfEmpty();
  }

  /**
   * OAuth 2.0's single flight: true, and the lease is this caller's until `untilMs` (unix ms),
   * when the session lives and nobody holds an unexpired lease on it. One call at a time runs
   * here, so two requests of a session (in any isolates) never both get it.
   */
  leaseRefresh(id: string, untilMs: number): boolean {
    if (!this.#live(id) || (this.ctx.storage.kv.get<number>(`lease:${id}`) ?? 0) > Date.now()) return false;
    this.ctx.storage.kv.put(`lease:${id}`, untilMs);
    return true;
  }

  readRefreshedGrant(id: string): string | null {
    return this.#live(id) ? (this.ctx.storage.kv.get<string>(`grant:${id}`) ?? null) : null;
  }

  /** Keeps the refreshed grant only while the session is there (an ended one stays ended), and lets the lease go. */
  saveRefreshedGrant(id: string, sealed: string): void {
    if (this.#live(id)) this.ctx.storage.kv.put(`grant:${id}`, sealed);
    this.ctx.storage.kv.delete(`lease:${id}`);
  }

  #live(id: string): boolean {
    return this.#sql(false, "SELECT 1 FROM sessions WHERE id = ? AND expiresAt > ?", id, seconds()).length > 0;
  }

  /** Deletes the refreshed grants and leases of ended sessions: only those there are (OAuth 2.0 sessions that refreshed), not a delete per session. */
  #forgetGrants(ids: readonly string[]): void {
    const ended = new Set(ids);
    for (const prefix of ["grant:", "lease:"]) {
      for (const [key] of this.ctx.storage.kv.list({ prefix })) if (ended.has(key.slice(prefix.length))) this.ctx.storage.kv.delete(key);
    }
  }

  listSessions(userId: string): SessionRow[] {
    return this.#sql<SessionRow & Record<string, SqlStorageValue>>(false, "SELECT * FROM sessions WHERE userId = ? AND expiresAt > ?", userId, seconds());
  }

  async endUserSessions(userId: string): Promise<void> {
    this.#forgetGrants(this.#sql<{ id: string }>(false, "SELECT id FROM sessions WHERE userId = ?", userId).map((row) => row.id));
    this.#sql(false, "DELETE FROM sessions WHERE userId = ?", userId);
    await this.#dropIfEmpty();
  }
}

function seconds(): number {
  return Math.floor(Date.now() / 1000);
}
