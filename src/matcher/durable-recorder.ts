import type { ChainableCommander } from 'ioredis';
import type { Pool } from 'mysql2/promise';
import { OrderBook } from '../engine/order-book.ts';
import type { EngineEvent, TradeEvent } from '../engine/types.ts';
import type { CompiledMarket } from '../markets/market-rules.ts';
import type { FlushResult } from '../mysql/write-buffer-options.ts';
import type { MatcherMetrics } from '../observability/matcher-metrics.ts';
import { FencedError, type BatchRow, type WriteSink } from '../mysql/write-buffer.ts';
import { balanceRows } from '../persistence/balance-rows.ts';
import {
  batchEvents,
  marketRow,
  orderRows,
  orderSeqs,
  tradeEvents,
  tradeRows,
} from '../persistence/batch-rows.ts';
import { loadBookSnapshot } from '../persistence/book-loader.ts';
import { claimSymbol, type ClaimedCheckpoint } from '../persistence/symbol-checkpoints.ts';
import { BALANCES, MARKETS, ORDERS, TRADES } from '../persistence/tables.ts';
import type { ProjectedBatch } from '../read-model/order-projection.ts';
import type { AccountSnapshot } from '../redis/balance-accounts.ts';
import type { PipelineReplies } from '../redis/balance-pipeline.ts';
import type { BalanceStore } from '../redis/balance-store.ts';
import type { ProcessedBatch } from './symbol-processor.ts';

/** Makes the thread's writer; `onFlush` must see every flush (it trims the streams). */
export type WriterFactory = (onFlush: (result: FlushResult) => void) => WriteSink;

/**
 * The matcher's side of MySQL (DESIGN.md §2 and §5, docs/mysql.md): claims a symbol's fence and loads
 * its book at a takeover, then owes the WriteBuffer each batch's rows (orders, trades, the balances of
 * every user the batch touched) together with the symbol's new checkpoint, as one step.
 *
 * One writer per matcher thread, shared by its symbols: one transaction per flush for all of them.
 * When a flush finds that another owner bumped one of its symbols' epochs, the writer is fenced for
 * good (its transaction rolled back, so nothing of it landed); the runtime then drops every symbol of
 * the thread and `reset()` starts a new writer: the symbols are claimed again (by this thread or
 * another) and replayed from their durable checkpoints, so the rows the dead writer owed are rebuilt.
 */
export class DurableRecorder {
  #writer: WriteSink;
  readonly #epochs = new Map<string, number>();
  #onFlushed: (result: FlushResult) => void = () => {};

  constructor(
    private readonly deps: {
      readonly pool: Pool;
      readonly balances: BalanceStore;
      readonly makeWriter: WriterFactory;
      /** Told of each batch owed (accept→persisted, pending entries); none in tests of the recorder. */
      readonly metrics?: MatcherMetrics;
    },
  ) {
    this.#writer = this.#newWriter();
  }

  /** Called with every flush that wrote or tried to write something. */
  set onFlushed(hook: (result: FlushResult) => void) {
    this.#onFlushed = hook;
  }

  get writer(): WriteSink {
    return this.#writer;
  }

  /** The writer was fenced: some symbol moved to a newer owner while this one still wrote it. */
  get fenced(): FencedError | undefined {
    return this.#writer.fencedBy;
  }

  get isBackpressured(): boolean {
    return this.#writer.isBackpressured;
  }

  get backlog(): number {
    return this.#writer.backlog;
  }

