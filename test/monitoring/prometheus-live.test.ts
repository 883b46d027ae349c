/**
 * The dashboards and alerts against the real thing (issue 5, part 3): the system runs (the API in
 * this process, two matcher processes, each serving /metrics on its METRICS_PORT, on the real Redis
 * and MariaDB: test/support/durable-cluster.ts), a real Prometheus scrapes them every second with the
 * alert rules loaded, and a short load runs: the OrderFlow's crossing orders and cancels, plus a few
 * orders the API refuses (a price off the tick) and a few the engine rejects (no funds for them), so
 * that the refusal and reject series exist as they would in production.
 *
 * Then, at an instant inside the load:
 * - every dashboard query (Grafana's variables substituted: $__rate_interval 10 s, $symbol all) must
 *   return data: a non-empty result with at least one finite value;
 * - every alert rule must evaluate without error in Prometheus, and its signal (the expression
 *   without its numeric thresholds: the P99, the 5xx share, the lag, the owners per market...) must
 *   return data. A healthy system fires nothing, so the comparison itself is not what is checked;
 * - every metric a query or alert names must have series, and every label it matches on or groups
 *   by must exist on them: a renamed metric or label would otherwise leave a panel empty or an alert
 *   that can never fire.
 * Each test fails listing every query that returned nothing, with the reason.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { DurableCluster, sleep, SYMBOLS, USERS } from '../support/durable-cluster.ts';
import {
  alertNames,
  extractRulesFile,
  groupingLabels,
  loadDashboards,
  panelQueries,
  requireTool,
  RULE_FILE,
  selectors,
  substituteVariables,
  withoutThresholds,
} from './monitoring-files.ts';
import { freePort, PrometheusProcess, type QueryResult, type VectorSample } from './prometheus-process.ts';

const LOAD_MS = 12_000;
const MATCHERS = 2;

/** Why a result is not data, or undefined when it is. */
function noData(result: QueryResult): string | undefined {
  const finite = (value: string) => Number.isFinite(Number(value));
  if (result.resultType === 'scalar') {
    return finite((result.result as [number, string])[1]) ? undefined : 'a scalar that is not a number';
  }
  const samples = result.result as VectorSample[];
  if (samples.length === 0) return 'empty';
  return samples.some((s) => finite(s.value[1])) ? undefined : `only NaN/Inf (${samples.length} series)`;
}

