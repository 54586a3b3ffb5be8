// The deployed bundle's budget: built as `npm run check` builds it, within its budget (test/support/bundle-budget.ts), and nothing of the tests inside.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUNDLE_BUDGET_BYTES } from "../support/bundle-budget.ts";

const root = join(import.meta.dirname, "..", "..");
const outdir = mkdtempSync(join(tmpdir(), "bundle-"));
let bundle = "";

beforeAll(() => {
  const wrangler = join(dirname(createRequire(import.meta.url).resolve("wrangler/package.json")), "bin", "wrangler.js");
  execFileSync(process.execPath, [wrangler, "deploy", "--dry-run", "--outdir", outdir], {
    cwd: root,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
    stdio: "pipe",
  });
  bundle = readFileSync(join(outdir, "index.js"), "utf8");
}, 60_000);

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe("the deployed bundle", () => {
  it(`fits in ${BUNDLE_BUDGET_BYTES / 1024} KiB gzipped`, ({ task }) => {
    const gzipped = gzipSync(bundle, { level: 9 }).length;
    // Printed at the end of every `npm test` (test/support/summary-reporter.ts), pass or fail.
    task.meta.report = `bundle: the deployed Worker is ${bundle.length} bytes minified, ${gzipped} bytes gzipped (budget ${BUNDLE_BUDGET_BYTES}, ${BUNDLE_BUDGET_BYTES - gzipped} left)`;
    expect(gzipped, `the bundle is ${gzipped} bytes gzipped, over the ${BUNDLE_BUDGET_BYTES}-byte budget`).toBeLessThanOrEqual(BUNDLE_BUDGET_BYTES);
  });

  it("is minified and holds nothing of the stand-in, the tests or Node's crypto", () => {
    expect(bundle).not.toMatch(/\/\*\*|^\s{4}/m); // no JSDoc, no indentation: minified
    for (const marker of ["stand-in-consumer", "__stand-in", "oauth-sign", "node:crypto", "crypto-js", "vitest"]) expect(bundle).not.toContain(marker);
  });
});
