/**
 * A reader of the Prometheus text exposition format (what `/metrics` answers), for tests: samples
 * with their labels, the declared type of each metric, and sums over label subsets.
 */

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export class Scrape {
  readonly samples: Sample[] = [];
  /** Metric name → its `# TYPE` (counter, gauge, histogram...). */
  readonly types = new Map<string, string>();

  constructor(readonly text: string) {
    for (const line of text.split('\n')) {
      if (line.startsWith('# TYPE ')) {
        const [, , name, type] = line.split(' ');
        this.types.set(name!, type!);
      } else if (line !== '' && !line.startsWith('#')) {
        this.samples.push(parseSample(line));
      }
    }
  }

  /** Samples of exactly this name (a histogram's are `<name>_bucket`, `_sum`, `_count`) whose labels include `where`. */
  series(name: string, where: Readonly<Record<string, string>> = {}): Sample[] {
    return this.samples.filter(
      (s) => s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v),
    );
  }

  /** The sum of those samples' values (0 when there are none). */
  sum(name: string, where: Readonly<Record<string, string>> = {}): number {
    return this.series(name, where).reduce((total, s) => total + s.value, 0);
  }

  /** The distinct values of one label among a metric's samples. */
  labelValues(name: string, label: string): string[] {
    return [...new Set(this.series(name).map((s) => s.labels[label]!))].filter((v) => v !== undefined).sort();
  }

  /** The `le` bounds of a histogram, as numbers, ascending (+Inf last). */
  buckets(name: string): number[] {
    const bounds = new Set(this.series(`${name}_bucket`).map((s) => s.labels.le!));
    return [...bounds].map((le) => (le === '+Inf' ? Infinity : Number(le))).sort((a, b) => a - b);
  }
}

function parseSample(line: string): Sample {
  const brace = line.indexOf('{');
  const space = line.lastIndexOf(' ');
  const labels: Record<string, string> = {};
  let name: string;
  if (brace !== -1 && brace < space) {
    name = line.slice(0, brace);
    const body = line.slice(brace + 1, line.lastIndexOf('}'));
    for (const match of body.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[match[1]!] = match[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
  } else {
    name = line.slice(0, space);
  }
  const raw = line.slice(space + 1);
  const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw);
  return { name, labels, value };
}
