// The bench's result rows and the table they are printed as.

export interface BenchRow {
  name: string;
  value: number;
  unit: string;
  /** the same measurement on the baseline, when there is one */
  baseline?: number;
  /** value / baseline, when a target is stated as a share of the baseline */
  ratio?: number;
  /** the target in words, e.g. "≥ 30 % of baseline" */
  target?: string;
  /** undefined: nothing to pass or miss */
  pass?: boolean;
}

export interface BenchSection {
  title: string;
  rows: BenchRow[];
}

/** Every measurement in one markdown table (readable in a terminal, pasteable into BENCHMARKS.md). */
export function renderTable(sections: BenchSection[]): string {
  const header = ['measurement', 'value', 'baseline', 'ratio', 'target', 'result'];
  const body: string[][] = [];
  for (const section of sections) {
    for (const row of section.rows) {
      body.push([
        `${section.title}: ${row.name}`,
        formatValue(row.value, row.unit),
        row.baseline === undefined ? '' : formatValue(row.baseline, row.unit),
        row.ratio === undefined ? '' : `${(row.ratio * 100).toFixed(0)} %`,
        row.target ?? '',
        row.pass === undefined ? '' : row.pass ? 'pass' : 'MISS',
      ]);
    }
  }
  const widths = header.map((title, column) => Math.max(title.length, ...body.map((cells) => cells[column]!.length)));
  const line = (cells: string[]) => `| ${cells.map((cell, column) => cell.padEnd(widths[column]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

export function formatValue(value: number, unit: string): string {
  if (!Number.isFinite(value) || Number.isInteger(value)) return `${value} ${unit}`;
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${unit}`;
}

/** A row whose target is a share of its baseline (throughput). */
export function shareOfBaselineRow(name: string, value: number, baseline: number, unit: string, minShare: number): BenchRow {
  const ratio = baseline > 0 ? value / baseline : 0;
  return { name, value, unit, baseline, ratio, target: `≥ ${Math.round(minShare * 100)} % of baseline`, pass: ratio >= minShare };
}
