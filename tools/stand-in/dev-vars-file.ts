// Writes settings into a Worker's .dev.vars in place: each NAME=value line set, every other line kept, the file replaced only once the new one is complete.
import { randomBytes } from "node:crypto";
import { readFile, rename, rm, stat, writeFile } from "node:fs/promises";

/** What updateDevVars did, by setting name. */
export interface DevVarsUpdate {
  /** Names whose line was added at the end. */
  added: string[];
  /** Names whose existing line now holds the new value. */
  changed: string[];
  /** Names already set as asked (and, for `defaults`, names already set at all). */
  unchanged: string[];
}

/** `NAME=` at the start of a line (wrangler's .dev.vars is dotenv: `export NAME=` and spaces are read too). */
const SETTING = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=/;

/**
 * Sets each `NAME=value` of `lines` in the .dev.vars file at `path`: a line that sets NAME already
 * is replaced where it stands, a new one goes at the end (after `lines`' comments not already in
 * the file); `defaults` lines are added only when the file sets their NAME nowhere (a
 * SESSION_SECRET of the developer's own is never replaced). Every other line is kept as it is. The
 * new text goes to a temporary file beside it that is then renamed over it, so a failure at any
 * point leaves the old file whole; a new file is readable by its owner only.
 */
export async function updateDevVars(path: string, lines: readonly string[], defaults: readonly string[] = []): Promise<DevVarsUpdate> {
  const before = await readFile(path, "utf8").catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return undefined;
    throw error;
  });
  const text = before ?? "";
  const kept = text === "" ? [] : text.replace(/\r?\n$/, "").split(/\r?\n/);
  const update: DevVarsUpdate = { added: [], changed: [], unchanged: [] };
  const appended: string[] = [];
  const setIn = (name: string) => kept.findIndex((line) => SETTING.exec(line)?.[1] === name);

  for (const line of lines) {
    const name = SETTING.exec(line)?.[1];
    if (name === undefined) {
      if (!kept.includes(line)) appended.push(line);
      continue;
    }
    const at = setIn(name);
    if (at === -1) {
      appended.push(line);
      update.added.push(name);
    } else if (kept[at] === line) {
      update.unchanged.push(name);
    } else {
      kept[at] = line;
      update.changed.push(name);
    }
  }
  for (const line of defaults) {
    const name = SETTING.exec(line)?.[1];
    if (name === undefined) throw new TypeError(`not a NAME=value line: ${line.slice(0, 40)}`);
    if (setIn(name) !== -1 || appended.some((other) => SETTING.exec(other)?.[1] === name)) {
      update.unchanged.push(name);
    } else {
      appended.push(line);
      update.added.push(name);
    }
  }
  // Only the added lines' comments are new: with nothing to add, the file keeps its own.
  const additions = update.added.length > 0 ? appended : [];
  const after = [...kept, ...additions].join("\n") + "\n";
  if (after === text) return update;

  const mode = before === undefined ? 0o600 : (await stat(path)).mode & 0o777;
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    await writeFile(temporary, after, { mode, flag: "wx" });
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  return update;
}
