// What `npm run dev` checks in .dev.vars before it starts: the app's two credentials set together or not at all, and no name the Worker does not read.
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** The app's credentials: both (real X) or neither (the local stand-in). */
const CREDENTIALS = ["TWITTER_CLIENT_ID", "TWITTER_CLIENT_SECRET"] as const;

/** Names people type for the credentials, after what X's console and other libraries call them. */
const ALIASES: Record<string, string> = {
  TWITTER_API_KEY: "TWITTER_CLIENT_ID",
  TWITTER_CONSUMER_KEY: "TWITTER_CLIENT_ID",
  X_API_KEY: "TWITTER_CLIENT_ID",
  API_KEY: "TWITTER_CLIENT_ID",
  CONSUMER_KEY: "TWITTER_CLIENT_ID",
  TWITTER_API_SECRET: "TWITTER_CLIENT_SECRET",
  TWITTER_API_KEY_SECRET: "TWITTER_CLIENT_SECRET",
  TWITTER_CONSUMER_SECRET: "TWITTER_CLIENT_SECRET",
  X_API_SECRET: "TWITTER_CLIENT_SECRET",
  X_API_KEY_SECRET: "TWITTER_CLIENT_SECRET",
  API_SECRET: "TWITTER_CLIENT_SECRET",
  API_KEY_SECRET: "TWITTER_CLIENT_SECRET",
  CONSUMER_SECRET: "TWITTER_CLIENT_SECRET",
};

/** What is wrong with a .dev.vars; empty lists when nothing is. */
export interface DevVarsProblems {
  /** One credential is set and these are not. */
  missing: string[];
  /** Names the Worker never reads, each with the setting it most likely meant. */
  unknown: { name: string; meant?: string }[];
}

/**
 * Every setting the Worker reads, from the `Env` and `GatewayEnv` interfaces in src/env.ts (so a
 * setting added there is known here at once).
 */
export function knownSettings(envSource = readFileSync(join(import.meta.dirname, "..", "..", "src", "env.ts"), "utf8")): Set<string> {
  return new Set([...envSource.matchAll(/^\s+([A-Z][A-Z0-9_]*)\??:/gm)].map((match) => match[1]!));
}

/**
 * Checks .dev.vars as read (with the shell's environment for the credentials, as `npm run dev`
 * takes them from there too): a credential without the other, and unknown names.
 */
export function checkDevVars(vars: Record<string, string>, known: Set<string> = knownSettings(), environment: NodeJS.ProcessEnv = process.env): DevVarsProblems {
  const isSet = (name: string) => Boolean(vars[name] ?? environment[name]);
  const missing = CREDENTIALS.some(isSet) ? CREDENTIALS.filter((name) => !isSet(name)) : [];
  const unknown = Object.keys(vars)
    .filter((name) => !known.has(name))
    .map((name) => {
      const meant = ALIASES[name] ?? closest(name, known);
      return meant === undefined ? { name } : { name, meant };
    });
  return { missing, unknown };
}

/** The known name at most two edits away (a typo), if exactly one is. */
function closest(name: string, known: Set<string>): string | undefined {
  const near = [...known].filter((candidate) => editDistance(name, candidate) <= 2);
  return near.length === 1 ? near[0] : undefined;
}

/** Levenshtein distance. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length]!;
}

/** The unknown names as one phrase: `TWITTER_API_KEY (TWITTER_CLIENT_ID?), FOO`. */
function unknownPhrase(unknown: DevVarsProblems["unknown"]): string {
  return unknown.map(({ name, meant }) => (meant ? `${name} (${meant}?)` : name)).join(", ");
}

/**
 * Why `npm run dev` refuses to start, or undefined when it may: one credential without the
 * other (it would otherwise fall back to the stand-in without a word). Names only, never values.
 */
export function refusal(problems: DevVarsProblems): string | undefined {
  if (problems.missing.length === 0) return undefined;
  const set = CREDENTIALS.filter((name) => !problems.missing.includes(name));
  const unknown = problems.unknown.length > 0 ? ` It also has settings the Worker does not read: ${unknownPhrase(problems.unknown)}.` : "";
  return (
    `${set.join(" and ")} is set (in .dev.vars or the shell), ${problems.missing.join(" and ")} is not.${unknown} ` +
    "Set both (your X app's API Key and API Key Secret) to sign in with real X, or neither to use the local X stand-in."
  );
}

/** Lines for the banner about names the Worker does not read (none when there are none). */
export function unknownSettingsLines(problems: DevVarsProblems): string[] {
  if (problems.unknown.length === 0) return [];
  return [
    "",
    `  .dev.vars has settings the Worker does not read, and ignores: ${unknownPhrase(problems.unknown)}.`,
    "  Every setting it reads is in .dev.vars.example and docs/configuration.md.",
  ];
}
