// `npm run dev`: the Worker under wrangler dev; with no Twitter credentials, against the local Twitter stand-in.
import { startLines, readyLines } from "./banner.ts";
import { checkDevVars, refusal, unknownSettingsLines } from "./dev-vars-check.ts";
import { type DevAddress, type DevServer, PortInUseError, devAddress, hasTwitterCredentials, readDevVars, startDevServer } from "./dev-server.ts";
import { isPortFree } from "./free-port.ts";

/** Prints one line and exits with 1. */
function fail(message: string): never {
  console.error(`\n  npm run dev: ${message}\n`);
  process.exit(1);
}

function portInUse(port: number, ip: string): never {
  fail(`port ${port} is already in use on ${ip}. Stop what uses it, or choose another port: npm run dev -- --port ${port === 65_535 ? 8788 : port + 1}`);
}

// Every argument goes to wrangler dev (`npm run dev -- --port 8788`); without --port and --ip, localhost:8787.
// Ours alone: --demo-origin, gateway mode in front of a local demo site (tools/dev/demo-origin.ts);
// --access-level free|legacy, the stand-in's (default free: what X gives a new app today).
const wranglerArgs: string[] = [];
let demoOrigin = false;
let accessLevel: string | undefined = "free";
for (const args = process.argv.slice(2); args.length > 0; ) {
  const arg = args.shift()!;
  if (arg === "--demo-origin") demoOrigin = true;
  else if (arg === "--access-level") accessLevel = args.shift();
  else if (arg.startsWith("--access-level=")) accessLevel = arg.slice("--access-level=".length);
  else wranglerArgs.push(arg);
}
if (accessLevel !== "free" && accessLevel !== "legacy") fail(`--access-level must be free or legacy, not ${accessLevel ?? "nothing"}`);
const options = { port: 8787, ip: "localhost", demoOrigin, standInOptions: { accessLevel } as const, wranglerArgs };

let address: DevAddress;
try {
  address = devAddress(options);
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
if (!(await isPortFree(address.ip, address.port))) portInUse(address.port, address.ip);

const devVars = readDevVars();
// A credential without the other, or a misspelt name, would otherwise mean the stand-in without a word.
const problems = checkDevVars(devVars);
const refused = refusal(problems);
if (refused) fail(refused);
const facts = { browserUrl: address.browserUrl, standIn: !hasTwitterCredentials(devVars), devVars, demoOrigin };
console.log([...unknownSettingsLines(problems), ...startLines(facts)].join("\n"));

// Ctrl+C while wrangler dev starts stops it too (it runs in a process group of its own).
const starting = new AbortController();
let server: DevServer | undefined;
let stopping = false;
const shutdown = async (code: number) => {
  if (stopping) return;
  stopping = true;
  await server?.stop();
  process.exit(code);
};
const onSignal = () => {
  if (server) void shutdown(0);
  else starting.abort();
};
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);

try {
  server = await startDevServer({ ...options, signal: starting.signal });
} catch (error) {
  if (starting.signal.aborted) process.exit(0);
  if (error instanceof PortInUseError) portInUse(error.port, error.ip);
  fail(error instanceof Error ? error.message : String(error));
}
if (server.standIn) console.log(`  Twitter stand-in: ${server.standIn.origin} (access level ${accessLevel}; npm run dev -- --access-level ${accessLevel === "free" ? "legacy" : "free"} for the other)`);
console.log(readyLines(facts, server.demoOrigin?.origin).join("\n"));
void server.exited.then((code) => shutdown(code));
