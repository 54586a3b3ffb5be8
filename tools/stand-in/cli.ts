// Command line for the Twitter stand-in (`npx hono-sign-in-with-twitter stand-in`, or `npm run stand-in` in this repository): prints one JSON line (origin, urls, consumer, Worker vars), or with --dev-vars the .dev.vars lines, with --write-dev-vars writes them into .dev.vars itself, and runs until SIGINT/SIGTERM.
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { updateDevVars } from "./dev-vars-file.ts";
import { DEFAULT_CONSUMER_KEY, DEFAULT_CONSUMER_SECRET, startStandIn, workerVars } from "./server.ts";
import { isAccessLevel } from "./twitter.ts";

const USAGE = `usage: npx hono-sign-in-with-twitter stand-in [--port N] [--write-dev-vars [FILE] | --dev-vars] [--callback-prefix URL]... [--consumer-key KEY --consumer-secret SECRET] [--app-name NAME] [--access-level free|legacy] [--log]
(in a clone of its repository: npm run stand-in -- [options])
Starts the local Twitter stand-in on 127.0.0.1 and prints one line of JSON describing it.
  --write-dev-vars [FILE]  set in FILE (default .dev.vars) the lines a Worker needs to sign in against
                         it, keeping every other line there (a SESSION_SECRET is added only if missing)
  --dev-vars             print instead those lines (to copy by hand: \`> .dev.vars\` would empty the file first)
  --port N               port to listen on (default: a free one)
  --callback-prefix URL  also approve callbacks starting with URL (loopback hosts always are)
  --consumer-key, --consumer-secret  the app's client credentials (default: the public dev pair)
  --app-name NAME        name on the consent page
  --access-level LEVEL   free (default: as X answers a new app today, v1.1 verify_credentials refused
                         with 403 code 453, X API v2 /2/users/me served) or legacy (v1.1 served)
  --log                  access log on stderr`;

/** The default file of --write-dev-vars, given with no FILE after it. */
const DEV_VARS_FILE = ".dev.vars";

/** A failure the user can act on: one line on stderr, no usage. */
class RunError extends Error {}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: withDefaultFile(process.argv.slice(2)),
    options: {
      port: { type: "string" },
      "callback-prefix": { type: "string", multiple: true },
      "consumer-key": { type: "string" },
      "consumer-secret": { type: "string" },
      "app-name": { type: "string" },
      "access-level": { type: "string", default: "free" },
      log: { type: "boolean" },
      "dev-vars": { type: "boolean" },
      "write-dev-vars": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be an integer from 0 to 65535, not ${values.port}`);
  if ((values["consumer-key"] === undefined) !== (values["consumer-secret"] === undefined)) throw new Error("--consumer-key and --consumer-secret go together");
  const accessLevel = values["access-level"];
  if (!isAccessLevel(accessLevel)) throw new Error(`--access-level must be free or legacy, not ${accessLevel}`);
  const consumerKey = values["consumer-key"] ?? DEFAULT_CONSUMER_KEY;
  const consumerSecret = values["consumer-secret"] ?? DEFAULT_CONSUMER_SECRET;

  if (values["dev-vars"] && values["write-dev-vars"] !== undefined) throw new Error("--dev-vars prints the lines, --write-dev-vars writes them: choose one");

  const standIn = await startStandIn({
    port,
    consumers: { [consumerKey]: consumerSecret },
    callbackPrefixes: values["callback-prefix"] ?? [],
    accessLevel,
    ...(values["app-name"] !== undefined ? { appName: values["app-name"] } : {}),
    ...(values.log ? { log: (line: string) => process.stderr.write(`[stand-in] ${line}\n`) } : {}),
  }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "EADDRINUSE") throw error;
    throw new RunError(`stand-in: port ${port} is already in use on 127.0.0.1 (another stand-in?). Stop what uses it, or choose another port: --port ${port === 65_535 ? 8790 : port + 1}`);
  });
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    if (values.log) process.stderr.write(`[stand-in] ${signal}: closing\n`);
    standIn.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);

  const description = {
    origin: standIn.origin,
    urls: standIn.urls,
    accessLevel,
    consumerKey,
    // Printed only when it is the public dev value; a secret passed on the command line stays unprinted.
    ...(consumerSecret === DEFAULT_CONSUMER_SECRET ? { consumerSecret } : {}),
    // The Worker's vars pointing at this stand-in (wrangler.toml names), OAuth 2.0's client beside the 1.0a endpoints.
    vars: workerVars(standIn.urls),
  };
  // The .dev.vars lines; a secret given on the command line goes into the file, never onto stdout.
  const devVarsLines = (secret: string) => [
    "# The local Twitter stand-in (not real Twitter): any screen name signs in.",
    `TWITTER_CLIENT_ID=${consumerKey}`,
    `TWITTER_CLIENT_SECRET=${secret}`,
    ...Object.entries(description.vars).map(([name, value]) => `${name}=${value}`),
  ];
  const file = values["write-dev-vars"];
  if (file !== undefined) {
    // The file first: a program that waits for the JSON line finds it written.
    await writeDevVars(file, devVarsLines(consumerSecret));
    process.stdout.write(`${JSON.stringify(description)}\n`);
  } else if (values["dev-vars"]) {
    const lines = devVarsLines(consumerSecret === DEFAULT_CONSUMER_SECRET ? consumerSecret : "<the --consumer-secret you gave>");
    process.stdout.write(`${[...lines, "# Add a SESSION_SECRET of your own (32+ characters)."].join("\n")}\n`);
  } else {
    process.stdout.write(`${JSON.stringify(description)}\n`);
  }
  if (port === 0 && (file !== undefined || values["dev-vars"])) process.stderr.write("(a free port was picked: pass --port N to keep these lines valid across runs)\n");
  // Its stdout may be going to a file or a program: the terminal still learns that it runs, and where.
  if (file !== undefined || !process.stdout.isTTY) {
    process.stderr.write(`stand-in: the local X runs on ${standIn.origin} at the ${accessLevel} access level; Ctrl+C stops it.\n`);
  }
}

/**
 * Sets the stand-in's lines in the .dev.vars file, keeping the rest, and says on stderr what
 * changed (names only); a SESSION_SECRET of 32 random bytes when the file has none.
 */
async function writeDevVars(file: string, lines: string[]): Promise<void> {
  const sessionSecret = `SESSION_SECRET=${randomBytes(32).toString("base64")}`;
  const update = await updateDevVars(file, lines, [sessionSecret]).catch((error: unknown) => {
    throw new RunError(`stand-in: could not write ${file}: ${error instanceof Error ? error.message : String(error)}`);
  });
  const said = [
    update.added.length > 0 ? `added ${update.added.join(", ")}` : "",
    update.changed.length > 0 ? `changed ${update.changed.join(", ")}` : "",
  ].filter(Boolean);
  process.stderr.write(`stand-in: ${file}: ${said.length > 0 ? said.join("; ") : "already up to date"}; every other line kept.\n`);
}

/** `--write-dev-vars` with no FILE after it (last, or followed by another option) means .dev.vars. */
function withDefaultFile(args: string[]): string[] {
  return args.flatMap((arg, index) => (arg === "--write-dev-vars" && (index === args.length - 1 || args[index + 1]!.startsWith("-")) ? [arg, DEV_VARS_FILE] : [arg]));
}

main().catch((error: unknown) => {
  if (error instanceof RunError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
  process.exit(2);
});
