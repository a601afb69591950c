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
      const cells = [esc(r.label), esc(status), String(r.n ?? ''), sec(r.wall), sec(r.cpu), mib(r.rss), mbps(r.mbps),
        // A second aggregate row (--schema) shows its ratio to the plain one.
        r.kind === 'self' && r.vs === r.id ? (r.id.endsWith('tgz') ? '1.00x (gz)' : '1.00x') : ratio(r.ratio)];
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
    for (const t of report.targets) {
      const word = t.pass === true ? 'PASS' : t.pass === false ? 'FAIL' : 'N/A ';
      lines.push(`    ${word}  ${t.text}: ${t.detail}`);
    }
  }
  return lines.join('\n') + '\n';
}

export function compareLine(saved) {
  return `\n(compared with ${saved.meta?.mode ?? '?'} run of ${saved.meta?.date ?? '?'} on ${saved.meta?.cpu ?? '?'})`;
}

/** Horizontal log-scale bars: per profile, each other tool's wall / aggregate's wall. */
export function renderSvg(report) {
  const bars = [];
  for (const p of report.profiles) {
    bars.push({group: `${p.name} (${p.files} files, ${sizeText(p.bytes)})`});
    for (const r of p.rows) {
      if (r.kind === 'self') continue;
      bars.push({label: r.label, ratio: r.ratio, ok: r.ok, status: r.status, kind: r.kind, vs: r.vs});
    }
  }
  const values = bars.filter((b) => fin(b.ratio)).map((b) => b.ratio);
  const lo = Math.min(0.1, ...values.map((v) => v / 1.5));
  const hi = Math.max(100, ...values.map((v) => v * 1.5));
  const [L, W, rowH, top] = [330, 900, 18, 50];
  const plotW = W - L - 90;
  const x = (v) => L + ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * plotW;
  const H = top + bars.length * rowH + 40;
  const t = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`);
  out.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  out.push(`<text x="10" y="20" font-size="14" font-weight="bold">Tool wall time / aggregate wall time (log scale; right of 1: aggregate is faster)</text>`);
  out.push(`<text x="10" y="36" fill="#555">${t(report.meta.cpu)}, ${report.meta.cores} cores, node ${t(report.meta.node)} (aggregate: node ${t(report.meta.aggregateNode ?? report.meta.node)}), ${t(report.meta.date.slice(0, 10))}, ${t(report.meta.mode)} mode. Red: wrong or failed output; grey: I/O floor.</text>`);
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
    out.push(`<text x="${L - 6}" y="${y + 13}" text-anchor="end">${t(b.label.length > 52 ? b.label.slice(0, 50) + '…' : b.label)}</text>`);
    if (!fin(b.ratio)) {
      out.push(`<text x="${x(1) + 4}" y="${y + 13}" fill="#c00">${t(b.status)}</text>`);
      return;
    }
    const x0 = x(1), x1 = x(b.ratio);
    const color = b.kind === 'floor' ? '#999' : !b.ok ? '#d33' : b.ratio >= 1 ? '#2a7' : '#e90';
    out.push(`<rect x="${Math.min(x0, x1).toFixed(1)}" y="${y + 3}" width="${Math.max(1, Math.abs(x1 - x0)).toFixed(1)}" height="${rowH - 6}" fill="${color}"/>`);
    const lab = `${b.ratio >= 10 ? b.ratio.toFixed(0) : b.ratio.toFixed(2)}x${b.ok ? '' : b.kind === 'floor' ? '' : ' ' + b.status.split(':')[0]}`;
    out.push(`<text x="${(Math.max(x0, x1) + 4).toFixed(1)}" y="${y + 13}">${t(lab)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
