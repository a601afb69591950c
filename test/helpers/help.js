// Reading `aggregate --help` and docs/cli.md as data, so tests can hold them to each other and
// to the flags the examples use. Flags are compared as whole names: `--expect` never matches
// `--expect-names`.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, ROOT } from './cli.js';

/** A whole flag: `-m` or `--expect-names`, not part of a longer one. */
const FLAG = /(?<![\w-])(--?[a-zA-Z][\w-]*)(?![\w-])/g;

/** `aggregate --help` of the built bin. */
export function helpText() {
  return execFileSync(process.execPath, [BIN, '--help'], { encoding: 'utf8' });
}

/** The lines of one `Title:` section of the help (up to the next blank line). */
function section(help, title) {
  const at = help.indexOf(`\n${title}:\n`);
  if (at < 0) throw new Error(`--help has no "${title}:" section`);
  const rest = help.slice(at + title.length + 3);
  const end = rest.indexOf('\n\n');
  return (end < 0 ? rest : rest.slice(0, end)).split('\n');
}

/**
 * The options `--help` lists: Map of long flag -> { alias, default }. `default` is the text of
 * yargs' `[default: ...]` (quotes dropped, lines joined), or undefined when it shows none.
 */
export function helpOptions(help) {
  const entries = [];
  for (const line of section(help, 'Options')) {
    const head = /^ {2}(?:(-[a-zA-Z]), )? *(--[a-z][\w-]*)(?![\w-])/.exec(line);
    if (head) entries.push({ name: head[2], alias: head[1], text: line.slice(head[0].length) });
    else if (entries.length) entries.at(-1).text += ` ${line.trim()}`;
  }
  const options = new Map();
  for (const { name, alias, text } of entries) {
    const def = /\[default: ([^\]]*)\]/.exec(text.replace(/\s+/g, ' '));
    options.set(name, { alias, default: def ? def[1].trim().replace(/^"(.*)"$/, '$1') : undefined });
  }
  return options;
}

/** The exit codes `--help` lists, as numbers. */
export function helpExitCodes(help) {
  const codes = new Set();
  for (const line of section(help, 'Exit codes')) {
    for (const [, code] of line.matchAll(/(?:^ {2}|, )(\d+)(?= )/g)) codes.add(Number(code));
  }
  return codes;
}

/** The cells of a markdown table row, `\|` kept inside a cell. */
function cells(row) {
  return row
    .trim()
    .replace(/^\||\|$/g, '')
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());
}

export const CLI_DOC = 'docs/cli.md';

/**
 * The flags docs/cli.md documents, as rows of its `| flag | default | meaning |` table: Map of
 * each flag named in a row's first cell (long flags and aliases) -> { row, default } with the
 * default cell's text (backticks dropped).
 */
export function docFlags(markdown = readFileSync(join(ROOT, CLI_DOC), 'utf8')) {
  const flags = new Map();
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const header = cells(lines[i]);
    if (!lines[i].startsWith('|') || header[0] !== 'flag' || header[1] !== 'default') continue;
    for (i += 2; i < lines.length && lines[i].startsWith('|'); i++) {
      const [first, def] = cells(lines[i]);
      for (const [, flag] of first.replace(/`/g, ' ').matchAll(FLAG)) {
        flags.set(flag, { row: first, default: def.replace(/`/g, '').trim() });
      }
    }
  }
  return flags;
}

/** The exit codes of docs/cli.md's `| code | meaning |` table, as numbers. */
export function docExitCodes(markdown = readFileSync(join(ROOT, CLI_DOC), 'utf8')) {
  const codes = new Set();
  const at = markdown.indexOf('\n## Exit codes\n');
  if (at < 0) return codes;
  for (const line of markdown.slice(at).split('\n').slice(2)) {
    if (line.startsWith('## ')) break;
    if (!line.startsWith('|')) continue;
    for (const [code] of cells(line)[0].matchAll(/\d+/g)) codes.add(Number(code));
  }
  return codes;
}

/** Whether two defaults say the same: docs write a boolean's `false` as `off`. */
export function sameDefault(help, doc) {
  const norm = (s) => s.replace(/\s+/g, ' ').trim();
  return norm(help) === norm(doc) || (help === 'false' && doc === 'off') || (help === 'true' && doc === 'on');
}
