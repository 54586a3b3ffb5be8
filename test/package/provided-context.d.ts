// What test/package/global-setup.ts provides to the package tests.
export {};
declare module "vitest" {
  interface ProvidedContext {
    /** The packed tarball's path, e.g. /tmp/package-tarball-XXXX/hono-sign-in-with-twitter-0.1.0.tgz */
    tarball: string;
    /** The paths in it, sorted (as `npm pack --json` lists them). */
    tarballFiles: string[];
  }
}
