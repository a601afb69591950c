// Correctness checks for the benchmark: every tool's output is compared with a reference made
// from the input files themselves, never with another tool's output.
//
// JSON: a streaming canonicalizer (bounded memory, so a 256 MB output is fine) drops whitespace
// outside strings, re-encodes strings that hold escapes or non-ASCII into one canonical form
// (JSON.stringify's), and keeps number text as written. It produces digests rather than text:
//   structure  sha256 of the canonical text with every number replaced by '#'
//   strictNum  sha256 of the numbers' text, in order         (byte-for-byte numbers)
//   valueNum   sha256 of String(Number(text)), in order      (numbers as IEEE doubles)
//   multiset   order-free sum of per-element hashes (elements of the top-level arrays)
// plus counts of top-level values and of their elements. The verdict then tells apart "ok",
// "rounds big ints" (only strictNum differs), "order differs" (same multiset), a split output
// (several top-level arrays, as `find -exec jq -s . {} +` prints) and plain content errors.
//
// Archives: a small tar reader (ustar, GNU long names, pax path) lists entries with the
// sha256 of their contents, gunzipping on the fly; the listing is compared with the input folder.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const SPACE = new Uint8Array(256);
for (const c of [0x20, 0x09, 0x0a, 0x0d]) SPACE[c] = 1;
const NUMCH = new Uint8Array(256);
for (const c of '0123456789+-.eE') NUMCH[c.charCodeAt(0)] = 1;

const FNV_OFFSET = 0x811c9dc5;

/**
 * Streaming canonicalizer. Feed Buffers with write(); call endSource() at the end of each input
 * file (a number or literal ends there), finish() at the very end.
 * With `wrap`, the input is a sequence of top-level values that become the elements of one
 * virtual array (how the reference is built from fragment files).
 * It checks just enough syntax to catch broken output (brackets, commas, literals, numbers).
 */
export class Canonicalizer {
  constructor({ wrap = false } = {}) {
    this.wrap = wrap;
    this.structure = createHash('sha256');
    this.strictNum = createHash('sha256');
    this.valueNum = createHash('sha256');
    this.out = Buffer.alloc(1 << 18);
    this.outLen = 0;
    this.elemFrom = -1; // start of the current element in `out`, -1 when not in one
    this.strictBuf = '';
    this.valueBuf = '';
    this.base = wrap ? 1 : 0; // depth at which top-level values of the output live, +1
    this.depth = this.base;
    this.stack = []; // container kinds below depth: 0x7b or 0x5b
    this.topValues = wrap ? 1 : 0;
    this.topArrays = wrap ? 1 : 0;
    this.topIsArray = wrap;
    this.elements = 0;
    this.multiset = 0n;
    this.numSetStrict = 0; // order-free sums of per-number hashes, strict text and value text
    this.numSetValue = 0;
    this.elemHash = FNV_OFFSET;
    this.afterValue = false; // a value just ended: ',' ']' '}' must follow (inside containers)
    this.expectKey = false; // inside '{' after '{' or ',': a string key must come
    this.needComma = false;
    this.token = null; // 'str' | 'num' | 'lit' while one spans chunks
    this.tokParts = [];
    this.strEscaped = false;
    this.strBackslash = false;
    this.error = null;
    if (wrap) this.put(0x5b);
  }

  put(c) {
    if (this.outLen === this.out.length) this.flushOut();
    this.out[this.outLen++] = c;
  }

  putBuf(b) {
    if (this.outLen + b.length > this.out.length) this.flushOut();
    if (b.length > this.out.length) {
      // only for giant strings: hash straight through
      if (this.elemFrom >= 0) this.elemHash = fnv(this.elemHash, b, 0, b.length);
      this.structure.update(b);
      return;
    }
    this.out.set(b, this.outLen);
    this.outLen += b.length;
  }

  flushOut() {
    if (this.elemFrom >= 0) {
      this.elemHash = fnv(this.elemHash, this.out, this.elemFrom, this.outLen);
      this.elemFrom = 0;
    }
    this.structure.update(this.out.subarray(0, this.outLen));
    this.outLen = 0;
  }

