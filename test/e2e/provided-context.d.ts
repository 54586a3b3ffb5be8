// What test/e2e/global-setup.ts provides to the e2e tests.
export {};
declare module "vitest" {
  interface ProvidedContext {
    /** The site's origin as the browser uses it, e.g. http://localhost:41234 (wrangler dev listens on 127.0.0.1). */
    e2eOrigin: string;
    /** The Twitter stand-in's origin, e.g. http://127.0.0.1:41235 */
    e2eStandInOrigin: string;
    /** The Worker in gateway mode (`npm run dev -- --demo-origin`), protecting the demo origin. */
    e2eGatewayOrigin: string;
    /** The stand-in that Worker signs in against. */
    e2eGatewayStandInOrigin: string;
    /** The demo origin that Worker protects (its PROTECT_ORIGIN: the assertion's audience). */
    e2eGatewayProtectedOrigin: string;
    /** The Worker signing in with OAuth 2.0 (TWITTER_OAUTH_VERSION=2.0), and its stand-in. */
    e2eOAuth2Origin: string;
    e2eOAuth2StandInOrigin: string;
    /** The Chromium binary, checked to be there. */
    e2eChromium: string;
  }
}
