// What `npm run dev` tells the person who started it: which X it signs in against, the callback URL to register, and what to open.

/** What the banner needs to know about this run. */
export interface BannerFacts {
  /** Where the Worker is, as a person opens it (e.g. http://localhost:8787). */
  browserUrl: string;
  /** True when no X credentials are configured: the run signs in against the local stand-in. */
  standIn: boolean;
  /** `.dev.vars` as read (PROTECT_ORIGIN and SIGN_IN_PREFIX decide where the sign-in routes are). */
  devVars: Record<string, string>;
  /** `--demo-origin`: gateway mode in front of the local demo site. */
  demoOrigin: boolean;
}

/**
 * Where the sign-in routes live in this run, as the Worker decides it (src/gateway/settings.ts):
 * SIGN_IN_PREFIX (`/` is the root), else `/_auth` in gateway mode, else the root.
 */
export function signInPrefix(facts: Pick<BannerFacts, "devVars" | "demoOrigin">): string {
  const value = facts.devVars.SIGN_IN_PREFIX;
  if (value) return value.replace(/\/$/, "");
  return facts.demoOrigin || facts.devVars.PROTECT_ORIGIN ? "/_auth" : "";
}

/** The site this run protects in gateway mode, as the banner names it; undefined when it is not in gateway mode. */
function protectedSite(facts: BannerFacts, demoOriginUrl?: string): string | undefined {
  if (facts.demoOrigin) return `the demo origin${demoOriginUrl ? ` ${demoOriginUrl}` : ""}`;
  return facts.devVars.PROTECT_ORIGIN ? `${facts.devVars.PROTECT_ORIGIN} (PROTECT_ORIGIN in .dev.vars)` : undefined;
}

/**
 * Printed before wrangler starts: which X, and the callback URL to register for this origin. X asks
 * for 127.0.0.1 rather than localhost in a local callback (docs/x-app.md), and the callback must
 * be the origin the browser opens: on localhost, the banner says how to serve 127.0.0.1 instead.
 */
export function startLines(facts: BannerFacts): string[] {
  const onLocalhost = new URL(facts.browserUrl).hostname === "localhost";
  const origin = onLocalhost ? facts.browserUrl.replace("//localhost", "//127.0.0.1") : facts.browserUrl;
  const callback = `${origin}${signInPrefix(facts)}/auth`;
  const again = onLocalhost ? "npm run dev -- --ip 127.0.0.1" : "npm run dev";
  if (!facts.standIn) {
    const lines = ["", `  Signing in with the X app in .dev.vars: its callback URLs must include ${callback}`];
    if (onLocalhost) lines.push(`  (X takes 127.0.0.1, not localhost: run ${again} and open ${origin}/)`);
    return [...lines, ""];
  }
  return [
    "",
    "  No Twitter credentials in .dev.vars: signing in against the LOCAL TWITTER STAND-IN (not real Twitter).",
    "  Type any screen name on its consent page. To use real Twitter: cp .dev.vars.example .dev.vars,",
    `  set TWITTER_CLIENT_ID and TWITTER_CLIENT_SECRET, register ${callback} as the`,
    `  app's callback URL in X's developer console (docs/x-app.md), and run ${again}.`,
    "",
  ];
}

/** Printed once the Worker answers: what to open. */
export function readyLines(facts: BannerFacts, demoOriginUrl?: string): string[] {
  const site = protectedSite(facts, demoOriginUrl);
  const prefix = signInPrefix(facts);
  // Outside gateway mode the landing page stays at / wherever SIGN_IN_PREFIX puts the routes.
  if (!site) return [`\n  Open ${facts.browserUrl}/ and click "Sign in with Twitter"  (Ctrl+C to stop)\n`];
  return [
    `  Gateway mode: protecting ${site}; the sign-in routes are under ${prefix || "/"}`,
    facts.demoOrigin
      ? `\n  Open ${facts.browserUrl}/ : sign in, and land on the demo origin's protected page  (Ctrl+C to stop)\n`
      : `\n  Open ${facts.browserUrl}/ : sign in, and land on your site's page, with X-Twitter-* headers  (Ctrl+C to stop)\n`,
  ];
}