  fail(msg) {
    if (!this.error) this.error = msg;
  }

  numSets(strict, value) {
    const hs = fnvStr(strict);
    this.numSetStrict = (this.numSetStrict + hs) % 4294967296;
    this.numSetValue = (this.numSetValue + (strict === value ? hs : fnvStr(value))) % 4294967296;
  }

  /** Mixes text into the element hash after the bytes already in `out` (order-preserving). */
  mixElem(text) {
    if (this.elemFrom < 0) return;
    let h = fnv(this.elemHash, this.out, this.elemFrom, this.outLen);
    for (let k = 0; k < text.length; k++) h = Math.imul(h ^ text.charCodeAt(k), 16777619);
    this.elemHash = h >>> 0;
    this.elemFrom = this.outLen;
  }

  /** A value starts at the current depth. Returns false on a syntax error. */
  valueStart() {
    if (this.afterValue && this.depth > this.base) {
      this.fail('missing comma between values');
      return false;
    }
    if (this.depth === 0) {
      this.topValues++;
    } else if (this.depth === 1 && this.topIsArray) {
      if (this.wrap && this.needComma) this.put(0x2c);
      this.needComma = true;
      this.elements++;
      if (this.outLen === this.out.length) this.flushOut();
      this.elemFrom = this.outLen;
      this.elemHash = FNV_OFFSET;
    }
    return true;
  }

  /** A value ended at the current depth. */
  valueEnd() {
    this.afterValue = true;
    if (this.depth === 1 && this.elemFrom >= 0) {
      const h = fnv(this.elemHash, this.out, this.elemFrom, this.outLen);
      this.elemFrom = -1;
      this.multiset = (this.multiset + BigInt(h) * 2654435761n + 1n) & 0xffffffffffffffffn;
    }
  }

