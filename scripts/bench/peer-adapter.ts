/**
 * The peer under the same workload: nodejs-order-book v10 (https://github.com/fasenderos/nodejs-order-book).
 *
 * Its API as used here: `new OrderBook()`, `limit({ id, side, size, price })` (GTC by default; the id
 * is the caller's string and must be unique among resting orders), `market({ side, size })` (no id:
 * a market order never rests), `cancel(id)` (undefined when the id does not rest). Each call returns
 * a result object ({ done, partial, quantityLeft, err, ... }) built per call; that is part of its cost,
 * as our events are part of ours. It has no user ids: self-trade prevention is off on both sides.
 * Prices and sizes are plain numbers; we pass the same integer ticks and lots as to our engine.
 */
import { OrderBook, Side, type LimitOrderOptions, type MarketOrderOptions } from 'nodejs-order-book';
import type { BookDepth, EngineAdapter, RunCheck } from './adapter.ts';
import { BUY } from './model-book.ts';
import { OpKind, orderIdOf, type OpList, type Workload } from './workload.ts';

/** One op in the peer's terms: the argument of limit, market or cancel. */
type PeerOp = LimitOrderOptions | MarketOrderOptions | string;

function toPeerOp(list: OpList, i: number): PeerOp {
  const n = list.order[i]!;
  const kind = list.kind[i]!;
  if (kind === OpKind.Cancel) return orderIdOf(n);
  const side = list.side[i] === BUY ? Side.BUY : Side.SELL;
  if (kind === OpKind.Market) return { side, size: list.qty[i]! };
  return { id: orderIdOf(n), side, size: list.qty[i]!, price: list.price[i]! };
}

export class PeerAdapter implements EngineAdapter {
  readonly name = 'nodejs-order-book';
  private book: OrderBook | null = null;
  private kinds: Uint8Array = new Uint8Array(0);
  private ops: PeerOp[] = [];

  constructor(private readonly workload: Workload) {}

  build(): OrderBook {
    const book = new OrderBook();
    const { prefill } = this.workload;
    for (let i = 0; i < prefill.length; i++) book.limit(toPeerOp(prefill, i) as LimitOrderOptions);
    return book;
  }

  reset(): void {
    this.book = this.build();
  }

  load(from: number, to: number): void {
    const { ops } = this.workload;
    this.kinds = ops.kind.subarray(from, to);
    const loaded = new Array<PeerOp>(to - from);
    for (let i = from; i < to; i++) loaded[i - from] = toPeerOp(ops, i);
    this.ops = loaded;
  }

  release(): void {
    this.book = null;
    this.ops = [];
    this.kinds = new Uint8Array(0);
  }

  runBatch(): number {
    const book = this.book!;
    const { kinds, ops } = this;
    let outputs = 0;
    for (let i = 0; i < ops.length; i++) outputs += apply(book, kinds[i]!, ops[i]!);
    return outputs;
  }

  runTimed(ns: Float64Array, offset: number): number {
    const book = this.book!;
    const { kinds, ops } = this;
    let outputs = 0;
    for (let i = 0; i < ops.length; i++) {
      const kind = kinds[i]!;
      const op = ops[i]!;
      const start = process.hrtime.bigint();
      outputs += apply(book, kind, op);
      ns[offset + i] = Number(process.hrtime.bigint() - start);
    }
    return outputs;
  }

  runChecked(): RunCheck {
    const book = this.book!;
    const { kinds, ops } = this;
    let errors = 0;
    let outputs = 0;
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]!;
      if (kinds[i] === OpKind.Cancel) {
        if (book.cancel(op as string) === undefined) errors++;
        continue;
      }
      const result =
        kinds[i] === OpKind.Market
          ? book.market(op as MarketOrderOptions)
          : book.limit(op as LimitOrderOptions);
      if (result.err !== null) errors++;
      outputs += result.done.length;
    }
    return { errors, outputs };
  }

  depth(): BookDepth {
    const [asks, bids] = this.book!.depth();
    return { bids, asks };
  }
}

/** One call into the peer; returns what a consumer would look at (orders done, or 1 for a cancel). */
function apply(book: OrderBook, kind: number, op: PeerOp): number {
  if (kind === OpKind.Cancel) return book.cancel(op as string) === undefined ? 0 : 1;
  if (kind === OpKind.Market) return book.market(op as MarketOrderOptions).done.length;
  return book.limit(op as LimitOrderOptions).done.length;
}
