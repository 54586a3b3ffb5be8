// docs/library.md's whole files for a stranger's Worker (package.json, tsconfig.json, wrangler.toml, and the README's src/index.ts), written as they are into a new folder with the packed package, type-check and bundle.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { codeBlock } from "../support/markdown.ts";
import { run } from "./run.ts";

/** A package of this repository's own install. */
const packageRoot = (name: string) => join(import.meta.dirname, "..", "..", "node_modules", name);
const tsc = join(packageRoot("typescript"), "bin", "tsc");

const PACKAGE_JSON = codeBlock("docs/library.md", "json", '"type": "module"');
const TSCONFIG_JSON = codeBlock("docs/library.md", "json", '"compilerOptions"');
const WRANGLER_TOML = codeBlock("docs/library.md", "toml", 'binding = "AUTH_KV"');
const WORKER_SOURCE = codeBlock("README.md", "ts", "// src/index.ts");

const project = mkdtempSync(join(tmpdir(), "library-files-"));

/** Runs a command in the project; its output when it fails. */
const inProject = (command: string, args: string[]) => run(command, args, project);

beforeAll(() => {
  writeFileSync(join(project, "package.json"), PACKAGE_JSON);
  writeFileSync(join(project, "tsconfig.json"), TSCONFIG_JSON);
  writeFileSync(join(project, "wrangler.toml"), WRANGLER_TOML);
  mkdirSync(join(project, "src"));
  writeFileSync(join(project, "src", "index.ts"), WORKER_SOURCE);
  // What `npm install <tarball> hono` and `npm install -D @cloudflare/workers-types` put in
  // node_modules, without the registry: the packed package unpacked, hono and the Workers types
  // linked from this repository's own install.
  const modules = join(project, "node_modules");
  mkdirSync(join(modules, "hono-sign-in-with-twitter"), { recursive: true });
  execFileSync("tar", ["-xzf", inject("tarball"), "-C", join(modules, "hono-sign-in-with-twitter"), "--strip-components=1"]);
  symlinkSync(packageRoot("hono"), join(modules, "hono"), "dir");
  mkdirSync(join(modules, "@cloudflare"));
  symlinkSync(packageRoot("@cloudflare/workers-types"), join(modules, "@cloudflare", "workers-types"), "dir");
}, 60_000);

afterAll(() => rmSync(project, { recursive: true, force: true }));

describe("docs/library.md's whole files for a stranger's Worker", () => {
  it("are an ES module project whose check script is tsc", () => {
    const manifest = JSON.parse(PACKAGE_JSON) as { type: string; scripts: Record<string, string> };
    expect(manifest.type).toBe("module");
    expect(manifest.scripts.check).toBe("tsc");
    const { compilerOptions } = JSON.parse(TSCONFIG_JSON) as { compilerOptions: Record<string, unknown> };
    expect(compilerOptions).toMatchObject({ lib: ["es2022"], moduleResolution: "bundler", types: ["@cloudflare/workers-types"], strict: true });
  });

  it("type-check as written (npm run check), the package's types from the tarball", () => {
    inProject(process.execPath, [tsc, "-p", "tsconfig.json"]);
    const files = inProject(process.execPath, [tsc, "-p", "tsconfig.json", "--listFilesOnly"]).split("\n");
    expect(files.some((file) => file.includes("node_modules/hono-sign-in-with-twitter/dist/twitter-auth.d.ts"))).toBe(true);
    expect(files.some((file) => /lib\.dom\.d\.ts$/.test(file))).toBe(false);
  });

  it("would not type-check with the two settings the page once named and no lib (why lib is there)", () => {
    const { compilerOptions, ...rest } = JSON.parse(TSCONFIG_JSON) as { compilerOptions: Record<string, unknown> };
    const { lib: _lib, target: _target, ...withoutLib } = compilerOptions;
    writeFileSync(join(project, "tsconfig.no-lib.json"), JSON.stringify({ ...rest, compilerOptions: withoutLib }));
    expect(() => inProject(process.execPath, [tsc, "-p", "tsconfig.no-lib.json"])).toThrow(/error TS/);
  });

  it("bundle with wrangler as written (wrangler.toml, src/index.ts)", () => {
    const wrangler = join(packageRoot("wrangler"), "bin", "wrangler.js");
    const out = inProject(process.execPath, [wrangler, "deploy", "--dry-run", "--outdir", "dist"]);
    expect(out).toContain("env.AUTH_KV");
    expect(out).toContain("--dry-run: exiting now.");
  });
});
