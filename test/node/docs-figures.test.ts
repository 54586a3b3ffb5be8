// The figures docs/ quotes, checked against what the code computes where that is cheap: X's share of a sign-in's cost, the bundle budget, and the links between the two cost pages (the settings' defaults: test/worker/docs-defaults.test.ts).
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PROFILE_CHOICES, X_PRICES, xPerMonth, xShareMarkdown } from "../bench/cost/x-share.ts";
import { BUNDLE_BUDGET_BYTES } from "../support/bundle-budget.ts";
import { readBlock } from "../support/generated-block.ts";

const root = join(import.meta.dirname, "..", "..");
const doc = (file: string) => readFileSync(join(root, file), "utf8");

/** GitHub's anchor for a Markdown heading: lower case, punctuation dropped, spaces as hyphens. */
const anchor = (heading: string) =>
  heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, "")
    .replace(/ /g, "-");

/** Every heading anchor of a Markdown file. */
const anchors = (file: string) => new Set([...doc(file).matchAll(/^#{1,6} (.+)$/gm)].map((match) => anchor(match[1]!)));

describe("X's share of a sign-in's cost", () => {
  for (const file of ["docs/x-app.md", "docs/benchmarks.md"]) {
    it(`${file} quotes the table test/bench/cost/x-share.ts computes (npm run bench:cost writes it)`, () => {
      expect(readBlock(file, "x-share")).toBe(xShareMarkdown());
    });
  }

  it("prices a user read at $0.010, and a million first-of-the-day sign-ins that read the profile at $10,000 (the issue's figure), none at $0", () => {
    expect(X_PRICES.userRead).toBe(0.01);
    const byProfile = Object.fromEntries(PROFILE_CHOICES.map((choice) => [`${choice.protocol} ${choice.profile.split(" ")[0]}`, xPerMonth(choice, 1_000_000)]));
    expect(byProfile).toEqual({
      "OAuth 1.0a auto": 10_000,
      "OAuth 1.0a verify_credentials": 10_000,
      "OAuth 1.0a users_me": 10_000,
      "OAuth 1.0a none": 0,
      "OAuth 2.0 (always)": 10_000,
    });
    // Half of them repeats within the UTC day: X bills half.
    expect(xPerMonth(PROFILE_CHOICES[0]!, 1_000_000, 0.5)).toBe(5_000);
  });

  it("quotes X's price of a user read, wherever docs/ and the README name it, as x-share.ts prices it", () => {
    const files = ["README.md", ...readdirSync(join(root, "docs")).map((name) => `docs/${name}`)];
    const quoted = files.flatMap((file) => [...doc(file).matchAll(/\$(\d+\.\d+) (?:per resource|per user and UTC day|for a user not seen)/g)].map((match) => `${file}: $${match[1]}`));
    expect(quoted.length).toBeGreaterThanOrEqual(4);
    expect(quoted.filter((quote) => !quote.endsWith(`$${X_PRICES.userRead.toFixed(3)}`))).toEqual([]);
  });

  it("Cloudflare's cost page and X's link to each other, to headings that exist", () => {
    expect(doc("docs/x-app.md")).toContain("(benchmarks.md#what-a-sign-in-costs-on-cloudflare)");
    expect(anchors("docs/benchmarks.md")).toContain("what-a-sign-in-costs-on-cloudflare");
    expect(doc("docs/benchmarks.md")).toContain("(x-app.md#what-a-sign-in-costs-at-x)");
    expect(anchors("docs/x-app.md")).toContain("what-a-sign-in-costs-at-x");
  });
});

describe("the bundle figures (npm run bench:bundle writes them)", () => {
  const benchmarks = readBlock("docs/benchmarks.md", "bundle");

  it("quote the budget test/support/bundle-budget.ts sets, and the bytes left under it", () => {
    expect(benchmarks).toContain(`budget ${BUNDLE_BUDGET_BYTES / 1024} KiB (${BUNDLE_BUDGET_BYTES.toLocaleString("en-US")} bytes`);
    const [, deployed, left] = /deployed Worker \| [\d.]+ KiB \(([\d,]+) bytes\) \|.*: ([\d,]+) bytes left/.exec(benchmarks) ?? [];
    expect(BUNDLE_BUDGET_BYTES - Number(deployed?.replaceAll(",", ""))).toBe(Number(left?.replaceAll(",", "")));
  });

  it("give each size in KiB as its bytes / 1024, to one decimal", () => {
    const pairs = [...benchmarks.matchAll(/([\d.]+) KiB \(([\d,]+) bytes\)/g)].map(([, kib, bytes]) => [kib, (Number(bytes!.replaceAll(",", "")) / 1024).toFixed(1)]);
    expect(pairs.length).toBeGreaterThan(0);
    for (const [quoted, computed] of pairs) expect(quoted).toBe(computed);
  });

  it("docs/library.md quotes the same run as docs/benchmarks.md", () => {
    const library = readBlock("docs/library.md", "bundle");
    const run = (block: string) => /bench:bundle`, (\d{4}-\d\d-\d\d, commit [^;)]+)/.exec(block)?.[1];
    expect(run(library)).toBe(run(benchmarks));
    for (const [figure] of library.matchAll(/[\d.]+ KiB/g)) expect(benchmarks).toContain(figure);
  });
});
