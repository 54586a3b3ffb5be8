// Vitest globalSetup for the workerd tests: starts three Twitter stand-ins on 127.0.0.1 and provides their origins.
// One serves the ordinary tests; another is where fault tests switch faults on, so they never disturb the rest;
// the third starts at the `free` access level (v1.1 verify_credentials refused with 453), for the access-level tests.
// Beside them, a site for gateway mode to protect (test/node/test-origin.ts).
import type { TestProject } from "vitest/node";
import { type StandIn, type StandInOptions, startStandIn } from "../../tools/stand-in/server.ts";
import { type TestOrigin, startTestOrigin } from "./test-origin.ts";

const standIns: StandIn[] = [];
let testOrigin: TestOrigin | undefined;

export async function setup(project: TestProject): Promise<void> {
  const options: StandInOptions = {
    // Besides loopback, the one https host the tests sign in from (any other is "not approved").
    callbackPrefixes: ["https://login.example.org/"],
    ...(process.env.STAND_IN_LOG ? { log: (line: string) => console.error(`[stand-in] ${line}`) } : {}),
  };
  const [standIn, faultyStandIn, freeStandIn] = await Promise.all([startStandIn(options), startStandIn(options), startStandIn({ ...options, accessLevel: "free" })]);
  standIns.push(standIn, faultyStandIn, freeStandIn);
  project.provide("standInOrigin", standIn.origin);
  project.provide("faultyStandInOrigin", faultyStandIn.origin);
  project.provide("freeStandInOrigin", freeStandIn.origin);
  testOrigin = await startTestOrigin();
  project.provide("testOrigin", testOrigin.origin);
  project.provide("closedTestOrigin", testOrigin.closedOrigin);
}

export async function teardown(): Promise<void> {
  await Promise.all([...standIns.map((standIn) => standIn.close()), testOrigin?.close()]);
}
