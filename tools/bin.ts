#!/usr/bin/env node
// The package's command line, `hono-sign-in-with-twitter <command>`: `stand-in`, the local X to develop against, and `jwt-key`, a gateway signing key. Never imported by the library.

const USAGE = `usage: npx hono-sign-in-with-twitter stand-in [options] | jwt-key
  stand-in   run the local X stand-in on 127.0.0.1 (a local "Sign in with Twitter" to develop against)
  jwt-key    print a new private key (EC P-256 JWK) for the gateway's GATEWAY_JWT_KEYS
Run "npx hono-sign-in-with-twitter stand-in --help" for its options.`;

const [command] = process.argv.slice(2);
if (command === "stand-in") {
  // The command's own arguments follow it: the stand-in reads process.argv as `npm run stand-in -- ...` gives it.
  process.argv.splice(2, 1);
  await import("./stand-in/cli.ts");
} else if (command === "jwt-key") {
  await import("./jwt-key.ts");
} else if (command === undefined || command === "--help" || command === "-h" || command === "help") {
  process.stdout.write(`${USAGE}\n`);
} else {
  process.stderr.write(`unknown command: ${command}\n${USAGE}\n`);
  process.exit(2);
}
