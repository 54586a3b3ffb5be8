// The layout shows what ships: nothing under src/ (the Worker and the library) reaches into tools/ or test/.
import { readFileSync, readdirSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..");
const src = join(root, "src");

function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(folder, entry.name)) : entry.name.endsWith(".ts") ? [join(folder, entry.name)] : [],
  );
}

describe("the layout", () => {
  it("keeps src/ free of tools/ and test/: every import is a package or a file under src/", () => {
    const files = sourceFiles(src);
    expect(files.length).toBeGreaterThan(30);
    for (const file of files) {
      const text = readFileSync(file, "utf8");
      for (const [, specifier] of text.matchAll(/\b(?:from|import)\s*\(?\s*"([^"]+)"/g)) {
        if (!specifier!.startsWith(".")) {
          expect(specifier, `${relative(root, file)} imports ${specifier}`).toMatch(/^(hono(\/[a-z/-]+)?|cloudflare:workers)$/);
          continue;
        }
        expect(relative(src, resolve(file, "..", specifier!)).startsWith(".."), `${relative(root, file)} imports ${specifier}`).toBe(false);
      }
    }
  });
});
