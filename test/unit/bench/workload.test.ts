import { expect } from 'chai';
import type { EngineEvent } from '../../../src/engine/types.ts';
import { BENCH_RULES, toCommand } from '../../../scripts/bench/engine-adapter.ts';
import { Prng } from '../../../scripts/bench/prng.ts';
import {
  generateWorkload,
  modelDepthAfter,
  OpKind,
  orderIdOf,
  type OpList,
  type Workload,
} from '../../../scripts/bench/workload.ts';
import { ReferenceBook } from '../../support/reference-book.ts';

function opsOf(list: OpList): number[][] {
  return Array.from({ length: list.length }, (_, i) => [
    list.kind[i]!,
    list.side[i]!,
    list.price[i]!,
    list.qty[i]!,
    list.order[i]!,
  ]);
}

describe('benchmark workload generator', () => {
  it('gives the same prefill and ops for the same seed, and others for another seed', () => {
    const a = generateWorkload({ seed: 11, target: 500, ops: 3000 });
    const b = generateWorkload({ seed: 11, target: 500, ops: 3000 });
    const c = generateWorkload({ seed: 12, target: 500, ops: 3000 });
    expect(opsOf(a.prefill)).to.deep.equal(opsOf(b.prefill));
    expect(opsOf(a.ops)).to.deep.equal(opsOf(b.ops));
    expect(opsOf(a.ops)).to.not.deep.equal(opsOf(c.ops));
  });

  it('seeds the PRNG deterministically, with uniform-looking output', () => {
    const a = new Prng(42);
    const b = new Prng(42);
    const values = Array.from({ length: 10_000 }, () => a.next());
    expect(values.slice(0, 5)).to.deep.equal(Array.from({ length: 5 }, () => b.next()));
    expect(values.every((v) => v >= 0 && v < 1)).to.equal(true);
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    expect(mean).to.be.closeTo(0.5, 0.02);
  });

  describe('replayed through the reference book', () => {
    let w: Workload;
    let book: ReferenceBook;
    const prefillTradesOrRejects: EngineEvent[] = [];
    const rejected: EngineEvent[] = [];
    const canceledNotResting: number[] = [];
    const sizeMismatches: number[] = [];

    before(() => {
      w = generateWorkload({ seed: 5, target: 300, ops: 4000 });
      book = new ReferenceBook(BENCH_RULES);
      const out: EngineEvent[] = [];
      for (let i = 0; i < w.prefill.length; i++) {
        out.length = 0;
        book.apply(toCommand(w.prefill, i, 1), out);
        prefillTradesOrRejects.push(...out.filter((e) => e.type === 'rejected' || e.type === 'trade'));
      }
      for (let i = 0; i < w.ops.length; i++) {
        if (w.ops.kind[i] === OpKind.Cancel && book.getOrder(orderIdOf(w.ops.order[i]!)) === undefined)
          canceledNotResting.push(i);
        out.length = 0;
        book.apply(toCommand(w.ops, i, 2 + i), out);
        rejected.push(...out.filter((e) => e.type === 'rejected'));
        if (book.size !== w.restingAfter[i]) sizeMismatches.push(i);
      }
    });

    it('prefills without a trade or a reject, to the size the generator reports', () => {
      expect(prefillTradesOrRejects).to.deep.equal([]);
      expect(w.prefill.length).to.equal(w.restingAfterPrefill);
    });

    it('cancels only orders that rest at that moment, and nothing is rejected', () => {
      expect(canceledNotResting).to.deep.equal([]);
      expect(rejected).to.deep.equal([]);
    });

    it('keeps the resting count the generator predicted after every op, and ends with its depth', () => {
      expect(sizeMismatches).to.deep.equal([]);
      const { bids, asks } = book.depth(Number.MAX_SAFE_INTEGER);
      expect({ bids, asks }).to.deep.equal(modelDepthAfter(w, w.ops.length));
    });
  });

  it('holds the book near the target with the nominal 60/25/15 mix', () => {
    const target = 10_000;
    const w = generateWorkload({ seed: 3, target, ops: 100_000 });
    const share = (kind: number): number => w.stats.kinds[kind]! / w.ops.length;
    expect(share(OpKind.Passive)).to.be.closeTo(0.6, 0.03);
    expect(share(OpKind.Cancel)).to.be.closeTo(0.25, 0.03);
    expect(share(OpKind.Cross) + share(OpKind.Market)).to.be.closeTo(0.15, 0.03);
    expect(w.stats.restingMin).to.be.at.least(target * 0.97);
    expect(w.stats.restingMax).to.be.at.most(target * 1.03);
    expect(w.restingAfterPrefill).to.be.closeTo(target, target * 0.03);
  });
});
