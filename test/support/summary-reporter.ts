// Ends a Vitest run with one plain line, `<label>: N passed, N failed[, N skipped]`, or `<label>: FAIL (...)`
// when the run broke before or around the tests (e.g. Chromium missing, wrangler dev not starting), after the
// figures tests reported in `task.meta.report` (the bundle's size), which `silent: "passed-only"` would hide.
import type { Reporter, TestModule } from "vitest/node";

type RunEnd = NonNullable<Reporter["onTestRunEnd"]>;

export class SummaryReporter implements Reporter {
  readonly label: string;

  constructor(label: string) {
    this.label = label;
  }

  onTestRunEnd(...[testModules, unhandledErrors, reason]: Parameters<RunEnd>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const reports: string[] = [];
    for (const testModule of testModules as ReadonlyArray<TestModule>) {
      for (const testCase of testModule.children.allTests()) {
        const report = testCase.meta().report;
        if (report) reports.push(report);
        const state = testCase.result().state;
        if (state === "passed") passed += 1;
        else if (state === "failed") failed += 1;
        else skipped += 1;
      }
    }
    const broken = testModules.filter((m) => m.state() === "failed" && ![...m.children.allTests()].some((t) => t.result().state === "failed")).length;
    const problems: string[] = [];
    if (unhandledErrors.length > 0) problems.push(`${unhandledErrors.length} error(s) outside the tests: ${unhandledErrors.map((e) => e.message).join("; ")}`);
    if (broken > 0) problems.push(`${broken} test file(s) failed outside their tests`);
    if (passed + failed === 0) problems.push("no test ran");
    if (reason === "interrupted") problems.push("interrupted");
    if (reports.length > 0) console.log(`\n${reports.join("\n")}`);
    const counts = `${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ""}`;
    console.log(problems.length === 0 && failed === 0 ? `\n${this.label}: ${counts}` : `\n${this.label}: FAIL (${[counts, ...problems].join("; ")})`);
  }
}
