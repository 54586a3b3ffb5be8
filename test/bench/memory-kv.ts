// An in-memory KV namespace for the benchmarks' Workers (bench only, runs inside workerd): what the cost and latency harnesses wrap.

/** The store behind the harnesses' KV stand-ins: get's `type: "json"`, list by prefix (sorted, limited as KV lists). */
export class MemoryKv {
  readonly #entries = new Map<string, string>();

  /** The value under `key` (parsed when `options` asks for json), or null. */
  read(key: string, options?: unknown): unknown {
    const value = this.#entries.get(key);
    if (value === undefined) return null;
    const type = typeof options === "string" ? options : (options as { type?: string } | undefined)?.type;
    return type === "json" ? JSON.parse(value) : value;
  }
  write(key: string, value: string): void {
    this.#entries.set(key, value);
  }
  remove(key: string): void {
    this.#entries.delete(key);
  }
  /** KV's list answer for a prefix: names in order, at most `limit` (KV's default 1000), all in one page. */
  listed(options: { prefix?: string; limit?: number } = {}): { keys: { name: string }[]; list_complete: true } {
    const names = [...this.#entries.keys()].filter((name) => name.startsWith(options.prefix ?? "")).sort();
    return { keys: names.slice(0, options.limit ?? 1000).map((name) => ({ name })), list_complete: true };
  }
  has(key: string): boolean {
    return this.#entries.has(key);
  }
  count(prefix: string): number {
    return [...this.#entries.keys()].filter((key) => key.startsWith(prefix)).length;
  }
  clear(): void {
    this.#entries.clear();
  }
}
