// Types for the tests that run inside workerd: the Worker's bindings on `env` from cloudflare:workers.
import type { Env as WorkerEnv } from "../../src/env.ts";

declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {
      /** Always bound in the tests (wrangler.toml): the default store. */
      AUTH_KV: KVNamespace;
      /** The AuthStore namespace (vitest.config.ts), under another name so that the default env keeps the KV store: tests bind it as AUTH_STORE on an env of their own. */
      TEST_AUTH_STORE: DurableObjectNamespace<import("../../src/session/auth-store.ts").AuthStore>;
    }
    interface GlobalProps {
      mainModule: typeof import("../../src/index.ts");
    }
  }
}
