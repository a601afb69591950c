/**
 * The message for flags the parser does not know: each flag as it was typed, the nearest known
 * flag when one is close (a typo, a wrong case, a prefix), and where the full list is.
 */
import leven from 'leven';

export interface KnownFlag {
  /** The long name, without dashes. */
  readonly name: string;
  /** The one-letter alias, if any. */
  readonly short?: string | undefined;
  /** Booleans also take the `--no-` form. */
  readonly boolean?: boolean;
}

/**
 * The flags of `argv` (up to `--`) whose parsed key is in `unknown`, as typed: `--ouput`,
 * `--no-gzipp`, `-O` (also from a group such as `-qO`), each once, in order.
 */
export function typedUnknownFlags(argv: readonly string[], unknown: ReadonlySet<string>): string[] {
  const found: string[] = [];
  const add = (typed: string): void => {
    if (!found.includes(typed)) found.push(typed);
  };
  for (const arg of argv) {
    if (arg === '--') break;
    if (arg.startsWith('--')) {
      const name = arg.slice(2).split('=')[0]!;
      if (unknown.has(name) || (name.startsWith('no-') && unknown.has(name.slice(3)))) add(`--${name}`);
    } else if (/^-[A-Za-z]/.test(arg)) {
      for (const letter of /^[A-Za-z]+/.exec(arg.slice(1))![0]) if (unknown.has(letter)) add(`-${letter}`);
    }
  }
  return found;
}

function longest(text: string): number {
  return text.length <= 3 ? 1 : text.length <= 6 ? 2 : 3;
}

/** Known flags close to `typed`, best first: `--output`, `-o (--output)`; empty when none is close. */
export function nearestFlags(typed: string, known: readonly KnownFlag[]): string[] {
  const short = (f: KnownFlag): string => `-${f.short} (--${f.name})`;
  if (!typed.startsWith('--')) {
    // One letter is one edit from every other: only a wrong case is worth a guess.
    const letter = typed.slice(1);
    return known.filter((f) => f.short !== undefined && f.short !== letter && f.short.toLowerCase() === letter.toLowerCase()).map(short);
  }
  let body = typed.slice(2).toLowerCase().replace(/_/g, '-');
  let candidates = known;
  let dashes = '--';
  if (body.startsWith('no-') && !known.some((f) => f.name === body)) {
    body = body.slice(3);
    candidates = known.filter((f) => f.boolean);
    dashes = '--no-';
  }
  if (body.length === 1) return candidates.filter((f) => f.short?.toLowerCase() === body).map(short);
  const scored = candidates.map((f) => ({ f, d: leven(body, f.name) }));
  const best = Math.min(...scored.map((s) => s.d));
  let near = best <= longest(body) ? scored.filter((s) => s.d === best).map((s) => s.f) : [];
  // `--out`, `--exp`: the start of a flag; `--output-file`, `--output.x`: a flag and more.
  if (near.length === 0 && body.length >= 2) near = candidates.filter((f) => f.name.startsWith(body));
  if (near.length === 0) near = candidates.filter((f) => f.name.length >= 4 && body.startsWith(f.name) && /^[^a-z0-9]/.test(body.slice(f.name.length)));
  return near.slice(0, 3).map((f) => `${dashes}${f.name}`);
}

function joined(list: readonly string[], word: 'or' | 'and'): string {
  return list.length <= 1 ? list.join('') : `${list.slice(0, -1).join(', ')} ${word} ${list[list.length - 1]}`;
}

/** One line: each unknown flag, a suggestion where one is close, and the way to the full list. */
export function unknownFlagsMessage(typed: readonly string[], known: readonly KnownFlag[], help: string): string {
  const see = `see ${help} for every option`;
  if (typed.length === 1) {
    const near = nearestFlags(typed[0]!, known);
    return `unknown option ${typed[0]}${near.length > 0 ? `: did you mean ${joined(near, 'or')}? ${see[0]!.toUpperCase()}${see.slice(1)}` : `; ${see}`}`;
  }
  const each = typed.map((t) => {
    const near = nearestFlags(t, known);
    return near.length > 0 ? `${t} (did you mean ${joined(near, 'or')}?)` : t;
  });
  return `unknown options ${joined(each, 'and')}; ${see}`;
}
