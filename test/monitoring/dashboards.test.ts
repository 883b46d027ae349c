/**
 * The Grafana dashboards of k8s/base/monitoring/dashboards, read as files: every panel and target
 * names the datasource by its fixed uid, every query uses only metrics of
 * src/observability/metric-names.ts (plus prom-client's process_/nodejs_ defaults and `up`), the
 * objectives are drawn where they apply, and the kustomization ships every dashboard in a ConfigMap
 * for the Grafana sidecar. That each query returns data from a real scrape is
 * prometheus-live.test.ts's job.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { METRICS } from '../../src/observability/metric-names.ts';
import {
  DATASOURCE,
  loadDashboards,
  MONITORING_DIR,
  panelQueries,
  selectors,
  type DashboardPanel,
} from './monitoring-files.ts';

const OUR_METRICS = new Set<string>(Object.values(METRICS));
const HISTOGRAM_SUFFIX = /_(bucket|count|sum)$/;

/** A metric name a query may use: ours (a histogram's series too), a default process metric, `up`. */
function known(metric: string): boolean {
  if (metric === 'up' || metric.startsWith('process_') || metric.startsWith('nodejs_')) return true;
  return OUR_METRICS.has(metric) || OUR_METRICS.has(metric.replace(HISTOGRAM_SUFFIX, ''));
}

function thresholdValues(panel: DashboardPanel): number[] {
  const steps = panel.fieldConfig?.defaults?.thresholds?.steps ?? [];
  return steps.map((s) => s.value).filter((v): v is number => v !== null);
}

describe('monitoring: Grafana dashboards', () => {
  const dashboards = loadDashboards();
  const dataPanels = dashboards.flatMap((d) =>
    d.panels.filter((p) => p.type !== 'row').map((p) => ({ dashboard: d, panel: p })),
  );

  it('are one or two dashboards with unique uids, titles and panel ids', () => {
    expect(dashboards.length).to.be.within(1, 2);
    expect(new Set(dashboards.map((d) => d.uid)).size).to.equal(dashboards.length);
    expect(new Set(dashboards.map((d) => d.title)).size).to.equal(dashboards.length);
    for (const d of dashboards) {
      const ids = d.panels.map((p) => p.id);
      expect(new Set(ids).size, `${d.file}: panel ids`).to.equal(ids.length);
    }
  });

  it('name the datasource by its fixed uid on every panel, target and query variable', () => {
    const wrong: string[] = [];
    for (const { dashboard, panel } of dataPanels) {
      const where = `${dashboard.file} "${panel.title}"`;
      if ((panel.targets ?? []).length === 0) wrong.push(`${where}: no targets`);
      if (JSON.stringify(panel.datasource) !== JSON.stringify(DATASOURCE)) wrong.push(`${where}: panel`);
      for (const t of panel.targets ?? []) {
        if (JSON.stringify(t.datasource) !== JSON.stringify(DATASOURCE)) wrong.push(`${where} ${t.refId}`);
      }
    }
    for (const d of dashboards) {
      for (const v of d.templating.list.filter((x) => x.type === 'query')) {
        if (JSON.stringify(v.datasource) !== JSON.stringify(DATASOURCE)) wrong.push(`${d.file} $${v.name}`);
      }
    }
    expect(wrong, `not ${JSON.stringify(DATASOURCE)}`).to.deep.equal([]);
  });

  it('query only the metrics of metric-names.ts, process_/nodejs_ defaults and up', () => {
    const queries = panelQueries(dashboards);
    expect(queries.length).to.be.greaterThan(20);
    const unknown = queries.flatMap((q) =>
      selectors(q.expr)
        .filter((s) => !known(s.metric))
        .map((s) => `${q.where}: ${s.metric}`),
    );
    expect(unknown).to.deep.equal([]);
    const noMetric = queries.filter((q) => selectors(q.expr).length === 0).map((q) => q.where);
    expect(noMetric, 'queries with no metric').to.deep.equal([]);
  });

  it('cover the issue: throughput, latency, errors, lag, writer, per-symbol activity, saturation', () => {
    const used = new Set(panelQueries(dashboards).flatMap((q) => selectors(q.expr).map((s) => s.metric)));
    const required = [
      `${METRICS.httpRequestDuration}_bucket`,
      `${METRICS.httpRequestDuration}_count`,
      `${METRICS.acceptToMatched}_bucket`,
      `${METRICS.acceptToPersisted}_bucket`,
      `${METRICS.matchBatchDuration}_bucket`,
      `${METRICS.writerFlushDuration}_bucket`,
      METRICS.orders,
      METRICS.trades,
      METRICS.rejects,
      METRICS.intakeRejects,
      METRICS.streamLag,
      METRICS.streamPending,
      METRICS.shardsOwned,
      METRICS.symbolOwned,
      METRICS.writerRows,
      METRICS.writerRetries,
      METRICS.writerFailures,
      METRICS.writerBacklog,
      METRICS.writerBackpressured,
      METRICS.matcherThreadBusy,
      `${METRICS.matcherThreadGcDuration}_sum`,
      `${METRICS.matcherThreadGcDuration}_bucket`,
      'process_cpu_seconds_total',
      'nodejs_eventloop_lag_p99_seconds',
      'up',
    ];
    expect(required.filter((m) => !used.has(m))).to.deep.equal([]);
  });

  it('draw the 200 ms objective on every latency quantile panel and 0.01 % on the error share', () => {
    const latency = dataPanels.filter(
      ({ panel }) =>
        (panel.targets ?? []).some((t) => /histogram_quantile/.test(t.expr)) &&
        /latency|matched|persisted/i.test(panel.title),
    );
    expect(latency.length, 'latency panels').to.be.at.least(3);
    for (const { dashboard, panel } of latency) {
      expect(thresholdValues(panel), `${dashboard.file} "${panel.title}"`).to.include(0.2);
      expect(panel.fieldConfig?.defaults?.custom?.thresholdsStyle?.mode).to.equal('line');
      expect(panel.fieldConfig?.defaults?.unit).to.equal('s');
    }
    const errors = dataPanels.filter(({ panel }) => /5xx share/.test(panel.title));
    expect(errors).to.have.length(1);
    expect(thresholdValues(errors[0]!.panel)).to.include(0.0001);
    expect(errors[0]!.panel.fieldConfig?.defaults?.unit).to.equal('percentunit');
  });

  it('put every query variable in a query of its dashboard, with an All value that matches everything', () => {
    for (const d of dashboards) {
      for (const v of d.templating.list) {
        expect(v.allValue, `${d.file} $${v.name}`).to.equal('.*');
        const uses = panelQueries([d]).filter((q) => q.expr.includes(`$${v.name}`));
        expect(uses.length, `${d.file}: queries using $${v.name}`).to.be.greaterThan(0);
      }
    }
  });

  it('ship in a ConfigMap for the Grafana sidecar, with the PrometheusRule, from kustomization.yaml', () => {
    const kustomization = readFileSync(`${MONITORING_DIR}kustomization.yaml`, 'utf8');
    for (const d of dashboards) expect(kustomization).to.include(`- dashboards/${d.file}\n`);
    expect(kustomization).to.match(/^ {2}- prometheus-rule\.yaml$/m);
    expect(kustomization).to.match(/^ {8}grafana_dashboard: '1'$/m);
    expect(kustomization).to.match(/^ {2}disableNameSuffixHash: true$/m);
  });
});
