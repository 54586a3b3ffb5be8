// A free TCP port on loopback for the servers tests, loads and benchmarks start.
// Chosen below the system's range for automatic ports: a port picked from that range and released
// can be handed to the next server that asks for "any port" before ours binds it.
import { readFileSync } from "node:fs";
import { createServer } from "node:net";

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

/** Listens and closes at once; the port, or undefined when it is in use. With `absentOk`, an address the machine lacks counts as free. */
function listenOnce(host: string, port: number, absentOk = false): Promise<number | undefined> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", (error: NodeJS.ErrnoException) => resolve(absentOk && (error.code === "EADDRNOTAVAIL" || error.code === "EAFNOSUPPORT") ? port : undefined));
    probe.listen(port, host, () => probe.close(() => resolve(port)));
  });
}