  write(buf) {
    if (this.error) return;
    let i = 0;
    const n = buf.length;
    while (i < n && !this.error) {
      if (this.token) {
        i = this.continueToken(buf, i);
        continue;
      }
      const c = buf[i];
      if (SPACE[c]) {
        i++;
        continue;
      }
      const inObject = this.depth > this.base && this.stack[this.stack.length - 1] === 0x7b;
      switch (c) {
        case 0x7b: // {
        case 0x5b: // [
          if (this.expectKey) return this.fail('expected a key');
          if (!this.valueStart()) return;
          if (this.depth === 0) {
            this.topIsArray = c === 0x5b;
            if (c === 0x5b) this.topArrays++;
          }
          this.put(c);
          this.stack.push(c);
          this.depth++;
          this.afterValue = false;
          this.expectKey = c === 0x7b;
          this.justOpened = true;
          i++;
          break;
        case 0x7d: // }
        case 0x5d: // ]
          if (this.depth <= this.base || this.stack[this.stack.length - 1] !== (c === 0x7d ? 0x7b : 0x5b)) {
            return this.fail('unbalanced bracket');
          }
          if (!this.afterValue && !this.justOpened) return this.fail('trailing comma');
          this.put(c);
          this.stack.pop();
          this.depth--;
          this.expectKey = false;
          this.justOpened = false;
          this.valueEnd();
          i++;
          break;
        case 0x2c: // ,
          if (this.depth <= this.base || !this.afterValue) return this.fail("stray ','");
          this.put(c);
          this.afterValue = false;
          this.justOpened = false;
          this.expectKey = inObject;
          i++;
          break;
        case 0x3a: // :
          if (!inObject || !this.afterKey) return this.fail("stray ':'");
          this.put(c);
          this.afterKey = false;
          this.afterValue = false;
          i++;
          break;
        case 0x22: {
          // "
          if (this.afterValue && this.depth > this.base) return this.fail('missing comma between values');
          this.isKey = this.expectKey;
          if (!this.isKey && !this.valueStart()) return;
          this.expectKey = false;
          this.justOpened = false;
          // fast path: a plain ASCII string that ends in this chunk is copied as is
          let j = i + 1;
          while (j < n) {
            const d = buf[j];
            if (d === 0x22 || d === 0x5c || d >= 0x80 || d < 0x20) break;
            j++;
          }
          if (j < n && buf[j] === 0x22 && j + 1 - i <= 4096) {
            const len = j + 1 - i;
            if (this.outLen + len > this.out.length) this.flushOut();
            buf.copy(this.out, this.outLen, i, j + 1);
            this.outLen += len;
            if (this.isKey) {
              this.afterKey = true;
              this.isKey = false;
            } else {
              this.valueEnd();
            }
            i = j + 1;
            break;
          }
          this.token = 'str';
          this.tokParts = [];
          this.strEscaped = false;
          this.strBackslash = false;
          this.tokStart = i;
          i = this.continueToken(buf, i + 1, true);
          break;
        }
        default:
          if (this.expectKey) return this.fail('expected a key');
          this.justOpened = false;
          if (NUMCH[c]) {
            if (!this.valueStart()) return;
            // fast path: a short plain integer that ends in this chunk
            let j = i;
            if (c === 0x2d) j++;
            const digits = j;
            while (j < n && buf[j] >= 0x30 && buf[j] <= 0x39) j++;
            if (j < n && !NUMCH[buf[j]] && j > digits && j - digits <= 15 && (buf[digits] !== 0x30 || j - digits === 1)) {
              const text = buf.latin1Slice(i, j);
              this.number(text, text);
              this.valueEnd();
              i = j;
              break;
            }
            this.token = 'num';
            this.tokParts = [];
            i = this.continueToken(buf, i);
          } else if (c === 0x74 || c === 0x66 || c === 0x6e) {
            if (!this.valueStart()) return;
            const len = c === 0x66 ? 5 : 4;
            if (i + len < n && !(buf[i + len] >= 0x61 && buf[i + len] <= 0x7a)) {
              const text = buf.latin1Slice(i, i + len);
              if (text !== 'true' && text !== 'false' && text !== 'null') return this.fail(`bad literal ${text}`);
              if (this.outLen + len > this.out.length) this.flushOut();
              buf.copy(this.out, this.outLen, i, i + len);
              this.outLen += len;
              this.valueEnd();
              i += len;
              break;
            }
            this.token = 'lit';
            this.tokParts = [];
            i = this.continueToken(buf, i);
          } else {
            return this.fail(`unexpected byte 0x${c.toString(16)}`);
          }
      }
    }
  }

  /** Continues the pending token from buf[i]; returns the next index. */
  continueToken(buf, i, fresh = false) {
    const n = buf.length;
    if (this.token === 'str') {
      const start = fresh ? this.tokStart : i;
      let j = i;
      let bs = this.strBackslash;
      let esc = this.strEscaped;
      for (; j < n; j++) {
        const c = buf[j];
        if (bs) {
          bs = false;
        } else if (c === 0x22) {
          break;
        } else if (c === 0x5c) {
          bs = esc = true;
        } else if (c >= 0x80 || c < 0x20) {
          esc = true;
        }
      }
      this.strBackslash = bs;
      this.strEscaped = esc;
      if (j < n) {
        this.tokParts.push(buf.subarray(start, j + 1));
        this.endString();
        return j + 1;
      }
      this.tokParts.push(Buffer.from(buf.subarray(start, n)));
      return n;
    }
    let j = i;
    if (this.token === 'num') {
      while (j < n && NUMCH[buf[j]]) j++;
    } else {
      while (j < n && buf[j] >= 0x61 && buf[j] <= 0x7a) j++;
    }
    this.tokParts.push(j === n ? Buffer.from(buf.subarray(i, j)) : buf.subarray(i, j));
    if (j < n) this.endScalar();
    return j;
  }

