/**
 * Our engine under the benchmark: any MatchingBook (the fast OrderBook, or the reference book for a
 * smoke run). Commands are the stream's PlaceCommand and CancelCommand objects, built a chunk at a
 * time outside the timers; one `out` array is reused and cleared per command, as the matching
 * worker does.
 */
import type { Command, EngineEvent, MarketRules, MatchingBook } from '../../src/engine/types.ts';
import type { BookDepth, EngineAdapter, RunCheck } from './adapter.ts';
import { BUY } from './model-book.ts';
import { OpKind, orderIdOf, userIdOf, type OpList, type Workload } from './workload.ts';

export const BENCH_RULES: MarketRules = Object.freeze({
  symbol: 'BTC-USDT',
  baseUnitsPerLot: 1000,
  quoteUnitsPerTickLot: 1,
  makerFeePpm: 1000,
  takerFeePpm: 2000,
});

/** Stream time of the first command, in milliseconds; each later op is one millisecond on. */
const T0 = 1_700_000_000_000;

/** The command for op i of a list. Self-trade prevention is off, as it is in nodejs-order-book. */
export function toCommand(list: OpList, i: number, timestamp: number): Command {
  const n = list.order[i]!;
  const kind = list.kind[i]!;
  if (kind === OpKind.Cancel)
    return { type: 'cancel', orderId: orderIdOf(n), userId: userIdOf(n), timestamp };
  const market = kind === OpKind.Market;
  return {
    type: 'place',
    orderId: orderIdOf(n),
    userId: userIdOf(n),
    side: list.side[i] === BUY ? 'buy' : 'sell',
    orderType: market ? 'market' : 'limit',
    price: market ? 0 : list.price[i]!,
    quantity: list.qty[i]!,
    quoteLimit: 0,
    timeInForce: market ? 'IOC' : 'GTC',
    postOnly: false,
    selfTradePrevention: 'none',
    timestamp,
  };
}

export class EngineBookAdapter implements EngineAdapter {
  private book: MatchingBook | null = null;
  private commands: Command[] = [];
  private readonly out: EngineEvent[] = [];

  constructor(
    readonly name: string,
    private readonly workload: Workload,
    private readonly create: (rules: MarketRules) => MatchingBook,
  ) {}

  build(): MatchingBook {
    const book = this.create(BENCH_RULES);
    const { prefill } = this.workload;
    const out = this.out;
    // Each command is built, applied and dropped: what survives is what the book keeps.
    for (let i = 0; i < prefill.length; i++) {
      out.length = 0;
      book.apply(toCommand(prefill, i, T0), out);
    }
    out.length = 0;
    return book;
  }

  reset(): void {
    this.book = this.build();
  }

  load(from: number, to: number): void {
    const { ops } = this.workload;
    const commands = new Array<Command>(to - from);
    for (let i = from; i < to; i++) commands[i - from] = toCommand(ops, i, T0 + 1 + i);
    this.commands = commands;
  }

  release(): void {
    this.book = null;
    this.commands = [];
    this.out.length = 0;
  }

  runBatch(): number {
    const book = this.book!;
    const commands = this.commands;
    const out = this.out;
    let outputs = 0;
    for (let i = 0; i < commands.length; i++) {
      out.length = 0;
      book.apply(commands[i]!, out);
      outputs += out.length;
    }
    return outputs;
  }

  runTimed(ns: Float64Array, offset: number): number {
    const book = this.book!;
    const commands = this.commands;
    const out = this.out;
    let outputs = 0;
    for (let i = 0; i < commands.length; i++) {
      const command = commands[i]!;
      const start = process.hrtime.bigint();
      out.length = 0;
      book.apply(command, out);
      ns[offset + i] = Number(process.hrtime.bigint() - start);
      outputs += out.length;
    }
    return outputs;
  }

  runChecked(): RunCheck {
    const book = this.book!;
    const out = this.out;
    let errors = 0;
    let outputs = 0;
    for (const command of this.commands) {
      out.length = 0;
      book.apply(command, out);
      outputs += out.length;
      for (const event of out) if (event.type === 'rejected') errors++;
    }
    return { errors, outputs };
  }

  depth(): BookDepth {
    const { bids, asks } = this.book!.depth(Number.MAX_SAFE_INTEGER);
    return { bids, asks };
  }
}
