import { expect } from 'chai';
import {
  allMet,
  evaluateObjectives,
  highestPassingRate,
  type ObjectiveInput,
} from '../../../../scripts/bench/e2e/objectives.ts';
import { parseBenchOptions, UsageError } from '../../../../scripts/bench/e2e/options.ts';

const good: ObjectiveInput = {
  offeredPerSec: 10_000,
  achievedPerSec: 9_950,
  errors: 0,
  ackP99Ms: 12,
  matchedP99: { ms: 60, bucketMs: 75 },
  persistedP99: { ms: 700, bucketMs: 1_000 },
};

describe('bench:e2e objectives', () => {
  it('passes a run that meets every target, bucket bounds at the target included', () => {
    const results = evaluateObjectives(good);
    expect(results.map((r) => r.pass)).to.deep.equal([true, true, true, true, true]);
    expect(allMet(results)).to.equal(true);
  });

  it('fails each objective on its own', () => {
    const cases: Array<[Partial<ObjectiveInput>, string]> = [
      [{ ackP99Ms: 50.5 }, 'ack P99'],
      [{ matchedP99: { ms: 96, bucketMs: 150 } }, 'accept→matched P99'],
      [{ persistedP99: { ms: 1_200, bucketMs: 2_000 } }, 'accept→persisted P99'],
      [{ errors: 1 }, 'errors'],
      [{ achievedPerSec: 9_899 }, 'achieved / offered'],
    ];
    for (const [change, name] of cases) {
      const results = evaluateObjectives({ ...good, ...change });
      expect(
        results.filter((r) => r.pass !== true).map((r) => r.name),
        name,
      ).to.deep.equal([name]);
      expect(allMet(results)).to.equal(false);
    }
  });

  it('fails accept→persisted when the matchers dropped samples of it', () => {
    const [, , persisted] = evaluateObjectives({ ...good, persistedDropped: 3 });
    expect(persisted!.pass).to.equal(false);
    expect(persisted!.measured).to.match(/3 samples dropped/);
  });

  it('leaves an unmeasured latency undecided, and the run not a pass', () => {
    const results = evaluateObjectives({
      ...good,
      matchedP99: null,
      persistedP99: { ms: NaN, bucketMs: NaN },
    });
    expect(results[1]!.pass).to.equal(null);
    expect(results[2]!.pass).to.equal(null);
    expect(allMet(results)).to.equal(false);
  });

  it('finds the highest rate among the steps that passed', () => {
    expect(highestPassingRate([])).to.equal(null);
    expect(
      highestPassingRate([
        { rate: 2_000, pass: true },
        { rate: 4_000, pass: true },
        { rate: 6_000, pass: false },
      ]),
    ).to.equal(4_000);
  });
});

describe('bench:e2e options', () => {
  it('defaults to the issue target run against a system it starts', () => {
    const o = parseBenchOptions([])!;
    expect(o.rates).to.deep.equal([10_000]);
    expect(o.stepMode).to.equal(false);
    expect([o.durationSec, o.warmupSec, o.target.length, o.outDir]).to.deep.equal([
      60,
      5,
      0,
      'bench-results',
    ]);
    expect(Object.isFrozen(o)).to.equal(true);
  });

  it('reads step lists and ranges, process counts, extra settings and the mix', () => {
    expect(parseBenchOptions(['--step', '2000,4000,6000'])!.rates).to.deep.equal([2000, 4000, 6000]);
    const argv = [
      '--step-from 1000 --step-to 3500 --step-by 1000',
      '--api-processes 2 --matcher-threads 2 --env BATCH_SIZE=512 --env FLUSH_ROWS=1000',
      '--mix passive=6,cancel=3,cross=1,market=0',
      '--target http://127.0.0.1:8080/,http://127.0.0.1:8081',
      '--matcher-metrics http://127.0.0.1:9464/metrics --pid api-1=4242 --pid matcher-1=4343',
    ];
    const o = parseBenchOptions(argv.join(' ').split(' '))!;
    expect(o.rates).to.deep.equal([1000, 2000, 3000]);
    expect(o.stepMode).to.equal(true);
    expect([o.apiProcesses, o.matcherThreads]).to.deep.equal([2, 2]);
    expect(o.env).to.deep.equal({ BATCH_SIZE: '512', FLUSH_ROWS: '1000' });
    expect(o.mix).to.deep.equal({ passive: 6, cancel: 3, cross: 1, market: 0 });
    expect(o.target).to.deep.equal(['http://127.0.0.1:8080', 'http://127.0.0.1:8081']);
    expect(o.pids).to.deep.equal([
      { name: 'api-1', pid: 4242 },
      { name: 'matcher-1', pid: 4343 },
    ]);
    expect(parseBenchOptions(['--help'])).to.equal(null);
    expect(parseBenchOptions([])!.redisSampleSec).to.equal(0);
    expect(parseBenchOptions(['--redis-sample', '3', '--duration', '20'])!.redisSampleSec).to.equal(3);
  });

  it('names the option to fix', () => {
    const bad: Array<[string[], RegExp]> = [
      [['--rate', '0'], /--rate/],
      [['--rate', '1.5'], /--rate/],
      [['--duration', 'x'], /--duration/],
      [['--step', '100', '--step-from', '1'], /exclude/],
      [['--step-from', '1'], /go together/],
      [['--env', 'lower=1'], /--env/],
      [['--mix', 'passive=1,buy=2'], /--mix/],
      [['--client', 'curl'], /--client/],
      [['--target', 'ftp://x'], /--target/],
      [['--matcher-metrics', 'http://x/metrics'], /--target/],
      [['--target', 'http://x', '--pid', 'api'], /--pid/],
      [['--pid', 'api=1'], /--target/],
      [['--redis-sample', '-1'], /--redis-sample/],
      [['--redis-sample', '5', '--duration', '5'], /shorter than --duration/],
      [['--no-such-option'], /no-such-option/],
    ];
    for (const [argv, message] of bad)
      expect(() => parseBenchOptions(argv), argv.join(' ')).to.throw(UsageError, message);
  });
});
