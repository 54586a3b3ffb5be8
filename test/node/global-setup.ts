// Vitest globalSetup for the workerd tests: starts the Twitter stand-in on 127.0.0.1 and provides its origin.
import type { TestProject } from "vitest/node";
import { type StandIn, startStandIn } from "../stand-in/server.ts";

let standIn: StandIn | undefined;

export async function setup(project: TestProject): Promise<void> {
  standIn = await startStandIn({
    // Besides loopback, the one https host the tests sign in from (any other is "not approved").
    callbackPrefixes: ["https://login.example.org/"],
    ...(process.env.STAND_IN_LOG ? { log: (line: string) => console.error(`[stand-in] ${line}`) } : {}),
  });
  project.provide("standInOrigin", standIn.origin);
}

export async function teardown(): Promise<void> {
  await standIn?.close();
}
