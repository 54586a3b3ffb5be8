// `npm run e2e`: the end-to-end tests in a real browser (Debian's Chromium through playwright-core),
// against `wrangler dev` and the Twitter stand-in. Its own config, so `npm test` never runs them.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
import { SummaryReporter } from "../support/summary-reporter.ts";

const projectRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

export default defineConfig({
  root: projectRoot,
  test: {
    name: "e2e",
    include: ["test/e2e/**/*.e2e.ts"],
    environment: "node",
    // Starts wrangler dev + the stand-in once (after checking Chromium is there), stops them after.
    globalSetup: ["test/e2e/global-setup.ts"],
    // One browser, one Worker: the scenarios run one after another.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ["verbose", new SummaryReporter("e2e")],
  },
});
