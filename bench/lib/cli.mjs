// Small helpers shared by the bench scripts: `--name value` options, medians, a seeded shuffle.
import { prng } from '../generate.mjs';

/** The value after `--name` in `args`, or `fallback`. */
export function option(args, name, fallback) {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** `xs` in a seeded random order (Fisher-Yates). */
export function shuffled(xs, seed = 7) {
  const random = prng(seed);
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
