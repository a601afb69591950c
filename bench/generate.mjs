#!/usr/bin/env node
// Deterministic fixture generator for the benchmark suite.
//
//   node bench/generate.mjs [--quick|--smoke] [PROFILE...]
//
// Every profile is made from a seeded PRNG, so the same parameters always give the same bytes.
// Data goes to bench/.data/<profile>[-quick|-smoke]/, with a stamp file beside the folder
// (bench/.data/<dir>.stamp, outside it so no tool under test sees it) holding the parameters and
// the generator's own hash: a folder is regenerated only when it is missing or the stamp differs.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const DATA_DIR = path.join(here, '.data');
const GENERATOR_HASH = createHash('sha256')
  .update(fs.readFileSync(fileURLToPath(import.meta.url)))
  .digest('hex')
  .slice(0, 16);

const MB = 1e6;
const MiB = 1 << 20;

/** `4020` -> `4k`, `12345` -> `12k`, `1900000` -> `1.9M`: counts in titles. */
const count = (n) => (n >= 1e6 ? `${+(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${+(n / 1e3).toFixed(n >= 1e4 ? 0 : 1)}k` : String(n));
const mb = (bytes) => `${+(bytes / MB).toFixed(1)} MB`;
/** Sizes of the one-fragment profiles. */
const ONE_FRAGMENT = { full: { bytes: 256 * MB }, quick: { bytes: 32 * MB }, smoke: { bytes: 2 * MB } };

/**
 * Profiles. `kind` is json or bin; `sizes` gives the parameters per mode (full, quick, smoke);
 * `title(size)` describes the data of one mode (the headings of a quick run name its own sizes).
 * @type {Record<string, {kind: 'json'|'bin', title: (size: object) => string, sizes: Record<'full'|'quick'|'smoke', object>}>}
 */
export const PROFILES = {
  small: {
    kind: 'json',
    title: (s) => `${count(s.files)} JSON fragments of ~140 B (objects, nested arrays, 2% with an integer beyond 2^53)`,
    sizes: { full: { files: 10_000 }, quick: { files: 10_000 }, smoke: { files: 200 } },
  },
  medium: {
    kind: 'json',
    title: (s) => `${count(s.files)} JSON fragments of ${mb(s.bytes)} (an object holding ~${count(Math.round((s.bytes / MB) * 6.7e3))} records each)`,
    sizes: { full: { files: 60, bytes: 0.6 * MB }, quick: { files: 20, bytes: 0.6 * MB }, smoke: { files: 4, bytes: 50_000 } },
  },
  large: {
    kind: 'json',
    title: (s) => `one JSON fragment of ${mb(s.bytes)} (an array of ~${count(Math.round((s.bytes / MB) * 7.4e3))} records)`,
    sizes: ONE_FRAGMENT,
  },
  dense: {
    kind: 'json',
    title: (s) =>
      `one JSON fragment of ${mb(s.bytes)} of dense records (8 one-letter keys, 17-digit floats, ~${count(Math.round((s.bytes / MB) * 4.7e3))} records)`,
    sizes: ONE_FRAGMENT,
  },
  many: {
    kind: 'json',
    title: (s) => `${count(s.files)} tiny JSON fragments (~16 B; every 1000th pair is two bare numbers, the first without a trailing newline)`,
    sizes: { full: { files: 100_000 }, quick: { files: 10_000 }, smoke: { files: 500 } },
  },
  python: {
    kind: 'json',
    title: (s) => `one JSON fragment of ${mb(s.bytes)} as Python's json.dump writes it by default (', ' and ': ' separators, one line)`,
    sizes: ONE_FRAGMENT,
  },
  indent: {
    kind: 'json',
    title: (s) => `one JSON fragment of ${mb(s.bytes)} as json.dump(indent=2) writes it (LF line ends)`,
    sizes: ONE_FRAGMENT,
  },
  'indent-crlf': {
    kind: 'json',
    title: (s) => `one JSON fragment of ${mb(s.bytes)} as json.dump(indent=2) writes it on Windows (CRLF line ends)`,
    sizes: ONE_FRAGMENT,
  },
  'medium-python': {
    kind: 'json',
    title: (s) => `${count(s.files)} JSON fragments of ${mb(s.bytes)} written with Python's default separators (the medium profile's shape)`,
    sizes: { full: { files: 60, bytes: 0.6 * MB }, quick: { files: 20, bytes: 0.6 * MB }, smoke: { files: 4, bytes: 50_000 } },
  },
  netvol: {
    kind: 'json',
    title: (s) => `the small profile's fragments (first ${count(s.files)}) read through a ${s.delayUs / 1000} ms per-open latency shim (network volume)`,
    sizes: { full: { files: 2_000, delayUs: 1000 }, quick: { files: 500, delayUs: 1000 }, smoke: { files: 50, delayUs: 1000 } },
  },
  'netvol-fuse': {
    kind: 'json',
    title: (s) =>
      `${count(s.files)} small JSON fragments in ${s.dirs} directories on an object store mounted through FUSE: ${s.delayUs / 1000} ms per open and per page of a directory listing (netvol-shim.so)`,
    sizes: {
      full: { files: 10_000, dirs: 100, delayUs: 20_000 },
      quick: { files: 2_000, dirs: 20, delayUs: 20_000 },
      smoke: { files: 100, dirs: 5, delayUs: 2_000 },
    },
  },
  'bin-large': {
    kind: 'bin',
    title: (s) => `${count(s.files)} binaries of ${mb(s.bytes)} (seeded 1 MiB block of 6-bit symbols, stamped per MiB; gzip gets ~25%)`,
    sizes: { full: { files: 3, bytes: 120 * MB }, quick: { files: 3, bytes: 16 * MB }, smoke: { files: 3, bytes: 1 * MB } },
  },
  'bin-small': {
    kind: 'bin',
    title: (s) => `${count(s.files)} binaries of ${s.bytes} B (random bytes)`,
    sizes: { full: { files: 10_000, bytes: 200 }, quick: { files: 5_000, bytes: 200 }, smoke: { files: 200, bytes: 200 } },
  },
};

