// What test/node/global-setup.ts provides to the tests that run inside workerd.
export {};
declare module "vitest" {
  interface ProvidedContext {
    /** Origin of the Twitter stand-in, e.g. http://127.0.0.1:41234 */
    standInOrigin: string;
    /** Origin of the second stand-in, where fault tests switch faults on. */
    faultyStandInOrigin: string;
    /** Origin of the third stand-in, at the `free` access level (the access-level tests switch it and arm its faults). */
    freeStandInOrigin: string;
    /** Origin of the site gateway mode protects in the tests (test/node/test-origin.ts). */
    testOrigin: string;
    /** An origin where nothing listens (gateway mode's "origin down"). */
    closedTestOrigin: string;
  }
}
