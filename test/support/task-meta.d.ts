// A figure a test reports (e.g. the bundle's size): test/support/summary-reporter.ts prints it after the run, whatever `silent` hides.
export {};
declare module "vitest" {
  interface TaskMeta {
    /** One line to print at the end of the run. */
    report?: string;
  }
}