/** mulberry32: small, fast, seeded 32-bit PRNG. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'node', 'pod', 'shard', 'step', 'fan', 'collect', 'retry', 'ok', 'argo', 'volume', 'item'];
const BIG_INTS = ['12345678901234567890', '-98765432109876543210', '18446744073709551615', '9007199254740993'];

/** One record of ~100-180 bytes of compact JSON text. Numbers are safe (ints < 2^53, two-decimal floats) unless `big`. */
function record(r, i, big) {
  const w = () => WORDS[Math.floor(r() * WORDS.length)];
  const n = () => Math.floor(r() * 1_000_000);
  const f = () => String(Math.round(r() * 100_000) / 100 + 0.01).replace(/(\.\d\d)\d+$/, '$1');
  let s = `{"id":${i},"name":"${w()}-${n()}","ok":${r() < 0.5},"score":${f()},"tags":["${w()}","${w()}"]`;
  s += `,"nested":[[${n()},${n()}],[${r() < 0.1 ? 'null' : n()}]]`;
  if (big) s += `,"big":${BIG_INTS[i % BIG_INTS.length]}`;
  const k = r();
  if (k < 0.02) s += ',"note":"quote \\" and backslash \\\\ and tab \\t"';
  else if (k < 0.04) s += ',"note":"caf\\u00e9 caf\u00e9 \u2713"';
  else s += `,"note":"${w()} ${w()}"`;
  return s + '}';
}

/** A 17-significant-digit float as JavaScript prints it (the form dense records carry). */
function float17(r) {
  const m = (r() * 9 + 1).toFixed(16); // d.dddddddddddddddd
  const e = Math.floor(r() * 24) - 12;
  const sign = r() < 0.3 ? '-' : '';
  if (e >= -6 && e <= 0) return sign + (e === 0 ? m : '0.' + m.replace('.', '')); // plain, about half
  return `${sign}${m}e${e > 0 ? '+' : ''}${e}`.replace('e+', r() < 0.5 ? 'e+' : 'e');
}

/** One dense record: short keys, 17-digit floats, no whitespace (~220 bytes). */
function denseRecord(r) {
  let s = '{';
  for (let k = 0; k < 8; k++) s += `${k ? ',' : ''}"${'abcdefgh'[k]}":${float17(r)}`;
  return s + '}';
}

/** An array of `next(j)` records: `open`, records joined by `sep`, `close`, in chunks of ~1 MiB, up to `bytes`. */
function* arrayChunks(bytes, open, sep, close, next) {
  let chunk = open;
  let size = open.length;
  for (let j = 0; size < bytes; j++) {
    const rec = (j ? sep : '') + next(j);
    chunk += rec;
    size += rec.length;
    if (chunk.length > MiB) {
      yield chunk;
      chunk = '';
    }
  }
  yield chunk + close;
}

/** The text of one large fragment: `[` records separated by `,\n` `]`, in chunks of ~1 MiB. */
export function largeChunks(bytes, seed, dense = false) {
  const r = prng(seed);
  return arrayChunks(bytes, '[\n', ',\n', '\n]\n', (j) => (dense ? denseRecord(r) : record(r, j, j % 10_007 === 3)));
}