  /**
   * A takeover's MySQL steps: bump the symbol's epoch (fencing every older writer), then load its
   * book as of the checkpoint. From here on every flush asserts the fence, even before the first
   * batch, so a zombie predecessor's flushes fail as soon as this commits.
   */
  async claim(market: CompiledMarket): Promise<{ claim: ClaimedCheckpoint; book: OrderBook }> {
    const symbol = market.definition.symbol;
    const claim = await claimSymbol(this.deps.pool, symbol);
    const book = OrderBook.restore(await loadBookSnapshot(this.deps.pool, market.rules, claim));
    this.#epochs.set(symbol, claim.epoch);
    await this.recordMarket(market);
    await this.#writer.checkpoint({
      symbol,
      epoch: claim.epoch,
      lastStreamId: claim.lastStreamId,
      lastSeq: claim.lastSeq,
      makerFeePpm: book.rules.makerFeePpm,
      takerFeePpm: book.rules.takerFeePpm,
      lastTimestampMs: book.lastCommandTimestamp,
    });
    return { claim, book };
  }

  /**
   * Owes the batch's rows and checkpoint: queues the reads of the balances the batch moved into its
   * own last Redis batch (`records`, after its settlements, so what they read is at least as new; no
   * round trip of their own), and returns what to call with that batch's replies once it succeeded,
   * before the next batch of the symbol changes its book (entry seqs are read from it).
   */
  queue(
    batch: ProcessedBatch,
    projected: ProjectedBatch,
    records: ChainableCommander,
  ): (replies: PipelineReplies) => Promise<void> {
    const events = batchEvents(batch.commands);
    const trades = tradeEvents(events);
    const users = touchedUsers(batch, projected, trades);
    // A batch moves its market's base and quote only (holds, settlements, fees, releases): those rows
    // are copied, not the users' whole hashes (whoever moves another asset copies it: the ledger,
    // the other markets' owners).
    const { base, quote } = batch.market.definition;
    const accounts =
      users.length > 0 ? this.deps.balances.pipelined(records).readAccounts(users, [base, quote]) : undefined;
    return (replies) => this.#owe(batch, projected, events, trades, accounts?.read(replies) ?? []);
  }

  /** The sync writer's addBatch resolves after its flush: awaited, every batch is durable before the next. */
  async #owe(
    batch: ProcessedBatch,
    projected: ProjectedBatch,
    events: readonly EngineEvent[],
    trades: readonly TradeEvent[],
    accounts: readonly AccountSnapshot[],
  ): Promise<void> {
    const { symbol, book } = batch;
    const epoch = this.#epochs.get(symbol);
    if (epoch === undefined) throw new Error(`${symbol}: recorded without a claim`);
    const records = projected.orders.map((o) => o.record);
    const rows: BatchRow[] = [];
    for (const row of orderRows(records, orderSeqs(events), (id) => book.getOrder(id)?.entrySeq))
      rows.push({ table: ORDERS, row });
    for (const row of tradeRows(symbol, trades)) rows.push({ table: TRADES, row });
    for (const row of balanceRows(accounts)) rows.push({ table: BALANCES, row });
    const checkpoint = {
      symbol,
      epoch,
      lastStreamId: batch.lastEntryId,
      lastSeq: book.sequence,
      makerFeePpm: book.rules.makerFeePpm,
      takerFeePpm: book.rules.takerFeePpm,
      lastTimestampMs: book.lastCommandTimestamp,
    };
    // Queued before the writer has it, so that the flush committing this checkpoint finds it.
    this.deps.metrics?.owed(symbol, batch.lastEntryId, batch.commands, batch.replaying);
    await this.#writer.addBatch(rows, checkpoint);
  }

  /** Owes the market's row (its definition and fees as the operator set them): at a takeover, on a change. */
  recordMarket(market: CompiledMarket): Promise<FlushResult> | undefined {
    return this.#writer.add(MARKETS, marketRow(market));
  }

  /** Writes everything owed now; resolves with the flush (never rejects). */
  flush(): Promise<FlushResult> {
    return this.#writer.flush();
  }

  /** The symbol left this thread: stop writing its checkpoint (after its last rows are flushed). */
  release(symbol: string): void {
    this.#epochs.delete(symbol);
    this.#writer.releaseSymbol(symbol);
  }

  holds(symbol: string): boolean {
    return this.#epochs.has(symbol);
  }

  /** After a fence: forget every symbol and start a new writer (the old one owes nothing usable). */
  async reset(): Promise<void> {
    const old = this.#writer;
    this.#epochs.clear();
    this.#writer = this.#newWriter();
    await old.close().catch(() => undefined);
  }

  close(): Promise<FlushResult> {
    return this.#writer.close();
  }

  #newWriter(): WriteSink {
    return this.deps.makeWriter((result) => this.#onFlushed(result));
  }
}

export { FencedError };

/** Every user whose balance the batch may have moved (holds, settlements, releases), ascending. */
function touchedUsers(
  batch: ProcessedBatch,
  projected: ProjectedBatch,
  trades: readonly TradeEvent[],
): number[] {
  const users = new Set<number>();
  for (const { record } of projected.orders) users.add(record.userId);
  for (const { entry } of batch.commands) {
    const { userId } = entry.command as { userId?: unknown };
    if (typeof userId === 'number' && Number.isSafeInteger(userId) && userId > 0) users.add(userId);
  }
  for (const trade of trades) users.add(trade.makerUserId).add(trade.takerUserId);
  return [...users].sort((a, b) => a - b);
}
