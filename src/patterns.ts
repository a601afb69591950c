/**
 * The glob patterns of a run, compiled once: which relative paths the walk keeps, which it
 * leaves out (`--ignore`, and `!pattern` as fast-glob reads it), and which directories it need
 * not enter at all. Patterns only ever filter paths the walk found inside <dir>: they cannot
 * name anything outside it. A pattern that could only point outside, or only at dotfiles, is
 * refused up front so that the user learns why it matches nothing.
 */
import { quoteValue } from './quote.js';
import braces from 'braces';
import picomatch from 'picomatch';
import { UsageError } from './errors.js';

/** Whether a name in one directory is selected (not ignored): see `PatternSet.selector`. */
export type Selector = (name: string) => boolean;

export interface PatternSet {
  /**
   * The test for names in directory `dir` (relative, with a trailing '/'; '' at the root; text is
   * UTF-8 with invalid bytes as U+FFFD). Made once per directory: most patterns end in a
   * basename glob (`**\/*.json`), so per file only the name is matched, not a joined path.
   */
  selector(dir: string): Selector;
  /** Whether the walk enters directory `rel` (`depth` segments deep). */
  enters(rel: string, depth: number): boolean;
}

/** Brace alternatives beyond this are not listed one by one (no pruning, checks on the raw text). */
const MAX_ALTERNATIVES = 4096;

/** `pattern`'s brace alternatives (`a/{b,c}` -> `a/b`, `a/c`), or the pattern when too many. */
function alternatives(pattern: string): string[] {
  try {
    const list = braces.expand(pattern, { rangeLimit: MAX_ALTERNATIVES });
    return list.length > 0 && list.length <= MAX_ALTERNATIVES ? list : [pattern];
  } catch {
    return [pattern];
  }
}

/** Path segments, not splitting at a '/' inside an extglob's or a class's brackets. */
function segments(glob: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '\\') i++;
    else if (c === '(' || c === '[') depth++;
    else if ((c === ')' || c === ']') && depth > 0) depth--;
    else if (c === '/' && depth === 0) {
      out.push(glob.slice(start, i));
      start = i + 1;
    }
  }
  out.push(glob.slice(start));
  return out;
}

function stripDotSlash(glob: string): string {
  let g = glob;
  while (g.startsWith('./')) g = g.slice(2);
  return g;
}

/**
 * Refuses what can never match inside <dir>: an empty pattern, an absolute one, one with a
 * segment that is or can be '..' (after brace and extglob expansion), and (unless ignoring) one
 * that names a dotfile or dot-directory, which are never read.
 */
