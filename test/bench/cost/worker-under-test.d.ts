// The real Worker (src/index.ts) as the cost harness sees it. run.ts's esbuild plugin resolves this
// name to src/index.ts when it bundles worker.ts; the name keeps src/ (typed with the Workers'
// types) out of this folder's type-check, which uses Node's.
declare module "worker-under-test" {
  const worker: { fetch(request: Request, env: unknown, ctx: unknown): Response | Promise<Response> };
  export default worker;
  /** The Durable Object class of the Durable Object store (src/session/auth-store.ts), as the Worker exports it. */
  export class AuthStore {
    constructor(ctx: unknown, env: unknown);
  }
}