  endString() {
    const raw = this.tokParts.length === 1 ? this.tokParts[0] : Buffer.concat(this.tokParts);
    this.token = null;
    this.tokParts = [];
    if (!this.strEscaped) {
      this.putBuf(raw);
    } else {
      let s;
      try {
        s = JSON.parse(raw.toString('utf8'));
      } catch {
        return this.fail('bad string literal');
      }
      this.putBuf(Buffer.from(JSON.stringify(s), 'utf8'));
    }
    if (this.isKey) {
      this.afterKey = true;
      this.isKey = false;
    } else {
      this.valueEnd();
    }
  }

  endScalar() {
    const text = (this.tokParts.length === 1 ? this.tokParts[0] : Buffer.concat(this.tokParts)).toString('latin1');
    const kind = this.token;
    this.token = null;
    this.tokParts = [];
    if (kind === 'lit') {
      if (text !== 'true' && text !== 'false' && text !== 'null') return this.fail(`bad literal ${text.slice(0, 20)}`);
      this.putBuf(Buffer.from(text, 'latin1'));
    } else {
      if (!NUMBER_RE.test(text)) return this.fail(`bad number ${text.slice(0, 30)}`);
      this.number(text, String(Number(text)));
    }
    this.valueEnd();
  }

  /** Record a number: its exact text and its value as a double (`value`). */
  number(text, value) {
    this.put(0x23); // '#'
    this.mixElem(value);
    this.numSets(text, value);
    this.strictBuf += text + ',';
    this.valueBuf += value + ',';
    if (this.strictBuf.length > 1 << 16) {
      this.strictNum.update(this.strictBuf);
      this.strictBuf = '';
      this.valueNum.update(this.valueBuf);
      this.valueBuf = '';
    }
  }

  /** The end of one input file: a number or literal ends here; a string or container may not. */
  endSource() {
    if (this.token === 'num' || this.token === 'lit') this.endScalar();
    if (this.wrap && (this.token || this.depth !== 1)) this.fail('a fragment ends inside a value');
    if (this.wrap) this.afterValue = false;
  }

  finish() {
    if (this.token === 'num' || this.token === 'lit') this.endScalar();
    if (this.token === 'str') this.fail('output ends inside a string');
    if (this.wrap && this.depth === 1) {
      this.put(0x5d);
      this.depth = 0;
    }
    if (this.depth !== 0 && !this.error) this.fail('output ends inside a value (truncated?)');
    this.flushOut();
    this.strictNum.update(this.strictBuf);
    this.valueNum.update(this.valueBuf);
    return {
      error: this.error,
      topValues: this.topValues,
      topArrays: this.topArrays,
      elements: this.elements,
      structure: this.structure.digest('hex'),
      strictNum: this.strictNum.digest('hex'),
      valueNum: this.valueNum.digest('hex'),
      multiset: this.multiset.toString(16),
      numSetStrict: this.numSetStrict,
      numSetValue: this.numSetValue,
    };
  }
}

const NUMBER_RE = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

function fnvStr(t) {
  let h = FNV_OFFSET;
  for (let k = 0; k < t.length; k++) h = Math.imul(h ^ t.charCodeAt(k), 16777619);
  return h >>> 0;
}

function fnv(h, buf, from, to) {
  for (let k = from; k < to; k++) h = Math.imul(h ^ buf[k], 16777619);
  return h >>> 0;
}

async function feedFile(canon, file) {
  const fd = await fs.promises.open(file, 'r');
  try {
    const buf = Buffer.alloc(1 << 20);
    for (;;) {
      const { bytesRead } = await fd.read(buf, 0, buf.length, null);
      if (!bytesRead) break;
      canon.write(buf.subarray(0, bytesRead));
      if (canon.error) break;
    }
  } finally {
    await fd.close();
  }
}

/** Digest of the expected output: the values of `files`, in that order, as one array. */
export async function referenceDigest(files) {
  const canon = new Canonicalizer({ wrap: true });
  for (const f of files) {
    await feedFile(canon, f);
    canon.endSource();
  }
  return canon.finish();
}

/** Digest of a tool's output file (or of a Buffer/string, for tests). */
export async function outputDigest(fileOrBuffer) {
  const canon = new Canonicalizer();
  if (typeof fileOrBuffer === 'string' && fs.existsSync(fileOrBuffer)) await feedFile(canon, fileOrBuffer);
  else canon.write(Buffer.isBuffer(fileOrBuffer) ? fileOrBuffer : Buffer.from(String(fileOrBuffer)));
  return canon.finish();
}

