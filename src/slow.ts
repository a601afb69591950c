/**
 * The one test of "this volume is slow to open things", shared by the reader (file opens,
 * read.ts) and the walk (directory opens, walk.ts): both start synchronous, time their opens, and
 * go concurrent once the faster quarter of a round of opens is slow, rounds in a row.
 */

/**
 * Open time above which an open counts as slow (ms). A page-cache hit on a local disk takes
 * ~0.02 ms here (a directory ~0.04 ms); a network volume's round trip is ~0.5-2 ms, an object
 * store mounted through FUSE tens of ms.
 */
export const SLOW_OPEN_MS = 0.25;

/**
 * Rounds of `samples` timings: a round is slow when its lower quartile is above SLOW_OPEN_MS, so a
 * few opens slowed by preemption on a loaded machine (or a first call's warm-up) don't count;
 * `rounds` slow rounds in a row decide.
 */
export class SlowProbe {
  private readonly times: Float64Array;
  private timed = 0;
  private slowRounds = 0;

  constructor(
    samples: number,
    private readonly rounds: number,
  ) {
    this.times = new Float64Array(samples);
  }

  /** Records one open's time; true once opens are found slow. */
  add(ms: number): boolean {
    this.times[this.timed++] = ms;
    if (this.timed < this.times.length) return false;
    this.timed = 0;
    this.times.sort();
    this.slowRounds = this.times[this.times.length >> 2]! > SLOW_OPEN_MS ? this.slowRounds + 1 : 0;
    return this.slowRounds >= this.rounds;
  }
}
