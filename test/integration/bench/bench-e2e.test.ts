/**
 * `npm run bench:e2e` end to end, briefly: it starts its own API and matcher processes on the real
 * Redis and MariaDB (its own key prefix and database), offers 200 requests/s for 3 s after 1 s of
 * warm-up, and must come back with every end-of-run check passed, counts that add up, and its JSON
 * and HTML written; then nothing of it may be left in Redis or MariaDB. The latency objectives are
 * not asserted: on a shared 2-core machine they depend on what else runs.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchReport } from '../../../scripts/bench/e2e/bench-report.ts';
import { createMysqlPool } from '../../../src/mysql/connection.ts';
import { openTestRedis, scanKeys } from '../../support/redis.ts';
import { loadConfig } from '../../../src/config/config.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function runBench(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'scripts/bench-e2e.ts', ...args],
      { cwd: ROOT, maxBuffer: 64 * 1024 * 1024, timeout: 90_000 },
      (error, stdout, stderr) =>
        resolve({ code: error === null ? 0 : Number(error.code ?? 2), stdout, stderr }),
    );
  });
}

describe('npm run bench:e2e (smoke)', function () {
  this.timeout(120_000);
  let out: string;

  before(() => {
    out = mkdtempSync(join(tmpdir(), 'bench-e2e-'));
  });
  after(() => rmSync(out, { recursive: true, force: true }));

  it('runs a short load against a system it starts, checks it, reports it and cleans up', async () => {
    const { code, stdout, stderr } = await runBench([
      '--rate',
      '200',
      '--duration',
      '3',
      '--warmup',
      '1',
      '--users',
      '20',
      '--symbols',
      '3',
      '--connections',
      '8',
      '--redis-sample',
      '1',
      '--out',
      out,
    ]);
    const jsonFile = readdirSync(out).find((f) => /^bench-e2e-\d{8}-\d{6}\.json$/.test(f));
    expect(jsonFile, `no JSON report; exit ${code}\n${stderr}\n${stdout}`).to.not.equal(undefined);
    const report = JSON.parse(readFileSync(join(out, jsonFile!), 'utf8')) as BenchReport;

    // Every check at the end passed: quiescence, every order final and exactly once, the audit.
    const failed = report.checks.filter((c) => !c.pass);
    expect(failed, JSON.stringify(failed)).to.deep.equal([]);
    expect(report.checks.length).to.be.greaterThan(5);
    expect(code).to.equal(report.pass ? 0 : 1);

    const [step] = report.steps;
    const g = step!.generator;
    expect(report.steps).to.have.length(1);
    expect(g.offered).to.equal(600);
    expect(g.counts.all.ok + g.counts.all.refused + g.counts.all.errors).to.equal(g.offered);
    expect(g.counts.place.ok + g.counts.cancel.ok).to.equal(g.counts.all.ok);
    expect(step!.ack.count).to.equal(g.offered);
    expect(g.requestsSent).to.equal(800);
    expect(g.counts.all.errors).to.equal(0);
    // Every place acknowledged, warm-up included, is an order in MySQL in a final state.
    const orders = report.final.orders!;
    expect(orders.missing).to.equal(0);
    expect(orders.notFinal).to.equal(0);
    expect(orders.inMysql).to.equal(orders.acknowledged);
    expect(orders.acknowledged).to.be.greaterThan(g.counts.place.ok);
    // The matchers' histograms saw the window's commands.
    expect(step!.matched!.count).to.be.greaterThan(400);
    expect(step!.persisted!.count).to.be.greaterThan(0);
    expect(step!.seconds.filter((s) => s.phase === 'measure')).to.have.length(3);
    // Redis's time: by command over the window, and by script from the 1-second slowlog sample.
    const evalsha = step!.redis!.commands.find((c) => c.name === 'evalsha');
    expect(evalsha!.callsPerSec).to.be.greaterThan(100);
    expect(evalsha!.coreShare).to.be.greaterThan(0);
    const scripts = step!.redis!.scripts!.map((s) => s.name);
    expect(scripts).to.include.members(['intakePlace', 'balanceBatch', 'readModelApply']);
    expect(stdout).to.match(/redis time by command \(.*\): evalsha /);
    expect(stdout).to.match(/redis script time split \(slowlog sample of 1 s mid-window; .*\): \w+ \d+% /);

    const html = readFileSync(join(out, jsonFile!.replace(/\.json$/, '.html')), 'utf8');
    expect(html).to.match(/^<!doctype html>/);
    expect((html.match(/<svg /g) ?? []).length).to.equal(3);
    expect(html).to.not.match(/<script|https?:\/\/(?!www\.w3\.org)/);

    // Nothing of the run is left: no key under its prefix, no database.
    const redis = await openTestRedis();
    try {
      expect(await scanKeys(redis.redis, `${report.system.keyPrefix}:*`)).to.deep.equal([]);
    } finally {
      await redis.close();
    }
    const pool = createMysqlPool(loadConfig({ NODE_ENV: 'test', MYSQL_URL: process.env.MYSQL_URL }), {
      withoutDatabase: true,
      connectionLimit: 1,
    });
    try {
      const [rows] = await pool.query('SHOW DATABASES LIKE ?', [report.system.database]);
      expect(rows).to.deep.equal([]);
    } finally {
      await pool.end();
    }
  });
});
