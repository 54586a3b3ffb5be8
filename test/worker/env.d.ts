// Types for the tests that run inside workerd: the Worker's bindings and what globalSetup provides.
declare namespace Cloudflare {
  interface Env extends import("../../src/env.ts").Env {}
  interface GlobalProps {
    mainModule: typeof import("../../src/index.ts");
  }
}
declare module "vitest" {
  interface ProvidedContext {
    /** Origin of the Twitter stand-in started by test/worker/global-setup.ts, e.g. http://127.0.0.1:41234 */
    standInOrigin: string;
  }
}
