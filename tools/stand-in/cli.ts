// Command line for the Twitter stand-in (`npx hono-sign-in-with-twitter stand-in`, or `npm run stand-in` in this repository): prints one JSON line (origin, urls, consumer, Worker vars), or with --dev-vars the .dev.vars lines, and runs until SIGINT/SIGTERM.
import { parseArgs } from "node:util";
import { DEFAULT_CONSUMER_KEY, DEFAULT_CONSUMER_SECRET, DEFAULT_OAUTH2_CLIENT_ID, DEFAULT_OAUTH2_CLIENT_SECRET, startStandIn } from "./server.ts";
import { isAccessLevel } from "./twitter.ts";

const USAGE = `usage: npx hono-sign-in-with-twitter stand-in [--port N] [--dev-vars] [--callback-prefix URL]... [--consumer-key KEY --consumer-secret SECRET] [--app-name NAME] [--access-level free|legacy] [--log]
(in a clone of its repository: npm run stand-in -- [options])
Starts the local Twitter stand-in on 127.0.0.1 and prints one line of JSON describing it.
  --dev-vars             print instead the lines to put in a Worker's .dev.vars to sign in against it
  --port N               port to listen on (default: a free one)
  --callback-prefix URL  also approve callbacks starting with URL (loopback hosts always are)
  --consumer-key, --consumer-secret  the app's client credentials (default: the public dev pair)
  --app-name NAME        name on the consent page
  --access-level LEVEL   free (default: as X answers a new app today, v1.1 verify_credentials refused
                         with 403 code 453, X API v2 /2/users/me served) or legacy (v1.1 served)
  --log                  access log on stderr`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: "string" },
      "callback-prefix": { type: "string", multiple: true },
      "consumer-key": { type: "string" },
      "consumer-secret": { type: "string" },
      "app-name": { type: "string" },
      "access-level": { type: "string", default: "free" },
      log: { type: "boolean" },
      "dev-vars": { type: "boolean" },
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

  const standIn = await startStandIn({
    port,
    consumers: { [consumerKey]: consumerSecret },
    callbackPrefixes: values["callback-prefix"] ?? [],
    accessLevel,
    ...(values["app-name"] !== undefined ? { appName: values["app-name"] } : {}),
    ...(values.log ? { log: (line: string) => process.stderr.write(`[stand-in] ${line}\n`) } : {}),
  });
  const description = {
    origin: standIn.origin,
    urls: standIn.urls,
    accessLevel,
    consumerKey,
    // Printed only when it is the public dev value; a secret passed on the command line stays unprinted.
    ...(consumerSecret === DEFAULT_CONSUMER_SECRET ? { consumerSecret } : {}),
    // The Worker's vars pointing at this stand-in (wrangler.toml names).
    vars: {
      TWITTER_REQUEST_TOKEN_URL: standIn.urls.requestToken,
      TWITTER_AUTHORIZE_URL: standIn.urls.authenticate,
      TWITTER_ACCESS_TOKEN_URL: standIn.urls.accessToken,
      TWITTER_API_BASE_URL: standIn.urls.apiBase,
      // OAuth 2.0 (TWITTER_OAUTH_VERSION=2.0), with the stand-in's default client beside the 1.0a app.
      TWITTER_OAUTH2_CLIENT_ID: DEFAULT_OAUTH2_CLIENT_ID,
      TWITTER_OAUTH2_CLIENT_SECRET: DEFAULT_OAUTH2_CLIENT_SECRET,
      TWITTER_OAUTH2_AUTHORIZE_URL: standIn.urls.oauth2Authorize,
      TWITTER_OAUTH2_TOKEN_URL: standIn.urls.oauth2Token,
      TWITTER_OAUTH2_REVOKE_URL: standIn.urls.oauth2Revoke,
    },
  };
  if (values["dev-vars"]) {
    const lines = [
      "# The local Twitter stand-in (not real Twitter): any screen name signs in. Add a SESSION_SECRET of your own (32+ characters).",
      `TWITTER_CLIENT_ID=${consumerKey}`,
      consumerSecret === DEFAULT_CONSUMER_SECRET ? `TWITTER_CLIENT_SECRET=${consumerSecret}` : "TWITTER_CLIENT_SECRET=<the --consumer-secret you gave>",
      ...Object.entries(description.vars).map(([name, value]) => `${name}=${value}`),
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
    if (port === 0) process.stderr.write("(a free port was picked: pass --port N to keep these lines valid across runs)\n");
  } else {
    process.stdout.write(`${JSON.stringify(description)}\n`);
  }

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
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
  process.exit(2);
});
