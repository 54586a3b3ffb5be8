// Preloaded (node --import) into wrangler's processes by dev-server.ts: hands wrangler dev its `--var`s in memory, never on a command line.
//
// dev-server.ts puts the variables (SESSION_SECRET, the stand-in's consumer secret, ...) as JSON in
// the environment variable below, which only the same user can read (/proc/<pid>/environ is 0400).
// wrangler's bin/wrangler.js starts wrangler-dist/cli.js with its own --import flags: there, before
// wrangler parses its arguments, this module takes the variable out of the environment (so workerd
// and esbuild, started later, never inherit it) and adds `--var=NAME:VALUE` right after `dev` in
// process.argv. Changing process.argv does not change /proc/<pid>/cmdline. Being first, they keep
// the precedence that plain `--var`s had: over .dev.vars and wrangler.toml, under the user's own --var.

/** The environment variable that carries the variables: a JSON object of names to string values. */
export const WRANGLER_VARS_ENV = "TWITTER_LOGIN_DEV_WRANGLER_VARS";

const json = process.env[WRANGLER_VARS_ENV];
const script = process.argv[1] ?? "";
if (json !== undefined && /wrangler-dist[\\/]cli\.js$/.test(script)) {
  delete process.env[WRANGLER_VARS_ENV];
  const vars = JSON.parse(json) as Record<string, string>;
  const at = process.argv.indexOf("dev", 2);
  if (at === -1) throw new Error(`${WRANGLER_VARS_ENV}: wrangler was not started with "dev"`);
  process.argv.splice(at + 1, 0, ...Object.entries(vars).map(([name, value]) => `--var=${name}:${value}`));
}
