// The docs a newcomer reads in their first hour say what the code does: the answer to X's rate limit, and the links between the pages.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ProviderStatusError } from "../../src/oauth1/index.ts";
import { explainProviderFailure } from "../../src/twitter/errors.ts";

const root = join(import.meta.dirname, "..", "..");
const read = (file: string) => readFileSync(join(root, file), "utf8");

/** GitHub's anchor for a Markdown heading: lower case, punctuation dropped, spaces as dashes. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, "")
    .replace(/ /g, "-");
}

/** The anchors of every heading of a Markdown file (fenced code left out). */
function anchors(file: string): string[] {
  const text = read(file).replace(/^```[\s\S]*?^```$/gm, "");
  return [...text.matchAll(/^#{1,6} (.+)$/gm)].map((match) => anchorOf(match[1]!));
}

describe("X's rate limit, in docs/x-app.md and in the code", () => {
  it("answers X's 429 (error 88) with 502 twitter_rate_limited, and every page that names the code says 502", () => {
    for (const step of ["request_token", "access_token", "verify_credentials", "users_me"] as const) {
      const body = JSON.stringify({ errors: [{ code: 88, message: "Rate limit exceeded" }] });
      const failure = explainProviderFailure(new ProviderStatusError("https://api.x.com/oauth/request_token", 429, body), step);
      expect([failure.status, failure.code]).toEqual([502, "twitter_rate_limited"]);
    }
    const mentions = ["docs/x-app.md", "docs/behaviour.md", "README.md"].flatMap((file) =>
      read(file)
        .split(/\n\s*\n/)
        // A table row stands alone; a paragraph as a whole.
        .flatMap((paragraph) => (paragraph.startsWith("|") ? paragraph.split("\n") : [paragraph]))
        .filter((paragraph) => paragraph.includes("`twitter_rate_limited`"))
        .map((paragraph) => [file, paragraph.replace(/\s+/g, " ")] as const),
    );
    expect(mentions.length).toBeGreaterThan(0);
    for (const [file, paragraph] of mentions) {
      expect(paragraph, file).not.toMatch(/HTTP 429, our `twitter_rate_limited`/);
      // Each mention is in a row whose status is 502, or a sentence that says 502 with it.
      expect(paragraph, file).toMatch(paragraph.startsWith("|") ? /^\| 502 \||502 `twitter_rate_limited`/ : /502\s+`twitter_rate_limited`/);
    }
  });
});

describe("links a newcomer follows", () => {
  it("docs/gateway.md links the recipe for a local site of one's own in docs/development.md, to a heading that exists", () => {
    const links = [...read("docs/gateway.md").matchAll(/\]\(development\.md#([^)]+)\)/g)].map((match) => match[1]!);
    expect(links).toContain("your-own-site-behind-the-gateway-locally");
    for (const anchor of links) expect(anchors("docs/development.md"), anchor).toContain(anchor);
  });

  it("docs/library.md's links to its own steps land on headings", () => {
    const links = [...read("docs/library.md").matchAll(/\]\(#([^)]+)\)/g)].map((match) => match[1]!);
    expect(links).toContain("your-workers-packagejson-and-tsconfigjson");
    for (const anchor of links) expect(anchors("docs/library.md"), anchor).toContain(anchor);
  });
});