/**
 * Compact JSON text laid out as Python's json.dumps lays it out: `indent` 0 gives its defaults
 * (`", "` between items, `": "` after keys, one line); `indent` 2 gives `indent=2` (items on their
 * own lines, `",\n"` + spaces, empty containers kept as `[]`/`{}`), `eol` between lines. Strings
 * and numbers are copied as they are, so only whitespace differs from the compact text.
 * `level` is the nesting the text starts at.
 */
export function pythonLayout(text, indent = 0, eol = '\n', level = 0) {
  let out = '';
  const pad = (l) => eol + ' '.repeat(indent * l);
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j;
    } else if (c === '{' || c === '[') {
      if (text[i + 1] === (c === '{' ? '}' : ']')) {
        out += c + text[++i];
      } else {
        level++;
        out += indent ? c + pad(level) : c;
      }
    } else if (c === '}' || c === ']') {
      level--;
      out += indent ? pad(level) + c : c;
    } else if (c === ',') out += indent ? ',' + pad(level) : ', ';
    else if (c === ':') out += ': ';
    else out += c;
  }
  return out;
}

/** A 256 MB fragment as Python writes a list of the bench's records (`pythonLayout`), ~1 MiB a chunk. */
export function pythonChunks(bytes, seed, indent = 0, eol = '\n') {
  const r = prng(seed);
  const pad = indent ? eol + ' '.repeat(indent) : '';
  return arrayChunks(bytes, '[' + pad, indent ? ',' + pad : ', ', indent ? eol + ']' : ']', (j) =>
    pythonLayout(record(r, j, j % 10_007 === 3), indent, eol, 1),
  );
}

/** Seed of a profile: its name hashed (FNV-1a). */
export function seedOf(name) {
  return [...name].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0, 2166136261);
}

function natural(a, b) {
  return a.localeCompare(b, 'en', { numeric: true });
}

function writeSmall(dir, files, seed, dirs = 0) {
  const r = prng(seed);
  for (let d = 1; d <= dirs; d++) fs.mkdirSync(path.join(dir, `d${d}`));
  for (let i = 1; i <= files; i++) {
    const big = i % 50 === 7; // 2% of fragments carry an integer beyond 2^53
    // With `dirs`, fragment i goes to directory d((i - 1) % dirs + 1): each holds files / dirs.
    const sub = dirs ? `d${((i - 1) % dirs) + 1}` : '';
    fs.writeFileSync(path.join(dir, sub, `part-${i}.json`), record(r, i, big) + '\n');
  }
}

function writeMedium(dir, files, bytes, seed, python = false) {
  const r = prng(seed);
  for (let i = 1; i <= files; i++) {
    const rows = [];
    let size = 0;
    let j = 0;
    while (size < bytes - 200) {
      const rec = record(r, i * 100_000 + j, j % 997 === 5);
      rows.push(rec);
      size += rec.length + 1;
      j++;
    }
    // Python's json.dump writes the whole object on one line, with no newline at the end.
    const text = python ? pythonLayout(`{"part":${i},"rows":[${rows.join(',')}]}`) : `{"part":${i},"rows":[\n${rows.join(',\n')}\n]}\n`;
    fs.writeFileSync(path.join(dir, `part-${i}.json`), text);
  }
}

function writeLarge(dir, bytes, seed, dense) {
  writeChunks(path.join(dir, 'part-1.json'), largeChunks(bytes, seed, dense));
}

function writeChunks(file, chunks) {
  const fd = fs.openSync(file, 'w');
  try {
    for (const chunk of chunks) fs.writeSync(fd, chunk);
  } finally {
    fs.closeSync(fd);
  }
}

function writeMany(dir, files, seed) {
  const r = prng(seed);
  for (let i = 1; i <= files; i++) {
    let text;
    if (i % 1000 === 1)
      text = String(Math.floor(r() * 1000) + 1); // bare number, no trailing newline
    else if (i % 1000 === 2) text = String(Math.floor(r() * 1000) + 1) + '\n';
    else if (i % 3 === 0) text = `{"i":${i},"v":${Math.floor(r() * 1000)}}\n`;
    else if (i % 3 === 1) text = `"${WORDS[i % WORDS.length]}-${i}"\n`;
    else text = `[${i},${r() < 0.5}]\n`;
    fs.writeFileSync(path.join(dir, `m-${i}.json`), text);
  }
}

