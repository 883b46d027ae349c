import { expect } from 'chai';
import { createHash } from 'node:crypto';
import {
  commandSharesBetween,
  parseCommandStats,
  parseSlowlog,
  scriptNamesBySha,
  scriptShares,
} from '../../../../scripts/bench/e2e/redis-stats.ts';
import { redisScriptSplitLine, redisSharesLine } from '../../../../scripts/bench/e2e/report-text.ts';

const INFO_START = [
  '# Commandstats',
  'cmdstat_evalsha:calls=1000,usec=50000,usec_per_call=50.00,rejected_calls=0,failed_calls=0',
  'cmdstat_hget:calls=8000,usec=16000,usec_per_call=2.00,rejected_calls=0,failed_calls=0',
  'cmdstat_xgroup|setid:calls=10,usec=20,usec_per_call=2.00,rejected_calls=0,failed_calls=0',
  'cmdstat_ping:calls=5,usec=5,usec_per_call=1.00,rejected_calls=0,failed_calls=0',
  '',
].join('\r\n');

const INFO_END = [
  '# Commandstats',
  'cmdstat_evalsha:calls=3000,usec=450000,usec_per_call=150.00,rejected_calls=0,failed_calls=0',
  'cmdstat_hget:calls=28000,usec=56000,usec_per_call=2.00,rejected_calls=0,failed_calls=0',
  'cmdstat_xgroup|setid:calls=30,usec=60,usec_per_call=2.00,rejected_calls=0,failed_calls=0',
  'cmdstat_ping:calls=5,usec=5,usec_per_call=1.00,rejected_calls=0,failed_calls=0',
  'cmdstat_xadd:calls=400,usec=1200,usec_per_call=3.00,rejected_calls=0,failed_calls=0',
  '',
].join('\r\n');

describe('bench/e2e/redis-stats', () => {
  it('parses INFO commandstats, subcommands included', () => {
    const stats = parseCommandStats(INFO_START);
    expect([...stats.keys()]).to.deep.equal(['evalsha', 'hget', 'xgroup|setid', 'ping']);
    expect(stats.get('xgroup|setid')).to.deep.equal({ calls: 10, usec: 20 });
  });

  it('gives each command called in the window its share of a core, the largest first', () => {
    const shares = commandSharesBetween(INFO_START, INFO_END, 2);
    expect(shares.map((s) => s.name)).to.deep.equal(['evalsha', 'hget', 'xadd', 'xgroup|setid']);
    expect(shares[0]).to.deep.equal({ name: 'evalsha', callsPerSec: 1000, usecPerCall: 200, coreShare: 0.2 });
    // A command first seen at the end counts from zero.
    expect(shares[2]).to.deep.equal({ name: 'xadd', callsPerSec: 200, usecPerCall: 3, coreShare: 0.0006 });
  });

  it('counts from zero a counter that went down (CONFIG RESETSTAT in the window)', () => {
    const reset = 'cmdstat_evalsha:calls=10,usec=700,usec_per_call=70.00,rejected_calls=0,failed_calls=0\r\n';
    expect(commandSharesBetween(INFO_START, reset, 1)).to.deep.equal([
      { name: 'evalsha', callsPerSec: 10, usecPerCall: 70, coreShare: 0.0007 },
    ]);
  });

  it('names script calls by the SHA1 of their source and sums them, nested commands left out', () => {
    const names = scriptNamesBySha({ first: { lua: 'return 1' }, second: { lua: 'return 2' } });
    const sha = (lua: string) => createHash('sha1').update(lua).digest('hex');
    expect(names.get(sha('return 1'))).to.equal('first');
    const entries = parseSlowlog([
      [1, 1700000000, 30, ['HGET', 'k', 'f'], '127.0.0.1:1', 'matcher'],
      [2, 1700000000, 100, ['evalsha', sha('return 1'), '0'], '127.0.0.1:1', 'matcher'],
      [3, 1700000000, 300, ['EVALSHA', sha('return 1').toUpperCase(), '0'], '127.0.0.1:1', 'matcher'],
      [4, 1700000000, 50, ['evalsha', 'ab'.repeat(20), '0'], '127.0.0.1:2', 'api'],
      [5, 1700000000, 70, ['eval', 'return 3', '0'], '127.0.0.1:2', 'api'],
      [6, 1700000000, 9, ['xadd', 's', '*', 'k', 'v'], '127.0.0.1:2', 'api'],
    ]);
    expect(scriptShares(entries, names, 0.5)).to.deep.equal([
      { name: 'first', callsPerSec: 4, usecPerCall: 200, coreShare: 0.0008 },
      { name: 'eval', callsPerSec: 2, usecPerCall: 70, coreShare: 0.00014 },
      { name: 'script abababab', callsPerSec: 2, usecPerCall: 50, coreShare: 0.0001 },
    ]);
  });

  it('refuses a slowlog reply it cannot read', () => {
    expect(() => parseSlowlog('OK')).to.throw(/unexpected SLOWLOG GET reply/);
    expect(() => parseSlowlog([[1, 2, 'x', []]])).to.throw(/unexpected slowlog entry/);
  });

  it('prints the largest shares with their rate and cost, and how many more there are', () => {
    const shares = commandSharesBetween(INFO_START, INFO_END, 2);
    expect(redisSharesLine(shares)).to.equal(
      'evalsha 20.0% (1,000/s × 200 µs), hget 2.0% (10,000/s × 2.00 µs), ' +
        'xadd 0.1% (200/s × 3.00 µs), xgroup|setid 0.0% (10/s × 2.00 µs)',
    );
    const many = Array.from({ length: 8 }, (_, i) => ({ ...shares[0]!, name: `c${i}` }));
    expect(redisSharesLine(many)).to.match(/c5 20\.0% \(1,000\/s × 200 µs\), 2 more$/);
    expect(redisSharesLine([])).to.equal('none');
  });

  it("prints a sample's scripts as their split of the scripts' time", () => {
    const shares = [
      { name: 'balanceBatch', callsPerSec: 180, usecPerCall: 1500, coreShare: 0.27 },
      { name: 'intakePlace', callsPerSec: 700, usecPerCall: 45, coreShare: 0.03 },
    ];
    expect(redisScriptSplitLine(shares)).to.equal(
      'balanceBatch 90% (180/s × 1500 µs), intakePlace 10% (700/s × 45.0 µs)',
    );
    expect(redisScriptSplitLine([])).to.equal('none');
  });
});