/** Digest of JSON text given directly (tests). */
export function digestText(text, { wrap = false, sources } = {}) {
  const canon = new Canonicalizer({ wrap });
  for (const part of sources ?? [text]) {
    canon.write(Buffer.from(part));
    if (wrap) canon.endSource();
  }
  return canon.finish();
}

/**
 * Verdict of an output digest against the reference digest: {ok, status}.
 * status is 'ok' or 'WRONG: reason'.
 */
export function jsonVerdict(ref, got) {
  if (got.error) return { ok: false, status: `WRONG: invalid JSON (${got.error})` };
  if (got.topValues === 0) return { ok: false, status: 'WRONG: empty output' };
  const sameSet = got.multiset === ref.multiset && got.elements === ref.elements;
  const rounds = got.numSetStrict !== ref.numSetStrict && got.numSetValue === ref.numSetValue ? '; rounds big ints' : '';
  if (got.topValues !== 1) {
    return {
      ok: false,
      status:
        `WRONG: ${got.topValues} top-level values, not one array` +
        (got.topArrays === got.topValues ? ` (split into ${got.topArrays} arrays${sameSet ? ', same elements' : ''})` : '') +
        rounds,
    };
  }
  if (got.topArrays !== 1) return { ok: false, status: 'WRONG: output is not an array' };
  if (got.elements !== ref.elements) return { ok: false, status: `WRONG: ${got.elements} elements, expected ${ref.elements}${rounds}` };
  if (got.structure === ref.structure && got.strictNum === ref.strictNum) return { ok: true, status: 'ok' };
  if (got.structure === ref.structure && got.valueNum === ref.valueNum) return { ok: false, status: 'WRONG: rounds big ints (number text changed)' };
  if (sameSet) return { ok: false, status: `WRONG: element order differs${rounds}` };
  return { ok: false, status: `WRONG: content differs${rounds}` };
}

// ---------------------------------------------------------------------------------------------
// tar

/** Lists a tar(.gz) file: [{name, type, size, sha256}] in archive order. */
export async function listTar(file) {
  let stream = fs.createReadStream(file, { highWaterMark: 1 << 20 });
  const head = Buffer.alloc(2);
  const fd = fs.openSync(file, 'r');
  fs.readSync(fd, head, 0, 2, 0);
  fs.closeSync(fd);
  if (head[0] === 0x1f && head[1] === 0x8b) stream = stream.pipe(zlib.createGunzip());
  const entries = [];
  let pending = Buffer.alloc(0);
  let cur = null; // {name,type,size,left,pad,hash,data?}
  let longName = null;
  let paxPath = null;
  const parseOctal = (b) => {
    if (b[0] & 0x80) {
      let v = 0;
      for (let i = 1; i < b.length; i++) v = v * 256 + b[i];
      return v;
    }
    const s = b.toString('latin1').replace(/\0.*$/s, '').trim();
    return s ? parseInt(s, 8) : 0;
  };
  const cstr = (b) => {
    const z = b.indexOf(0);
    return b.subarray(0, z < 0 ? b.length : z).toString('utf8');
  };
  for await (const chunk of stream) {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    let off = 0;
    while (true) {
      if (cur) {
        const take = Math.min(cur.left, pending.length - off);
        if (take > 0) {
          const part = pending.subarray(off, off + take);
          if (cur.collect) cur.collect.push(Buffer.from(part));
          else cur.hash.update(part);
          cur.left -= take;
          off += take;
        }
        if (cur.left > 0) break;
        if (pending.length - off < cur.pad) break;
        off += cur.pad;
        const e = cur;
        cur = null;
        if (e.type === 'L') longName = cstr(Buffer.concat(e.collect));
        else if (e.type === 'x') {
          const text = Buffer.concat(e.collect).toString('utf8');
          const m = /\d+ path=([^\n]*)\n/.exec(text);
          if (m) paxPath = m[1];
        } else if (e.type !== 'g') {
          entries.push({ name: e.name, type: e.type, size: e.size, sha256: e.hash.digest('hex'), mode: e.mode, mtime: e.mtime });
        }
        continue;
      }
      if (pending.length - off < 512) break;
      const h = pending.subarray(off, off + 512);
      off += 512;
      if (h.every((b) => b === 0)) {
        continue;
      }
      let name = cstr(h.subarray(0, 100));
      const magic = h.subarray(257, 263).toString('latin1');
      if (magic.startsWith('ustar')) {
        const prefix = cstr(h.subarray(345, 500));
        if (prefix && magic === 'ustar\0') name = `${prefix}/${name}`;
      }
      const size = parseOctal(h.subarray(124, 136));
      const type = String.fromCharCode(h[156] || 0x30);
      if (longName !== null && type !== 'L' && type !== 'x') {
        name = longName;
        longName = null;
      }
      if (paxPath !== null && type !== 'L' && type !== 'x') {
        name = paxPath;
        paxPath = null;
      }
      const collect = type === 'L' || type === 'x' || type === 'g' ? [] : null;
      cur = {
        name,
        type,
        size,
        left: size,
        pad: (512 - (size % 512)) % 512,
        hash: createHash('sha256'),
        collect,
        mode: parseOctal(h.subarray(100, 108)),
        mtime: parseOctal(h.subarray(136, 148)),
      };
    }
    pending = pending.subarray(off);
  }
  if (cur) throw new Error(`truncated archive (inside ${cur.name})`);
  return entries;
}

