// `npm run dev`: the Worker under wrangler dev; with no Twitter credentials, against the local Twitter stand-in.
import { hasTwitterCredentials, startDevServer } from "./dev-server.ts";

const port = Number(process.env.PORT ?? 8787);
const useStandIn = !hasTwitterCredentials();

if (useStandIn) {
  console.log(
    [
      "",
      "  No Twitter credentials in .dev.vars: signing in against the LOCAL TWITTER STAND-IN (not real Twitter).",
      "  Type any screen name on its consent page. To use real Twitter: cp .dev.vars.example .dev.vars,",
      "  set TWITTER_CLIENT_ID and TWITTER_CLIENT_SECRET, register http://localhost:8787/auth as the",
      "  app's callback URL on the X developer portal, and run npm run dev again.",
      "",
    ].join("\n"),
  );
}

const server = await startDevServer({ port, ip: process.env.HOST ?? "localhost", wranglerArgs: process.argv.slice(2) });
if (server.standIn) console.log(`  Twitter stand-in: ${server.standIn.origin}`);
console.log(`\n  Open ${server.url.replace("127.0.0.1", "localhost")}/ and click "Sign in with Twitter"  (Ctrl+C to stop)\n`);

let stopping = false;
const shutdown = async (code: number) => {
  if (stopping) return;
  stopping = true;
  await server.stop();
  process.exit(code);
};
process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));
void server.exited.then((code) => shutdown(code));
