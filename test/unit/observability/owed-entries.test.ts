import { expect } from 'chai';
import { OwedEntries } from '../../../src/observability/owed-entries.ts';

describe('observability: OwedEntries (accept→persisted queue)', () => {
  it('gives back the timestamps of exactly the batches a committed checkpoint covers, in order', () => {
    const owed = new OwedEntries();
    owed.owe('BTC', '100-0', 2, [10, 11]);
    owed.owe('BTC', '100-5', 1, [12]);
    owed.owe('BTC', '101-0', 3, [13, 14, 15]);
    owed.owe('ETH', '100-1', 1, [20]);
    expect(owed.pending('BTC')).to.equal(6);

    // The checkpoint sits between two batches: the later one stays owed.
    expect(owed.durable('BTC', '100-9')).to.deep.equal([10, 11, 12]);
    expect(owed.pending('BTC')).to.equal(3);
    expect(owed.pending('ETH'), 'another symbol is untouched').to.equal(1);
    // Ids compare as numbers, not strings ("99-0" < "100-0" although "9" > "1").
    expect(owed.durable('BTC', '99-0')).to.deep.equal([]);
    expect(owed.durable('BTC', '101-0')).to.deep.equal([13, 14, 15]);
    expect(owed.pending('BTC')).to.equal(0);
    expect(owed.durable('BTC', '200-0'), 'nothing is given twice').to.deep.equal([]);
  });

  it('counts a replay as pending without timing it', () => {
    const owed = new OwedEntries();
    owed.owe('BTC', '5-0', 4, null);
    owed.owe('BTC', '6-0', 1, [60]);
    expect(owed.pending('BTC')).to.equal(5);
    expect(owed.durable('BTC', '6-0')).to.deep.equal([60]);
    expect(owed.pending('BTC')).to.equal(0);
  });

  it('forgets a symbol that left the owner', () => {
    const owed = new OwedEntries();
    owed.owe('BTC', '1-0', 1, [1]);
    owed.forget('BTC');
    expect(owed.has('BTC')).to.equal(false);
    expect(owed.pending('BTC')).to.equal(0);
    expect(owed.durable('BTC', '9-0')).to.deep.equal([]);
  });

  it('stays bounded while nothing commits: drops (and counts) the oldest timestamps, keeps the pending count', () => {
    const owed = new OwedEntries({ maxTimestamps: 5, maxBatches: 1_000 });
    for (let i = 1; i <= 10; i++) owed.owe('BTC', `${i}-0`, 2, [i * 10, i * 10 + 1]);
    expect(owed.pending('BTC'), 'every entry is still pending').to.equal(20);
    expect(owed.dropped, 'timestamps dropped past the bound').to.equal(16);
    // Only the newest batches kept their timestamps; the oldest were merged into them.
    expect(owed.durable('BTC', '8-0')).to.deep.equal([]);
    expect(owed.pending('BTC'), 'the merged batch ends at 9-0: still owed').to.equal(20);
    expect(owed.durable('BTC', '10-0')).to.deep.equal([90, 91, 100, 101]);
    expect(owed.pending('BTC')).to.equal(0);
  });

  it('merges the oldest batches past the batch bound', () => {
    const owed = new OwedEntries({ maxTimestamps: 1_000_000, maxBatches: 3 });
    for (let i = 1; i <= 6; i++) owed.owe('BTC', `${i}-0`, 1, [i]);
    expect(owed.pending('BTC')).to.equal(6);
    expect(owed.dropped).to.equal(3);
    expect(owed.durable('BTC', '4-0')).to.deep.equal([4]);
    expect(owed.pending('BTC')).to.equal(2);
    expect(owed.durable('BTC', '6-0')).to.deep.equal([5, 6]);
  });

  it('drops the timestamps of a single batch larger than the bound', () => {
    const owed = new OwedEntries({ maxTimestamps: 3 });
    owed.owe('BTC', '1-0', 4, [1, 2, 3, 4]);
    expect(owed.dropped).to.equal(4);
    expect(owed.pending('BTC')).to.equal(4);
    expect(owed.durable('BTC', '1-0')).to.deep.equal([]);
    expect(owed.pending('BTC')).to.equal(0);
  });
});
