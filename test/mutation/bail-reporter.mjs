/**
 * node:test's TAP reporter that ends the test file's process soon after its first failure when
 * Stryker runs a mutant: one failing test kills the mutant, and a CLI test file takes up to a
 * minute to run to its end (Node 20 has no --test-bail). The dry run, which collects coverage,
 * runs everything.
 */
import { tap } from 'node:test/reporters';

export default async function* bailReporter(source) {
  const bail = process.env.STRYKER_DRY_RUN !== 'true';
  async function* watch() {
    for await (const event of source) {
      yield event;
      if (bail && event.type === 'test:fail' && !event.data.todo && !event.data.skip) {
        // Time for the reporter to print the failure; Stryker's hook writes its result on exit.
        setTimeout(() => process.exit(1), 100).unref();
      }
    }
  }
  yield* tap(watch());
}
