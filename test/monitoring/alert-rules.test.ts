/**
 * The alert rules of k8s/base/monitoring/prometheus-rule.yaml through promtool: the PrometheusRule's
 * `spec` is written to a temporary directory as a plain rules file, `promtool check rules` validates
 * it and `promtool test rules` runs test/monitoring/alerts.test.yml on it, where every alert has a
 * case where it fires (with its labels and rendered annotations) and one where it stays silent.
 * Needs promtool (Debian's prometheus package: scripts/ensure-prometheus.sh, run by `npm test`).
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { METRICS } from '../../src/observability/metric-names.ts';
import {
  alertNames,
  EXTRACTED_RULES_NAME,
  extractRulesFile,
  requireTool,
  RULE_FILE,
  RULE_TESTS_FILE,
  selectors,
} from './monitoring-files.ts';

/** Runs promtool; returns its exit code and everything it printed. */
function promtool(args: string[], cwd: string): { code: number | null; output: string } {
  const result = spawnSync(requireTool('promtool'), args, { cwd, encoding: 'utf8', timeout: 30_000 });
  if (result.error) throw result.error;
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

/**
 * For each `alertname:` of the unit tests, whether that case expects alerts (`exp_alerts:` followed
 * by entries) or none (`exp_alerts: []`). The file is written so that `exp_alerts` follows `alertname`.
 */
function expectations(testsText: string): Map<string, Set<'fires' | 'silent'>> {
  const found = new Map<string, Set<'fires' | 'silent'>>();
  for (const m of testsText.matchAll(/^\s*alertname: (\w+)\n\s*exp_alerts:(.*)$/gm)) {
    const kinds = found.get(m[1]!) ?? new Set();
    kinds.add(m[2]!.trim() === '[]' ? 'silent' : 'fires');
    found.set(m[1]!, kinds);
  }
  return found;
}

describe('monitoring: Prometheus alert rules (promtool)', function () {
  this.timeout(30_000);
  const ruleText = readFileSync(RULE_FILE, 'utf8');
  let dir: string;

  before(() => {
    requireTool('promtool');
    dir = mkdtempSync(join(tmpdir(), 'exchange-rules-'));
    writeFileSync(join(dir, EXTRACTED_RULES_NAME), extractRulesFile(ruleText));
    copyFileSync(RULE_TESTS_FILE, join(dir, 'alerts.test.yml'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('takes the PrometheusRule spec as a rules file, refusing a file where spec is not last', () => {
    const rules = extractRulesFile(ruleText);
    expect(rules.startsWith('groups:\n')).to.equal(true);
    expect(() => extractRulesFile(`${ruleText}status: {}\n`)).to.throw(/spec is not the last key/);
  });

  it('has every alert the issue asks for, each on metrics of metric-names.ts', () => {
    const names = alertNames(ruleText);
    expect(names).to.include.members([
      'ExchangeAcceptToMatchedP99High',
      'ExchangeHttpP99High',
      'ExchangeHttpErrorRateHigh',
      'ExchangeStreamLagGrowing',
      'ExchangeWriterFlushFailing',
      'ExchangeWriterBackpressured',
      'ExchangeSymbolWithoutOwner',
      'ExchangeTargetDown',
    ]);
    expect(new Set(names).size, 'unique alert names').to.equal(names.length);
    const ours = new Set<string>(Object.values(METRICS));
    const exprs = [...ruleText.matchAll(/expr: \|\n((?: {12}.*\n)+)/g)].map((m) => m[1]!);
    expect(exprs.length, 'one expr block per alert').to.equal(names.length);
    const unknown = exprs
      .flatMap((e) => selectors(e).map((s) => s.metric))
      .filter((m) => m !== 'up' && !ours.has(m.replace(/_(bucket|count|sum)$/, '')));
    expect(unknown).to.deep.equal([]);
  });

  it('points each alert’s runbook at its own heading of the README’s SRE guide', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const guide = readme.slice(readme.indexOf('\n## SRE guide\n'));
    expect(guide.length, 'README has a "## SRE guide" section').to.be.greaterThan(100);
    const end = guide.indexOf('\n## ', 1);
    const section = end < 0 ? guide : guide.slice(0, end + 1);
    const problems: string[] = [];
    for (const name of alertNames(ruleText)) {
      if (!section.includes(`\n#### ${name}\n`)) problems.push(`${name}: no "#### ${name}" in the SRE guide`);
      if (!ruleText.includes(`runbook: 'README.md, SRE guide > Alerts > ${name}'`)) {
        problems.push(`${name}: no runbook annotation pointing at it`);
      }
    }
    expect(problems).to.deep.equal([]);
  });

  it('passes `promtool check rules`', () => {
    const { code, output } = promtool(['check', 'rules', EXTRACTED_RULES_NAME], dir);
    expect(code, output).to.equal(0);
    expect(output).to.include(`SUCCESS: ${alertNames(ruleText).length} rules found`);
  });

  it('has a promtool unit test per alert where it fires and one where it stays silent', () => {
    const found = expectations(readFileSync(RULE_TESTS_FILE, 'utf8'));
    const missing = alertNames(ruleText).flatMap((name) =>
      (['fires', 'silent'] as const)
        .filter((kind) => !found.get(name)?.has(kind))
        .map((kind) => `${name}: no case where it ${kind === 'fires' ? 'fires' : 'stays silent'}`),
    );
    expect(missing).to.deep.equal([]);
  });

  it('passes `promtool test rules` (test/monitoring/alerts.test.yml)', () => {
    const { code, output } = promtool(['test', 'rules', 'alerts.test.yml'], dir);
    expect(code, output).to.equal(0);
    expect(output).to.include('SUCCESS');
  });

  it('fails `promtool test rules` when a threshold changes (the unit tests can fail)', () => {
    const loosened = extractRulesFile(ruleText).replace(') > 0.2\n', ') > 0.6\n');
    expect(loosened).to.not.equal(extractRulesFile(ruleText));
    writeFileSync(join(dir, EXTRACTED_RULES_NAME), loosened);
    try {
      const { code, output } = promtool(['test', 'rules', 'alerts.test.yml'], dir);
      expect(code).to.not.equal(0);
      expect(output).to.include('ExchangeAcceptToMatchedP99High');
    } finally {
      writeFileSync(join(dir, EXTRACTED_RULES_NAME), extractRulesFile(ruleText));
    }
  });
});
