// Blocks of this repository's Markdown that a bench writes, so that the docs quote what the command printed, never a copy typed by hand.
//
// A block sits between `<!-- generated: NAME by COMMAND -->` and `<!-- end generated: NAME -->`;
// only the text between them is rewritten. Tests read the same blocks to check them against the code.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dirname, "..", "..");

/** Where block `name`'s text starts and ends in `file`; throws when the file has no such block. */
function locate(file: string, name: string): { text: string; from: number; to: number } {
  const text = readFileSync(join(root, file), "utf8");
  const opening = new RegExp(`<!-- generated: ${name} by [^>]*-->\\n`).exec(text);
  const to = opening ? text.indexOf(`<!-- end generated: ${name} -->`, opening.index) : -1;
  if (!opening || to === -1) throw new Error(`${file} has no generated block ${name}`);
  return { text, from: opening.index + opening[0].length, to };
}

/** The text of block `name` in `file` (relative to the repository), without its markers. */
export function readBlock(file: string, name: string): string {
  const { text, from, to } = locate(file, name);
  return text.slice(from, to).replace(/\n$/, "");
}

/** Replaces block `name` in `file` with `body`; true when the file changed. */
export function writeBlock(file: string, name: string, body: string): boolean {
  const { text, from, to } = locate(file, name);
  const updated = `${text.slice(0, from)}${body}\n${text.slice(to)}`;
  if (updated !== text) writeFileSync(join(root, file), updated);
  return updated !== text;
}
