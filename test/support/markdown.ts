// Code blocks out of this repository's Markdown, so that tests and benches use the documents' own examples as written.
import { readFileSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dirname, "..", "..");

/** The first fenced block of `language` in a Markdown file (relative to the repository) whose text contains `marker`, its indentation removed. */
export function codeBlock(file: string, language: string, marker: string): string {
  const markdown = readFileSync(join(root, file), "utf8");
  for (const match of markdown.matchAll(/^( *)```(\w+)\n([\s\S]*?)^\1```$/gm)) {
    const [, indent, lang, body] = match;
    if (lang !== language || !body!.includes(marker)) continue;
    return body!.split("\n").map((line) => line.slice(indent!.length)).join("\n");
  }
  throw new Error(`${file} has no \`\`\`${language} block containing ${marker}`);
}
