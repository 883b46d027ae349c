/**
 * The monitoring files of k8s/base/monitoring as the tests see them: the dashboards' queries (with
 * Grafana's variables substituted), the PrometheusRule's `spec` as a plain rules file, the metric
 * selectors and label names a PromQL expression uses, and the expression without its thresholds.
 *
 * The expressions are ours and written in a restricted style (metric names start with exchange_,
 * process_ or nodejs_, or are `up`; thresholds are numeric literals), so a few regular expressions
 * read them reliably; the real parsing is done by promtool and Prometheus in the tests.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const MONITORING_DIR = fileURLToPath(new URL('../../k8s/base/monitoring/', import.meta.url));
export const DASHBOARDS_DIR = `${MONITORING_DIR}dashboards/`;
export const RULE_FILE = `${MONITORING_DIR}prometheus-rule.yaml`;
export const RULE_TESTS_FILE = fileURLToPath(new URL('./alerts.test.yml', import.meta.url));
/** The name alerts.test.yml's `rule_files` gives the extracted rules. */
export const EXTRACTED_RULES_NAME = 'exchange-alerts.rules.yml';
/** The datasource every panel and target names (the Grafana provisioning gives Prometheus this uid). */
export const DATASOURCE = { type: 'prometheus', uid: 'prometheus' } as const;

export interface DashboardTarget {
  readonly refId: string;
  readonly expr: string;
  readonly datasource?: { readonly type?: string; readonly uid?: string };
}

export interface DashboardPanel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly datasource?: { readonly type?: string; readonly uid?: string };
  readonly targets?: readonly DashboardTarget[];
  readonly fieldConfig?: {
    readonly defaults?: {
      readonly unit?: string;
      readonly thresholds?: { readonly steps: ReadonlyArray<{ readonly value: number | null }> };
      readonly custom?: { readonly thresholdsStyle?: { readonly mode?: string } };
    };
  };
}

export interface Dashboard {
  readonly file: string;
  readonly uid: string;
  readonly title: string;
  readonly panels: readonly DashboardPanel[];
  readonly templating: {
    readonly list: ReadonlyArray<{
      readonly name: string;
      readonly type: string;
      readonly datasource?: { readonly type?: string; readonly uid?: string };
      readonly definition?: string;
      readonly allValue?: string;
    }>;
  };
}

/** Every dashboard JSON file, parsed, with its file name. */
export function loadDashboards(): Dashboard[] {
  return readdirSync(DASHBOARDS_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ ...(JSON.parse(readFileSync(DASHBOARDS_DIR + file, 'utf8')) as Dashboard), file }));
}

/** One query of one panel, named for messages. */
export interface PanelQuery {
  readonly where: string;
  readonly expr: string;
}

export function panelQueries(dashboards: readonly Dashboard[]): PanelQuery[] {
  return dashboards.flatMap((d) =>
    d.panels.flatMap((p) =>
      (p.targets ?? []).map((t) => ({ where: `${d.file} "${p.title}" ${t.refId}`, expr: t.expr })),
    ),
  );
}

/**
 * Grafana's variables as the live test substitutes them: a rate window of 10 s (four 1 s scrapes and
 * more, as Grafana's $__rate_interval would be), every symbol.
 */
export function substituteVariables(expr: string): string {
  return expr
    .replaceAll('$__rate_interval', '10s')
    .replaceAll('$__interval', '2s')
    .replaceAll('$symbol', '.*');
}

/**
 * The PrometheusRule's `spec` as a plain Prometheus rules file: `spec` is the file's last top-level
 * key (its header says so), so it is every line after `spec:` dedented by two spaces. Throws when
 * the file does not have that shape.
 */
export function extractRulesFile(text: string): string {
  const lines = text.split('\n');
  if (!lines.includes('apiVersion: monitoring.coreos.com/v1') || !lines.includes('kind: PrometheusRule')) {
    throw new Error('not a monitoring.coreos.com/v1 PrometheusRule');
  }
  const start = lines.indexOf('spec:');
  if (start < 0) throw new Error('no top-level `spec:` line');
  const body = lines.slice(start + 1);
  const outdented = body.findIndex((line) => line !== '' && !line.startsWith('  '));
  if (outdented >= 0) {
    throw new Error(`spec is not the last key: line ${start + 2 + outdented} is not indented under it`);
  }
  return body.map((line) => line.slice(2)).join('\n');
}

/** Alert names in rule-file order (`- alert: Name` lines). */
export function alertNames(rulesText: string): string[] {
  return [...rulesText.matchAll(/^\s*- alert: (\w+)\s*$/gm)].map((m) => m[1]!);
}

/** One vector selector: a metric name and its label matchers (label, operator, value). */
export interface Selector {
  readonly text: string;
  readonly metric: string;
  readonly matchers: ReadonlyArray<{ readonly label: string; readonly op: string; readonly value: string }>;
}

// Strings first, so a name inside one is skipped; then our metric names, with their matchers.
const SELECTOR = /"(?:[^"\\]|\\.)*"|\b(exchange_\w+|process_\w+|nodejs_\w+|up)\b(?!\s*\()(\s*\{[^}]*\})?/g;
const MATCHER = /(\w+)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"/g;

export function selectors(expr: string): Selector[] {
  const found: Selector[] = [];
  for (const m of expr.matchAll(SELECTOR)) {
    if (m[1] === undefined) continue;
    const braces = m[2] ?? '';
    const matchers = [...braces.matchAll(MATCHER)].map((x) => ({ label: x[1]!, op: x[2]!, value: x[3]! }));
    found.push({ text: m[0].replace(/\s+/g, ''), metric: m[1], matchers });
  }
  return found;
}

/** Label names of `by (...)`, `without (...)`, `on (...)` and `ignoring (...)` clauses. */
export function groupingLabels(expr: string): string[] {
  const labels = new Set<string>();
  for (const m of expr.matchAll(/\b(?:by|without|on|ignoring)\s*\(([^)]*)\)/g)) {
    for (const label of m[1]!.split(',')) if (label.trim() !== '') labels.add(label.trim());
  }
  return [...labels];
}

/**
 * The expression without its thresholds: every comparison with a number (`> 0.2`, `== 1`, `< 1`) is
 * removed, leaving the signal the alert compares (a latency, a ratio, owners per market...). A healthy
 * system fires no alert, so the test queries this instead: it must return data.
 */
export function withoutThresholds(expr: string): string {
  return expr.replace(/\s*(?:==|!=|>=|<=|>|<)\s*(?:bool\s+)?-?\d+(?:\.\d+)?(?:e[+-]?\d+)?\b/g, '');
}

/** `name` on the PATH, or undefined. */
export function which(name: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The path of `prometheus` or `promtool`; throws with the way to install it. */
export function requireTool(name: 'prometheus' | 'promtool'): string {
  const path = which(name);
  if (path === undefined) {
    throw new Error(`${name} is not installed: run \`bash scripts/ensure-prometheus.sh\` (as root)`);
  }
  return path;
}
