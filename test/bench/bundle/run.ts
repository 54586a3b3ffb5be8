// `npm run bench:bundle`: what the package adds to a host Worker's deployed bundle. The README's example is built by
// wrangler as a deploy would (minified), with `hono` and with `hono/tiny`, beside the same app without the sign-in;
// the difference is the package's share. Also the deployed Worker of this repository, against its budget.
// Figures only: it fails only when a build fails.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import { BUNDLE_BUDGET_BYTES } from "../../support/bundle-budget.ts";
import { writeBlock } from "../../support/generated-block.ts";
import { codeBlock } from "../../support/markdown.ts";
import { describeMachine } from "../signin/machine.ts";

const root = join(import.meta.dirname, "..", "..", "..");
const require = createRequire(import.meta.url);
const wrangler = join(dirname(require.resolve("wrangler/package.json")), "bin", "wrangler.js");
const env = { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", NO_COLOR: "1" };

/** The README's example as written, and the same app with every use of the sign-in taken out. */
const withSignIn = codeBlock("README.md", "ts", "// src/index.ts");
const withoutSignIn = `import { Hono } from "hono";

const app = new Hono();

// The same routes, with what the sign-in gave them replaced by plain code of the same shape.
app.use("/account/*", async (_c, next) => next());
app.get("/account", async (c) => {
  const response = await fetch("https://api.x.com/2/users/me");
  return c.json({ hello: "someone", twitterStatus: response.status });
});

app.get("/", (c) => c.html('<a href="/account">Your account</a>'));

export default app;
`;
const tiny = (source: string) => source.replace(/from "hono";/, 'from "hono/tiny";');

interface Build {
  name: string;
  minified: number;
  gzipped: number;
  /** wrangler's own "gzip:" figure, in KiB as it prints it. */
  wranglerGzipKiB: string;
}

function build(name: string, cwd: string, config: string): Build {
  const outdir = mkdtempSync(join(tmpdir(), "bench-bundle-out-"));
  try {
    const output = execFileSync(process.execPath, [wrangler, "deploy", "--dry-run", "--outdir", outdir, "--config", config], { cwd, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    // wrangler names the bundle after the entry module (index.js for src/index.ts).
    const file = readdirSync(outdir).find((entry) => entry.endsWith(".js"));
    const bundle = readFileSync(join(outdir, file!));
    return { name, minified: bundle.length, gzipped: gzipSync(bundle, { level: 9 }).length, wranglerGzipKiB: /gzip:\s*([\d.]+)\s*KiB/.exec(output)?.[1] ?? "?" };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

// The package as a host Worker gets it: its build (dist/), resolved through node_modules like an install.
execFileSync(process.execPath, [join(root, "tools", "build.ts")], { cwd: root, stdio: "inherit" });
const project = mkdtempSync(join(tmpdir(), "bench-bundle-"));
try {
  mkdirSync(join(project, "node_modules"));
  symlinkSync(root, join(project, "node_modules", "hono-sign-in-with-twitter"), "dir");
  symlinkSync(join(root, "node_modules", "hono"), join(project, "node_modules", "hono"), "dir");
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "bench-host", private: true, type: "module" }));
  const variants = { "with-hono": withSignIn, "without-hono": withoutSignIn, "with-tiny": tiny(withSignIn), "without-tiny": tiny(withoutSignIn) };
  const builds: Record<string, Build> = {};
  for (const [name, source] of Object.entries(variants)) {
    writeFileSync(join(project, `${name}.ts`), source);
    writeFileSync(
      join(project, `${name}.toml`),
      `name = "${name}"\nmain = "${name}.ts"\ncompatibility_date = "2026-05-01"\nminify = true\n\n[[kv_namespaces]]\nbinding = "AUTH_KV"\n`,
    );
    builds[name] = build(name, project, `${name}.toml`);
  }
  const deployed = build("this repository's Worker", root, join(root, "wrangler.toml"));

  const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
  const row = (b: Build) => `${b.name.padEnd(26)} ${String(b.minified).padStart(7)} B minified  ${String(b.gzipped).padStart(6)} B gzipped (${kib(b.gzipped)}; wrangler says ${b.wranglerGzipKiB} KiB)`;
  console.log("Bundles built by `wrangler deploy --dry-run` (minify = true), gzipped here at level 9:\n");
  for (const b of [...Object.values(builds), deployed]) console.log(`  ${row(b)}`);
  const adds = (withName: string, withoutName: string) => builds[withName]!.gzipped - builds[withoutName]!.gzipped;
  console.log(`
What the package adds to a host Worker (the README's example minus the same app without the sign-in):
  with \`import { Hono } from "hono"\`:       ${adds("with-hono", "without-hono")} bytes gzipped (${kib(adds("with-hono", "without-hono"))})
  with \`import { Hono } from "hono/tiny"\`:  ${adds("with-tiny", "without-tiny")} bytes gzipped (${kib(adds("with-tiny", "without-tiny"))})
    The package's routes are built on hono/tiny, so its share barely depends on the app's choice; the
    app's own Hono is what differs (the bare app: ${kib(builds["without-hono"]!.gzipped)} on "hono", ${kib(builds["without-tiny"]!.gzipped)} on "hono/tiny").
  Whole README example: ${kib(builds["with-hono"]!.gzipped)} with "hono", ${kib(builds["with-tiny"]!.gzipped)} with "hono/tiny".
This repository's deployed Worker (landing page, gateway mode): ${deployed.gzipped} bytes gzipped against its budget of
${BUNDLE_BUDGET_BYTES} (test/node/bundle-size.test.ts holds it there; information here, never a verdict).`);

  // The figures the docs quote, written where they quote them (test/node/docs-figures.test.ts checks they agree).
  const bytes = (b: number) => `${kib(b)} (${b.toLocaleString("en-US")} bytes)`;
  const [withHono, withTiny] = [adds("with-hono", "without-hono"), adds("with-tiny", "without-tiny")];
  const from = `From \`npm run bench:bundle\`, ${new Date().toISOString().slice(0, 10)}, commit ${describeMachine().commit}`;
  const blocks: [string, string][] = [
    [
      "docs/benchmarks.md",
      [
        `${from}; built by \`wrangler deploy --dry-run\` (\`minify = true\`), gzipped at level 9 (wrangler's own figure beside it):`,
        "",
        "| Bundle | gzipped | |",
        "| --- | --- | --- |",
        `| This repository's deployed Worker | ${bytes(deployed.gzipped)} | budget ${BUNDLE_BUDGET_BYTES / 1024} KiB (${BUNDLE_BUDGET_BYTES.toLocaleString("en-US")} bytes, held by \`npm test\`, which prints the figure): ${(BUNDLE_BUDGET_BYTES - deployed.gzipped).toLocaleString("en-US")} bytes left |`,
        `| What the package adds to a host Worker (the README's example minus the same app without the sign-in) | ${bytes(withHono)} on \`hono\`, ${bytes(withTiny)} on \`hono/tiny\` | the package's routes are built on \`hono/tiny\` |`,
        `| The README's example, whole | ${kib(builds["with-hono"]!.gzipped)} with \`hono\`, ${kib(builds["with-tiny"]!.gzipped)} with \`hono/tiny\` (wrangler's own count: ${builds["with-hono"]!.wranglerGzipKiB} and ${builds["with-tiny"]!.wranglerGzipKiB} KiB) | the bare app ${kib(builds["without-hono"]!.gzipped)} and ${kib(builds["without-tiny"]!.gzipped)}: the app's own Hono is what differs |`,
      ].join("\n"),
    ],
    [
      "docs/library.md",
      `the package adds **${kib(withHono)} gzipped** to an app on \`hono\` and ${kib(withTiny)} to one on \`hono/tiny\` (its own routes are ` +
        `built on \`hono/tiny\`); the whole example is ${kib(builds["with-hono"]!.gzipped)} with \`hono\`, ${kib(builds["with-tiny"]!.gzipped)} with \`hono/tiny\` ` +
        `(${from.slice(5)}; [benchmarks.md](benchmarks.md#the-bundle) has the run).`,
    ],
  ];
  for (const [file, block] of blocks) if (writeBlock(file, "bundle", block)) console.log(`(wrote the figures into ${file})`);
} finally {
  rmSync(project, { recursive: true, force: true });
}
