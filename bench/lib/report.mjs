// Report rendering: markdown tables, the PASS/FAIL target lines, the difference against a saved
// run, and a hand-written SVG bar chart of the ratios (no dependency).
const MiB = 1 << 20;

const fin = (x) => Number.isFinite(x);
const sec = (x) => (fin(x) ? (x < 10 ? x.toFixed(3) : x.toFixed(1)) + ' s' : '—');
const mib = (x) => (fin(x) ? (x / MiB).toFixed(0) + ' MiB' : '—');
const mbps = (x) => (fin(x) ? (x >= 100 ? x.toFixed(0) : x.toFixed(1)) : '—');
const ratio = (x) => (fin(x) ? (x >= 10 ? x.toFixed(0) : x.toFixed(2)) + 'x' : '—');
const esc = (s) => String(s).replace(/\|/g, '\\|');

function sizeText(bytes) {
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${(bytes / 1e3).toFixed(1)} kB`;
}

export function renderMarkdown(report, saved) {
  const m = report.meta;
  const lines = [];
  lines.push(`# aggregate benchmark (${m.mode}, ${m.runs} run${m.runs > 1 ? 's' : ''} per tool)`);
  lines.push('');
  lines.push(`- machine: ${m.cpu}, ${m.cores} cores, ${m.memory}, Linux ${m.kernel}`);
  lines.push(`- node ${m.node}; aggregate ${m.aggregate} (${m.bin}) under node ${m.aggregateNode ?? m.node}; ${m.jq}; ${m.tar}`);
  lines.push(`- date: ${m.date}; measured with ${m.timer}; ${m.seconds ?? '?'} s in all`);
  lines.push('- wall and CPU (user+sys) are medians of successful runs, peak RSS the largest; MB/s = input bytes / wall;');
  lines.push('  "vs aggregate" = tool wall / aggregate wall (above 1: aggregate is faster). Warm page cache.');
  lines.push('- runs: successful runs measured; a tool slower than 20 s a run gets 3 (quick: over 2 s, 1), a failing one stops after 2.');
  if (saved) lines.push(`- "Δ wall": change against the saved run of ${saved.meta?.date ?? '?'} (negative: faster now)`);
  for (const p of report.profiles) {
    lines.push('');
    const extra = p.delayUs ? `, ${p.delayUs} µs per open` : '';
    lines.push(`## ${p.name}: ${p.title}`);
    lines.push('');
    lines.push(`${p.files} files, ${sizeText(p.bytes)}${extra}`);
    lines.push('');
    const head = ['tool', 'status', 'runs', 'wall', 'CPU', 'peak RSS', 'MB/s', 'vs aggregate'];
    if (saved) head.push('Δ wall');
    lines.push(`| ${head.join(' | ')} |`);
    lines.push(`|${head.map((h, i) => (i < 2 ? ' --- ' : ' ---: ')).join('|')}|`);
    for (const r of p.rows) {
      const status = r.note ? `${r.status} (${r.note})` : r.status;
      const cells = [
        esc(r.label),
        esc(status),
        String(r.n ?? ''),
        sec(r.wall),
        sec(r.cpu),
        mib(r.rss),
        mbps(r.mbps),
        // A second aggregate row (--schema) shows its ratio to the plain one.
        r.kind === 'self' && r.vs === r.id ? (r.id.endsWith('tgz') ? '1.00x (gz)' : '1.00x') : ratio(r.ratio),
      ];
      if (saved) {
        const old = saved.profiles?.find((x) => x.name === p.name)?.rows.find((x) => x.id === r.id);
        cells.push(old && fin(old.wall) && fin(r.wall) ? `${r.wall >= old.wall ? '+' : ''}${(((r.wall - old.wall) / old.wall) * 100).toFixed(0)}%` : '—');
      }
      lines.push(`| ${cells.join(' | ')} |`);
    }
  }
  if (report.targets.length) {
    lines.push('');
    lines.push('## Targets');
    lines.push('');
    const ungraded = report.targets.find((t) => t.graded)?.graded;
    if (ungraded) lines.push(`The targets apply to the full sizes (\`npm run bench\`); ${ungraded}, the figures only.`, '');
    for (const t of report.targets) {
      const word = t.graded ? '----' : t.pass === true ? 'PASS' : t.pass === false ? 'FAIL' : 'N/A ';
      lines.push(`    ${word}  ${t.text}: ${t.detail}${t.graded ? ` (${t.graded})` : ''}`);
    }
  }
  return lines.join('\n') + '\n';
}

export function compareLine(saved) {
  return `\n(compared with ${saved.meta?.mode ?? '?'} run of ${saved.meta?.date ?? '?'} on ${saved.meta?.cpu ?? '?'})`;
}

