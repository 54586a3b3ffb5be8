// Three test projects: "worker" runs inside workerd (the Workers Vitest integration), "node" runs in Node,
// "package" packs the npm package and signs in with it from a stranger's Worker (test/consumer).
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";
import { DEFAULT_CONSUMER_KEY, DEFAULT_CONSUMER_SECRET } from "./tools/stand-in/server.ts";
import { SummaryReporter } from "./test/support/summary-reporter.ts";
import { TEST_SESSION_SECRET } from "./test/worker/support/settings.ts";

/**
 * Vitest's order, but the package project's files before the node project's: Vitest would run them
 * by project name, and package's first-hour.test.ts, the longest file of the suite (it installs two
 * Node.js versions and two wranglers), would start last and hold the worker project back.
 */
class PackageFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (spec: TestSpecification) => [spec.project.config.sequence.groupOrder, spec.project.name === "package" ? 0 : 1] as const;
    return (await super.sort(files)).sort((a, b) => rank(a)[0] - rank(b)[0] || rank(a)[1] - rank(b)[1]);
  }
}

export default defineConfig({
  test: {
    sequence: { sequencer: PackageFirst },
    // The Worker logs a line per step; show console output only for tests that fail.
    silent: "passed-only",
    reporters: ["default", new SummaryReporter("tests")],
    projects: [
      {
        plugins: [
          cloudflareTest(({ inject }) => {
            const origin = inject("standInOrigin");
            const allowed = new Set([origin, inject("faultyStandInOrigin"), inject("freeStandInOrigin"), inject("testOrigin"), inject("closedTestOrigin")]);
            return {
              wrangler: { configPath: "./wrangler.toml" },
              miniflare: {
                bindings: {
                  TWITTER_CLIENT_ID: DEFAULT_CONSUMER_KEY,
                  TWITTER_CLIENT_SECRET: DEFAULT_CONSUMER_SECRET,
                  SESSION_SECRET: TEST_SESSION_SECRET,
                  TWITTER_REQUEST_TOKEN_URL: `${origin}/oauth/request_token`,
                  TWITTER_AUTHORIZE_URL: `${origin}/oauth/authenticate`,
                  TWITTER_ACCESS_TOKEN_URL: `${origin}/oauth/access_token`,
                  TWITTER_API_BASE_URL: `${origin}/1.1/`,
                },
                // The Durable Object store, under a name of its own: the default env keeps the KV store
                // (the Worker's default), and tests that want the Durable Object store bind it as AUTH_STORE.
                durableObjects: { TEST_AUTH_STORE: { className: "AuthStore", useSQLite: true } },
                // Only the stand-ins and the gateway's test origins on loopback may be reached: any other outbound request fails the test.
                async outboundService(request: Request) {
                  const url = new URL(request.url);
                  if (!allowed.has(url.origin)) throw new Error(`unexpected outbound request to ${url.origin}${url.pathname}`);
                  // Miniflare's Request is not Node's: forward it field by field.
                  const body = request.method === "GET" || request.method === "HEAD" ? undefined : await request.arrayBuffer();
                  return fetch(request.url, { method: request.method, headers: request.headers, body, redirect: "manual" });
                },
              },
            };
          }),
        ],
        test: {
          name: "worker",
          include: ["test/worker/**/*.test.ts"],
          globalSetup: ["./test/node/global-setup.ts"],
          // One file at a time: the files share the stand-ins (test/node/global-setup.ts), whose faults
          // and request counts one file switches and reads. Run after the other two projects (below).
          maxWorkers: 1,
          // And in one workerd: a fresh one per file cost about 1.3 s each on an idle 2-core machine,
          // over 4 s each under load (19 files). So the files share its KV, Durable Objects and rate
          // limiter (and modules: nextClientIp() keeps counting): a test uses screen names and keys
          // of its own, and expects to find what it wrote itself, never an empty store.
          isolate: false,
          sequence: { groupOrder: 1 },
        },
      },
      {
        // node and package run first, two files at once: their time goes mostly to waiting on other
        // processes (npm install, wrangler dev starting, workerd), which a second file can use. Vitest
        // otherwise runs one file at a time on a 2-core machine (its default is the cores less one).
        test: { name: "node", include: ["test/node/**/*.test.ts"], environment: "node", maxWorkers: 2, sequence: { groupOrder: 0 } },
      },
      {
        // The npm package from the outside: packed, linted, installed into test/consumer and run in workerd.
        test: { name: "package", include: ["test/package/**/*.test.ts"], environment: "node", testTimeout: 60_000, globalSetup: ["./test/package/global-setup.ts"], maxWorkers: 2, sequence: { groupOrder: 0 } },
      },
    ],
  },
});