function check(kind: string, glob: string, ignoring: boolean): void {
  if (glob === '') throw new UsageError(`empty ${kind}`);
  const outside = (why: string): UsageError =>
    new UsageError(
      `${kind} ${quoteValue(glob)} points outside the input directory (${why}): patterns are relative to <dir> and only select files found inside it`,
    );
  for (const alt of alternatives(glob)) {
    if (alt.startsWith('/')) throw outside(`${quoteValue(alt)} is absolute`);
    const segs = segments(stripDotSlash(alt));
    for (const seg of segs) {
      if (seg === '..') throw outside(`${quoteValue(alt)} has a '..' segment`);
    }
    for (const seg of segs) {
      if (!ignoring && seg.startsWith('.') && seg !== '.') {
        throw new UsageError(
          `${kind} ${quoteValue(glob)} names a dotfile or dot-directory (${quoteValue(seg)}): files and directories whose name starts with '.' are never read (writers use them for temporary files)`,
        );
      }
      // An extglob, class or brace group that spells '..' out of dots (`@(..)`, `*(.)`, `[.][.]`);
      // `@(*)` matches '..' for picomatch too, but names no dot: the walk never yields '..' anyway.
      if (seg.includes('.') && /[([{]/.test(seg) && !seg.startsWith('!(') && picomatch(seg, { dot: true })('..')) {
        throw outside(`${quoteValue(seg)} can match '..'`);
      }
    }
  }
}

/**
 * A matcher for `globs`, as picomatch's own (a path equal to the glob matches, else its regex),
 * minus the wrapper's per-call result object: on 100k names the wrapper cost more than the walk.
 */
function matcher(globs: string | readonly string[]): Selector {
  const list = typeof globs === 'string' ? [globs] : globs;
  const res = list.map((g) => picomatch.makeRe(g));
  if (list.length === 1) {
    const g = list[0]!;
    const re = res[0]!;
    return (s) => s === g || re.test(s);
  }
  return (s) => {
    for (let i = 0; i < res.length; i++) if (s === list[i] || res[i]!.test(s)) return true;
    return false;
  };
}

/** What a directory must satisfy for an alternative to match below it. */
interface Reach {
  /** Literal leading segments. */
  readonly base: readonly string[];
  /** Segments of the longest path it matches (Infinity with `**` or an extglob). */
  readonly depth: number;
}

function reachOf(alt: string): Reach {
  const glob = stripDotSlash(alt);
  const scan = picomatch.scan(glob);
  const base = scan.base === '' ? [] : segments(scan.base);
  const segs = segments(glob);
  const unbounded = segs.includes('**') || /[({]/.test(glob) || segs.some((s) => s.includes('**'));
  return { base, depth: unbounded ? Infinity : segs.length };
}

/** `!pattern` (not an extglob `!(...)`) is an ignore pattern, as fast-glob reads it. */
function split(patterns: readonly string[]): { positive: string[]; negative: string[] } {
  const positive: string[] = [];
  const negative: string[] = [];
  for (const p of patterns) {
    if (p.startsWith('!') && !p.startsWith('!(')) negative.push(p.slice(1));
    else positive.push(p);
  }
  return { positive, negative };
}

/** Validates patterns and ignore patterns (UsageError); see `check`. */
export function checkPatterns(patterns: readonly string[], ignore: readonly string[]): { positive: string[]; negative: string[] } {
  const { positive, negative } = split(patterns);
  for (const p of positive) check('pattern', p, false);
  for (const p of negative) check('pattern', p, true);
  for (const p of ignore) check('ignore pattern', p, true);
  return { positive, negative };
}

/**
 * Compiles the patterns (`!pattern` moves to the ignore list, as fast-glob does) and the ignore
 * patterns. Throws UsageError for a pattern that can only match outside <dir> or a dotfile.
 */
export function compilePatterns(patterns: readonly string[], ignore: readonly string[]): PatternSet {
  const { positive, negative } = checkPatterns(patterns, ignore);
  const wanted = positive.map(stripDotSlash);
  const unwanted = [...negative, ...ignore].map(stripDotSlash);
  const ignored = unwanted.length > 0 ? matcher(unwanted) : () => false;
  const expanded = wanted.flatMap(alternatives);
  const reaches = expanded.map(reachOf);
  // Alternatives split into a directory glob and a basename glob; the rest match whole paths.
  const splits: { dir: 'any' | ((dir: string) => boolean); base: Selector }[] = [];
  const whole: string[] = [];
  for (const alt of expanded) {
    const glob = stripDotSlash(alt);
    const segs = segments(glob);
    const last = segs[segs.length - 1]!;
    if (glob.includes('{') || last.includes('**') || last === '') {
      whole.push(glob);
      continue;
    }
    const dirSegs = segs.slice(0, -1);
    let dir: 'any' | ((dir: string) => boolean);
    if (dirSegs.length === 0) dir = (d) => d === '';
    else if (dirSegs.every((x) => x === '**')) dir = 'any';
    else {
      const m = matcher(dirSegs.join('/'));
      dir = (d) => d !== '' && m(d.slice(0, -1));
    }
    splits.push({ dir, base: matcher(last) });
  }
  const wholeMatch = whole.length > 0 ? matcher(whole) : undefined;
  const never: Selector = () => false;

  return {
    selector(dir) {
      const bases = splits.filter((s) => s.dir === 'any' || s.dir(dir)).map((s) => s.base);
      if (wholeMatch === undefined && unwanted.length === 0) {
        if (bases.length === 0) return never;
        if (bases.length === 1) return bases[0]!;
      }
      return (name) => {
        let hit = false;
        for (const b of bases)
          if (b(name)) {
            hit = true;
            break;
          }
        if (!hit && wholeMatch === undefined) return false;
        const rel = dir + name;
        return (hit || wholeMatch!(rel)) && !ignored(rel);
      };
    },
    enters(rel, depth) {
      if (ignored(rel)) return false;
      const dir = rel.split('/');
      return reaches.some((r) => {
        if (depth >= r.depth) return false;
        const n = Math.min(r.base.length, dir.length);
        for (let i = 0; i < n; i++) if (r.base[i] !== dir[i]) return false;
        return true;
      });
    },
  };
}
