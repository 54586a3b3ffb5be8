// Vitest globalSetup for the package tests: builds and packs the npm package once, as `npm publish` would, and provides the tarball.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";

const root = join(import.meta.dirname, "..", "..");
const scratch = mkdtempSync(join(tmpdir(), "package-tarball-"));

/** npm itself: the one running `npm test` when there is one. */
export function npmCommand(): [string, string[]] {
  const cli = process.env.npm_execpath;
  return cli && /\.c?js$/.test(cli) ? [process.execPath, [cli]] : ["npm", []];
}

export function setup(project: TestProject): void {
  const [command, prefix] = npmCommand();
  const npm = (args: string[]) => execFileSync(command, [...prefix, ...args], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 240_000 });
  npm(["run", "build"]);
  const [pack] = JSON.parse(npm(["pack", "--json", "--ignore-scripts", "--pack-destination", scratch])) as { filename: string; files: { path: string }[] }[];
  project.provide("tarball", join(scratch, pack!.filename));
  project.provide("tarballFiles", pack!.files.map((file) => file.path).sort());
}

export function teardown(): void {
  rmSync(scratch, { recursive: true, force: true });
}
