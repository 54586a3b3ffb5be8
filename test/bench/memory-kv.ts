// An in-memory KV namespace for the benchmarks' Workers (bench only, runs inside workerd): what the cost and latency harnesses wrap.

/** The store behind the harnesses' KV stand-ins: get's `type: "json"`, metadata, list by prefix (sorted, in pages of `limit`, as KV lists). */
export class MemoryKv {
  readonly #entries = new Map<string, { value: string; metadata: unknown }>();

  /** The value under `key` (parsed when `options` asks for json), or null. */
  read(key: string, options?: unknown): unknown {
    const entry = this.#entries.get(key);
    if (entry === undefined) return null;
    const type = typeof options === "string" ? options : (options as { type?: string } | undefined)?.type;
    return type === "json" ? JSON.parse(entry.value) : entry.value;
  }
  /** getWithMetadata's answer. */
  readWithMetadata(key: string, options?: unknown): { value: unknown; metadata: unknown } {
    return { value: this.read(key, options), metadata: this.#entries.get(key)?.metadata ?? null };
  }
  /** Keeps the value, and the metadata as KV does (JSON: undefined fields dropped). */
  write(key: string, value: string, options?: { metadata?: unknown }): void {
    this.#entries.set(key, { value, metadata: options?.metadata === undefined ? null : JSON.parse(JSON.stringify(options.metadata)) });
  }
  remove(key: string): void {
    this.#entries.delete(key);
  }
  /** KV's list answer for a prefix: names (and metadata) in order, at most `limit` (KV's default 1000) a page, `cursor` the next page's start. */
  listed(options: { prefix?: string; limit?: number; cursor?: string } = {}): { keys: { name: string; metadata?: unknown }[]; list_complete: boolean; cursor?: string } {
    const names = [...this.#entries.keys()].filter((name) => name.startsWith(options.prefix ?? "")).sort();
    const start = Number(options.cursor ?? 0);
    const end = start + (options.limit ?? 1000);
    const keys = names.slice(start, end).map((name) => {
      const metadata = this.#entries.get(name)!.metadata;
      return metadata === null ? { name } : { name, metadata };
    });
    return end < names.length ? { keys, list_complete: false, cursor: String(end) } : { keys, list_complete: true };
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