describe('monitoring: a real Prometheus scraping the running system under load', function () {
  this.timeout(30_000);
  let cluster: DurableCluster | undefined;
  let prometheus: PrometheusProcess | undefined;
  /** The instant every query is asked at (epoch seconds): the end of the load. */
  let at = 0;
  const answers = new Map<string, Promise<string | undefined>>();

  /** Why the expression has no data at `at` (cached), or undefined when it has. */
  function check(expr: string): Promise<string | undefined> {
    let answer = answers.get(expr);
    if (answer === undefined) {
      answer = prometheus!.query(expr, at).then(noData, (error: unknown) => `error: ${String(error)}`);
      answers.set(expr, answer);
    }
    return answer;
  }

  /** Every metric the expression names has series; every label it matches or groups on exists on them. */
  async function namesAndLabels(expr: string): Promise<string[]> {
    const problems: string[] = [];
    const found = selectors(expr);
    for (const s of found) {
      const missing = await check(`count(${s.metric})`);
      if (missing !== undefined) {
        problems.push(`metric ${s.metric}: no series`);
        continue;
      }
      for (const m of s.matchers) {
        if ((await check(`count(${s.metric}{${m.label}!=""})`)) !== undefined) {
          problems.push(`${s.metric}: no label ${m.label} (in ${s.text})`);
        }
      }
    }
    for (const label of groupingLabels(expr)) {
      const present = await Promise.all(found.map((s) => check(`count(${s.metric}{${label}!=""})`)));
      if (!present.some((p) => p === undefined))
        problems.push(`label ${label} (by/on) is on none of its metrics`);
    }
    return problems;
  }

  before(async function () {
    this.timeout(90_000);
    requireTool('prometheus');
    const metricsPorts = await Promise.all(Array.from({ length: MATCHERS }, () => freePort()));
    cluster = await DurableCluster.start({
      matchers: MATCHERS,
      matcherEnv: (i) => ({ METRICS_PORT: String(metricsPorts[i]) }),
    });
    prometheus = await PrometheusProcess.start({
      jobs: [
        { job: 'exchange-api', targets: [new URL(cluster.address).host] },
        { job: 'exchange-matcher', targets: metricsPorts.map((p) => `127.0.0.1:${p}`) },
      ],
      rules: extractRulesFile(readFileSync(RULE_FILE, 'utf8')),
    });
    cluster.flow.start(3, 10);
    let refusing = true;
    const refusals = (async () => {
      for (let n = 0; refusing; n++) {
        const symbol = SYMBOLS[n % SYMBOLS.length]!;
        const user = USERS[n % USERS.length]!;
        // Refused by the API: the price is not a multiple of the tick (0.01). Then rejected by the
        // engine: 200 000 base at 100 costs 20 M quote, the user has 10 M. Extra load only: a failed
        // send is the flow's business, not this test's.
        for (const price of ['100.001', '100.00']) {
          const quantity = price === '100.00' ? '200000' : '0.1';
          await cluster!
            .send('POST', '/v1/orders', user, { symbol, side: 'buy', type: 'limit', price, quantity })
            .catch(() => undefined);
        }
        await sleep(400);
      }
    })();
    await sleep(LOAD_MS);
    at = Date.now() / 1000;
    refusing = false;
    await refusals;
    await cluster.flow.stop();
    // The scrape that follows `at`, and a rule evaluation, are in.
    await sleep(2_000);
  });

  after(async function () {
    this.timeout(30_000);
    await prometheus?.stop();
    await cluster?.stop();
  });

  it('scrapes the API and every matcher process, which count the load', async () => {
    const targets = await prometheus!.targets();
    expect(targets.map((t) => t.labels.job).sort()).to.deep.equal([
      'exchange-api',
      ...Array<string>(MATCHERS).fill('exchange-matcher'),
    ]);
    // Scraped during the load: most scrapes succeeded (one may time out on a busy machine).
    const window = Math.floor(LOAD_MS / 1000);
    const result = await prometheus!.query(`sum_over_time(up[${window}s])`, at);
    const scrapes = new Map(
      (result.result as VectorSample[]).map((s) => [s.metric.instance, Number(s.value[1])]),
    );
    const down = targets
      .filter((t) => (scrapes.get(t.labels.instance!) ?? 0) < window / 2)
      .map(
        (t) =>
          `${t.labels.job} ${t.labels.instance}: ${scrapes.get(t.labels.instance!) ?? 0} good scrapes ` +
          `in ${window} s, now ${t.health} (${t.lastError})`,
      );
    expect(down, 'targets not up during the load').to.deep.equal([]);
    expect(cluster!.flow.placed.length, 'orders the load placed').to.be.greaterThan(50);
    // The load's refusals and rejects were counted, not only seeded at 0.
    for (const expr of [
      'sum(exchange_intake_rejects_total{code="INVALID_PRICE"})',
      'sum(exchange_rejects_total{reason="INSUFFICIENT_FUNDS"})',
      'sum(exchange_trades_total)',
    ]) {
      const samples = (await prometheus!.query(expr, at)).result as VectorSample[];
      expect(Number(samples[0]?.value[1] ?? 0), expr).to.be.greaterThan(0);
    }
  });

  it('answers every dashboard query with data', async () => {
    const queries = panelQueries(loadDashboards());
    expect(queries.length).to.be.greaterThan(20);
    const empty: string[] = [];
    for (const q of queries) {
      const expr = substituteVariables(q.expr);
      const why = await check(expr);
      if (why !== undefined) empty.push(`${q.where}: ${why}\n      ${expr}`);
    }
    expect(empty, `dashboard queries without data (${empty.length} of ${queries.length})`).to.deep.equal([]);
  });

  it('gives every dashboard variable its values', async () => {
    const empty: string[] = [];
    for (const d of loadDashboards()) {
      for (const v of d.templating.list.filter((x) => x.type === 'query')) {
        const m = /^label_values\((\w+), (\w+)\)$/.exec(v.definition ?? '');
        if (m === null) {
          empty.push(`${d.file} $${v.name}: not label_values(metric, label): ${v.definition}`);
          continue;
        }
        const values = await prometheus!.api<string[]>(`/api/v1/label/${m[2]}/values`, {
          'match[]': m[1]!,
          start: String(at - 60),
          end: String(at),
        });
        if (values.length === 0) empty.push(`${d.file} $${v.name}: ${v.definition} has no values`);
        else if (v.name === 'symbol') expect(values).to.include.members([...SYMBOLS]);
      }
    }
    expect(empty).to.deep.equal([]);
  });

  it('evaluates every alert rule without error, and each alert’s signal returns data', async () => {
    const rules = (await prometheus!.rules()).filter((r) => r.type === 'alerting');
    const expected = alertNames(readFileSync(RULE_FILE, 'utf8'));
    expect(rules.map((r) => r.name)).to.have.members(expected);
    const problems: string[] = [];
    for (const rule of rules) {
      if (rule.health !== 'ok') problems.push(`${rule.name}: health ${rule.health}: ${rule.lastError ?? ''}`);
      const signal = withoutThresholds(rule.query);
      expect(signal, `${rule.name}: thresholds removed`).to.not.equal(rule.query);
      const why = await check(signal);
      if (why !== undefined) problems.push(`${rule.name}: ${why}\n      ${signal}`);
    }
    expect(problems, `alerts without data (${problems.length})`).to.deep.equal([]);
  });

  it('finds every metric and label the dashboards and alerts name in the scrape', async () => {
    const exprs = new Map<string, string>();
    for (const q of panelQueries(loadDashboards())) exprs.set(substituteVariables(q.expr), q.where);
    for (const r of await prometheus!.rules()) exprs.set(r.query, `alert ${r.name}`);
    const problems = new Set<string>();
    for (const [expr, where] of exprs) {
      for (const p of await namesAndLabels(expr)) problems.add(`${p} (first in ${where})`);
    }
    // One line per missing metric or label, not one per query naming it.
    const byWhat = new Map<string, string>();
    for (const p of problems) byWhat.set(p.replace(/ \(first in .*\)$/, ''), p);
    expect([...byWhat.values()].sort(), 'metrics and labels missing from the scrape').to.deep.equal([]);
  });
});
