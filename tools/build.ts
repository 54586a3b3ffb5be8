// `npm run build`: the package into dist/: the library by tsc (one module and .d.ts per source file), the bin bundled by esbuild.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { build } from "esbuild";

const root = join(import.meta.dirname, "..");
const require = createRequire(import.meta.url);
const dist = join(root, "dist");

rmSync(dist, { recursive: true, force: true });
// The library: the two entry points and what they import (tsconfig.build.json).
execFileSync(process.execPath, [join(dirname(require.resolve("typescript/package.json")), "bin", "tsc"), "-p", join(root, "tsconfig.build.json")], { cwd: root, stdio: "inherit" });

// The bin: plain JavaScript for Node.js 20 and later, in one file with what it imports (oauth-sign
// included, so the package keeps no dependency of its own). The library never imports it.
mkdirSync(join(dist, "bin"), { recursive: true });
await build({
  entryPoints: [join(root, "tools", "bin.ts")],
  outfile: join(dist, "bin", "hono-sign-in-with-twitter.js"),
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  legalComments: "inline",
  banner: {
    // oauth-sign is CommonJS and requires node:crypto: an ES module has no require of its own.
    js: '// Bundled with oauth-sign (Apache-2.0, see oauth-sign.LICENSE.txt beside this file).\nimport { createRequire } from "node:module";\nconst require = createRequire(import.meta.url);',
  },
  logLevel: "warning",
});
copyFileSync(join(dirname(require.resolve("oauth-sign/package.json")), "LICENSE"), join(dist, "bin", "oauth-sign.LICENSE.txt"));
