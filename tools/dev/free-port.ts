// A free TCP port on loopback for the servers tests, loads and benchmarks start, and whether a given port is free.
// Chosen below the system's range for automatic ports: a port picked from that range and released
// can be handed to the next server that asks for "any port" before ours binds it.
import { lookup } from "node:dns/promises";
import { readFileSync } from "node:fs";
import { createServer, isIP } from "node:net";

/**
 * A port free on 127.0.0.1 and, where there is IPv6, on [::1] too (the browser tries "localhost"
 * on both). Picked below the kernel's ephemeral range: a port merely probed free inside that range
 * can be handed to anyone's bind(0) before wrangler binds it (the stand-in's own, for one), and
 * then something else answers for the Worker.
 */
export async function freePort(): Promise<number> {
  const ceiling = Math.min(ephemeralRangeStart(), 65_536) - 1;
  const floor = Math.min(10_000, ceiling - 1_000);
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const port = floor + Math.floor(Math.random() * (ceiling - floor + 1));
    if ((await listenOnce("127.0.0.1", port)) !== undefined && (await listenOnce("::1", port, true)) !== undefined) return port;
  }
  throw new Error(`found no free port on loopback between ${floor} and ${ceiling}`);
}

/** The first port of the kernel's ephemeral range (Linux; 32768 where it cannot be read). */
function ephemeralRangeStart(): number {
  try {
    const low = Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 2_048 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

/**
 * False when something already listens on `port` at `host`, as a server binding that address would
 * find it: an IP address as given (0.0.0.0 and :: included), a name such as localhost at each
 * address it resolves to. An address the machine lacks, or a name that does not resolve, is left
 * for the server itself to report.
 */
export async function isPortFree(host: string, port: number): Promise<boolean> {
  const bare = host.replace(/^\[(.*)\]$/, "$1");
  let addresses = [bare];
  if (isIP(bare) === 0) {
    try {
      addresses = (await lookup(bare, { all: true })).map((entry) => entry.address);
    } catch {
      return true;
    }
  }
  for (const address of addresses) {
    if ((await listenError(address, port)) === "EADDRINUSE") return false;
  }
  return true;
}

/** Listens and closes at once; the port, or undefined when it is in use. With `absentOk`, an address the machine lacks counts as free. */
async function listenOnce(host: string, port: number, absentOk = false): Promise<number | undefined> {
  const code = await listenError(host, port);
  if (code === undefined) return port;
  return absentOk && (code === "EADDRNOTAVAIL" || code === "EAFNOSUPPORT") ? port : undefined;
}

/** Listens and closes at once: undefined when that worked, else the error's code (e.g. EADDRINUSE). */
function listenError(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "error"));
    probe.listen(port, host, () => probe.close(() => resolve(undefined)));
  });
}
