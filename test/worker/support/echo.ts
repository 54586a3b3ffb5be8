// What the gateway tests' origin (test/node/test-origin.ts) answers for every ordinary path: the request it received.

/** The request as the origin received it, as JSON. */
export interface Echo {
  method: string;
  /** The request-target exactly as received (path and query). */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  /** The raw header lines, repeats and case as sent. */
  rawHeaders: string[];
  bodyBytes: number;
  bodySha256: string;
  body: string;
}