function writeBinLarge(dir, files, bytes, seed) {
  const r = prng(seed);
  const block = Buffer.alloc(MiB);
  for (let i = 0; i < MiB; i++) block[i] = 48 + Math.floor(r() * 64);
  for (let f = 1; f <= files; f++) {
    const fd = fs.openSync(path.join(dir, `blob-${f}.bin`), 'w');
    try {
      let left = bytes;
      let counter = 0;
      while (left > 0) {
        // stamp the file and MiB number every 4 KiB so no two MiB are alike
        for (let off = 0; off < MiB; off += 4096) block.writeUInt32LE((f << 20) ^ (counter * 256 + off / 4096), off);
        const n = Math.min(left, MiB);
        fs.writeSync(fd, block, 0, n);
        left -= n;
        counter++;
      }
    } finally {
      fs.closeSync(fd);
    }
  }
}

function writeBinSmall(dir, files, bytes, seed) {
  const r = prng(seed);
  const buf = Buffer.alloc(bytes);
  for (let f = 1; f <= files; f++) {
    for (let i = 0; i < bytes; i++) buf[i] = Math.floor(r() * 256);
    fs.writeFileSync(path.join(dir, `blob-${f}.bin`), buf);
  }
}

/** Folder name for a profile in a mode. */
export function dataDirFor(name, mode) {
  return path.join(DATA_DIR, mode === 'full' ? name : `${name}-${mode}`);
}

/** Files of a folder and its subfolders in natural order of their relative paths (part-2 before part-10), as absolute paths. */
export function listFiles(dir) {
  const rel = [];
  const walk = (sub) => {
    for (const e of fs.readdirSync(path.join(dir, sub), { withFileTypes: true })) {
      const name = sub ? `${sub}/${e.name}` : e.name;
      if (e.isDirectory()) walk(name);
      else rel.push(name);
    }
  };
  walk('');
  return rel.sort(natural).map((f) => path.join(dir, f));
}

/**
 * Makes sure a profile's data exists for a mode; returns {dir, files, bytes, params, generated}.
 * @param {string} name
 * @param {'full'|'quick'|'smoke'} mode
 */
export function ensureData(name, mode = 'full') {
  const profile = PROFILES[name];
  if (!profile) throw new Error(`unknown profile ${name}`);
  const params = { name, mode, ...profile.sizes[mode], generator: GENERATOR_HASH };
  const dir = dataDirFor(name, mode);
  const stampFile = `${dir}.stamp`;
  const stamp = JSON.stringify(params);
  let generated = false;
  if (!(fs.existsSync(dir) && fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === stamp)) {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(stampFile, { force: true });
    fs.mkdirSync(dir, { recursive: true });
    const seed = seedOf(name);
    const p = profile.sizes[mode];
    switch (name) {
      case 'small':
        writeSmall(dir, p.files, seed);
        break;
      case 'netvol':
        writeSmall(dir, p.files, seed);
        break;
      case 'netvol-fuse':
        writeSmall(dir, p.files, seed, p.dirs);
        break;
      case 'medium':
        writeMedium(dir, p.files, p.bytes, seed);
        break;
      case 'large':
        writeLarge(dir, p.bytes, seed, false);
        break;
      case 'dense':
        writeLarge(dir, p.bytes, seed, true);
        break;
      case 'python':
        writeChunks(path.join(dir, 'part-1.json'), pythonChunks(p.bytes, seed));
        break;
      case 'indent':
        writeChunks(path.join(dir, 'part-1.json'), pythonChunks(p.bytes, seed, 2));
        break;
      case 'indent-crlf':
        writeChunks(path.join(dir, 'part-1.json'), pythonChunks(p.bytes, seed, 2, '\r\n'));
        break;
      case 'medium-python':
        writeMedium(dir, p.files, p.bytes, seed, true);
        break;
      case 'many':
        writeMany(dir, p.files, seed);
        break;
      case 'bin-large':
        writeBinLarge(dir, p.files, p.bytes, seed);
        break;
      case 'bin-small':
        writeBinSmall(dir, p.files, p.bytes, seed);
        break;
      default:
        throw new Error(`no generator for ${name}`);
    }
    fs.writeFileSync(stampFile, stamp);
    generated = true;
  }
  const files = listFiles(dir);
  let bytes = 0;
  for (const f of files) bytes += fs.statSync(f).size;
  return { dir, files, bytes, params, generated };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const args = process.argv.slice(2);
  const mode = args.includes('--smoke') ? 'smoke' : args.includes('--quick') ? 'quick' : 'full';
  const names = args.filter((a) => !a.startsWith('--'));
  for (const name of names.length ? names : Object.keys(PROFILES)) {
    const t = performance.now();
    const d = ensureData(name, mode);
    console.log(
      `${name} (${mode}): ${d.files.length} files, ${(d.bytes / MB).toFixed(1)} MB in ${d.dir}` +
        (d.generated ? ` (generated in ${((performance.now() - t) / 1000).toFixed(1)} s)` : ' (up to date)'),
    );
  }
}
