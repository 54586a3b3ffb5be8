// A KV namespace as another Cloudflare location sees it: for a while after a write or delete, reads there still get what the key held before.

/**
 * Wraps a real KV binding. Writes and deletes go through to it, but for `windowMs` after a key was
 * written or deleted through the wrapper, `get` and `getWithMetadata` of that key answer what it
 * held before: what a location that had read it keeps in its cache (Workers KV documents up to 60
 * seconds for a change to reach every location). Everything else is the binding's own.
 */
export function staleKv(kv: KVNamespace, windowMs = 60_000): KVNamespace {
  const before = new Map<string, { value: string | null; metadata: unknown; until: number }>();
  const remember = async (key: string) => {
    const cached = before.get(key);
    if (cached && Date.now() < cached.until) return;
    const { value, metadata } = await kv.getWithMetadata(key);
    before.set(key, { value, metadata, until: Date.now() + windowMs });
  };
  const cachedCopy = (key: unknown) => {
    const cached = typeof key === "string" ? before.get(key) : undefined;
    return cached && Date.now() < cached.until ? cached : undefined;
  };
  return new Proxy(kv, {
    get(target, name) {
      if (name === "put" || name === "delete") {
        return async (key: string, ...rest: unknown[]) => {
          await remember(key);
          return (target[name] as (...args: unknown[]) => Promise<void>).call(target, key, ...rest);
        };
      }
      if (name === "get") return async (key: string, options?: unknown) => (cachedCopy(key) ? cachedCopy(key)!.value : target.get(key, options as "text"));
      if (name === "getWithMetadata") {
        return async (key: string, options?: unknown) => {
          const cached = cachedCopy(key);
          return cached ? { value: cached.value, metadata: cached.metadata, cacheStatus: null } : target.getWithMetadata(key, options as "text");
        };
      }
      const value = Reflect.get(target, name) as unknown;
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