/** Rough width in px of a text at 11 px sans-serif (the SVG has no layout engine to ask). */
const textWidth = (s, px = 11) => String(s).length * px * 0.6;

/** Horizontal log-scale bars: per profile, each other tool's wall / aggregate's wall. */
export function renderSvg(report) {
  const bars = [];
  for (const p of report.profiles) {
    bars.push({ group: `${p.name}: ${p.files} file${p.files === 1 ? '' : 's'}, ${sizeText(p.bytes)}` });
    for (const r of p.rows) {
      if (r.kind === 'self') continue;
      const value = `${fin(r.ratio) ? (r.ratio >= 10 ? r.ratio.toFixed(0) : r.ratio.toFixed(2)) + 'x' : ''}`;
      const tail = r.ok || r.kind === 'floor' ? '' : fin(r.ratio) ? ' ' + r.status.split(':')[0] : r.status;
      bars.push({ label: r.label, ratio: r.ratio, ok: r.ok, kind: r.kind, note: `${value}${tail}` });
    }
  }
  const values = bars.filter((b) => fin(b.ratio)).map((b) => b.ratio);
  const lo = Math.min(0.1, ...values.map((v) => v / 1.5));
  const hi = Math.max(100, ...values.map((v) => v * 1.5));
  // Columns sized to their longest text, so no label is cut: names | bars | ratio and status.
  const L = Math.ceil(Math.max(200, ...bars.filter((b) => b.label).map((b) => textWidth(b.label))) + 16);
  const plotW = 480;
  const right = Math.ceil(Math.max(60, ...bars.filter((b) => b.note).map((b) => textWidth(b.note))) + 12);
  const m = report.meta;
  const title = 'Tool wall time / aggregate wall time (log scale; right of 1: aggregate is faster)';
  const sub = `${m.cpu}, ${m.cores} cores, node ${m.node} (aggregate: node ${m.aggregateNode ?? m.node}), ${m.date.slice(0, 10)}, ${m.mode} sizes`;
  const legend = [
    ['#2a7', 'tool slower than aggregate'],
    ['#e90', 'tool faster than aggregate'],
    ['#d33', 'wrong or failed output'],
    ['#999', 'I/O floor (no answer)'],
  ];
  const legendW = legend.reduce((w, [, text]) => w + 18 + textWidth(text) + 18, 10);
  const W = Math.ceil(Math.max(L + plotW + right, textWidth(title, 14) + 20, textWidth(sub) + 20, legendW));
  const rowH = 18;
  const top = 78;
  const x = (v) => L + ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * plotW;
  const H = top + bars.length * rowH + 40;
  const t = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`);
  out.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  out.push(`<text x="10" y="20" font-size="14" font-weight="bold">${t(title)}</text>`);
  out.push(`<text x="10" y="37" fill="#555">${t(sub)}</text>`);
  let lx = 10;
  for (const [color, text] of legend) {
    out.push(`<rect x="${lx}" y="46" width="12" height="12" fill="${color}"/>`);
    out.push(`<text x="${lx + 17}" y="56">${t(text)}</text>`);
    lx += 18 + textWidth(text) + 18;
  }
  for (let e = Math.ceil(Math.log10(lo)); e <= Math.floor(Math.log10(hi)); e++) {
    const v = 10 ** e;
    out.push(`<line x1="${x(v).toFixed(1)}" y1="${top - 4}" x2="${x(v).toFixed(1)}" y2="${H - 30}" stroke="${e === 0 ? '#000' : '#ddd'}"/>`);
    out.push(`<text x="${x(v).toFixed(1)}" y="${H - 16}" text-anchor="middle">${v >= 1 ? v : v.toFixed(-e)}x</text>`);
  }
  bars.forEach((b, i) => {
    const y = top + i * rowH;
    if (b.group) {
      out.push(`<text x="10" y="${y + 13}" font-weight="bold">${t(b.group)}</text>`);
      return;
    }
    out.push(`<text x="${L - 6}" y="${y + 13}" text-anchor="end">${t(b.label)}</text>`);
    if (!fin(b.ratio)) {
      out.push(`<text x="${x(1) + 4}" y="${y + 13}" fill="#c00">${t(b.note)}</text>`);
      return;
    }
    const x0 = x(1),
      x1 = x(b.ratio);
    const color = b.kind === 'floor' ? '#999' : !b.ok ? '#d33' : b.ratio >= 1 ? '#2a7' : '#e90';
    out.push(
      `<rect x="${Math.min(x0, x1).toFixed(1)}" y="${y + 3}" width="${Math.max(1, Math.abs(x1 - x0)).toFixed(1)}" height="${rowH - 6}" fill="${color}"/>`,
    );
    out.push(`<text x="${(Math.max(x0, x1) + 4).toFixed(1)}" y="${y + 13}">${t(b.note)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
