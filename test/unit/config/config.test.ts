import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../../src/config/config.ts';

/** The durability settings of issue 4: defaults, overrides, and refusals with a message that names the field. */
describe('config: writer, backlog and streams', () => {
  it('defaults: batched writer, 100 rows or 500 ms, backpressure at 20 000 rows, backlog 200 000, trimmed streams', () => {
    const config = loadConfig({ NODE_ENV: 'test' });
    expect(config.writer).to.deep.equal({
      kind: 'batched',
      flushRows: 100,
      flushIntervalMs: 500,
      backpressureRows: 20_000,
    });
    expect(config.streams).to.deep.equal({ maxSymbolBacklog: 200_000, trim: true });
  });

  it('takes overrides from the environment', () => {
    const config = loadConfig({
      NODE_ENV: 'test',
      WRITER_KIND: 'sync',
      FLUSH_ROWS: '7',
      WRITER_BACKPRESSURE_ROWS: '300',
      MAX_SYMBOL_BACKLOG: '60',
      TRIM_STREAMS: 'false',
    });
    expect(config.writer).to.include({ kind: 'sync', flushRows: 7, backpressureRows: 300 });
    expect(config.streams).to.deep.equal({ maxSymbolBacklog: 60, trim: false });
  });

  for (const [name, value] of [
    ['WRITER_KIND', 'eventually'],
    ['TRIM_STREAMS', 'yes'],
    ['MAX_SYMBOL_BACKLOG', '0'],
    ['WRITER_BACKPRESSURE_ROWS', '1.5'],
  ] as const) {
    it(`refuses ${name}=${value}, naming it`, () => {
      expect(() => loadConfig({ NODE_ENV: 'test', [name]: value }))
        .to.throw(ConfigError)
        .with.property('message')
        .that.contains(name);
    });
  }

  it('REDIS_CLUSTER_NODES: empty is one Redis; a list gives the Cluster seed nodes', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).redis.clusterNodes).to.deep.equal([]);
    expect(
      loadConfig({ NODE_ENV: 'test', REDIS_CLUSTER_NODES: 'redis-0:6379, 10.0.0.2:7001' }).redis.clusterNodes,
    ).to.deep.equal([
      { host: 'redis-0', port: 6379 },
      { host: '10.0.0.2', port: 7001 },
    ]);
    expect(() => loadConfig({ NODE_ENV: 'test', REDIS_CLUSTER_NODES: 'redis-0' }))
      .to.throw(ConfigError)
      .with.property('message')
      .that.contains('REDIS_CLUSTER_NODES');
  });
});