const sourceCache = new Map();
/** [{name, size, sha256}] of the files of a folder (names relative to it). */
export function listSource(dir, files) {
  if (sourceCache.has(dir)) return sourceCache.get(dir);
  const list = files.map((f) => {
    const data = fs.readFileSync(f);
    return { name: path.relative(dir, f), size: data.length, sha256: createHash('sha256').update(data).digest('hex') };
  });
  sourceCache.set(dir, list);
  return list;
}

/** Entry name relative to the archived folder: strips './' and a leading folder named after it. */
function normalName(name, dirBase, strip) {
  let n = name.replace(/^\.\//, '');
  if (strip && n.startsWith(dirBase + '/')) n = n.slice(dirBase.length + 1);
  return n;
}

/** Verdict of an archive against its source folder: {ok, status, note}. */
export async function tarVerdict(archive, dir, files) {
  let entries;
  try {
    entries = await listTar(archive);
  } catch (e) {
    return { ok: false, status: `WRONG: unreadable archive (${e.message})` };
  }
  const src = listSource(dir, files);
  const regular = entries.filter((e) => e.type === '0' || e.type === '\0' || e.type === '7');
  const base = path.basename(dir);
  const strip = regular.length > 0 && regular.every((e) => e.name.replace(/^\.\//, '').startsWith(base + '/'));
  const got = new Map(regular.map((e) => [normalName(e.name, base, strip), e]));
  if (got.size !== regular.length) return { ok: false, status: 'WRONG: duplicate entries' };
  const missing = src.filter((s) => !got.has(s.name));
  if (missing.length) return { ok: false, status: `WRONG: ${missing.length} files missing (e.g. ${missing[0].name})` };
  if (regular.length !== src.length) return { ok: false, status: `WRONG: ${regular.length - src.length} extra entries` };
  const bad = src.filter((s) => got.get(s.name).sha256 !== s.sha256);
  if (bad.length) return { ok: false, status: `WRONG: ${bad.length} files differ (e.g. ${bad[0].name})` };
  const names = regular.map((e) => normalName(e.name, base, strip));
  const sorted = names.every(
    (n, i) => i === 0 || Buffer.compare(Buffer.from(names[i - 1]), Buffer.from(n)) < 0 || names[i - 1].localeCompare(n, 'en', { numeric: true }) < 0,
  );
  return { ok: true, status: 'ok', note: sorted ? '' : 'entries unsorted' };
}
