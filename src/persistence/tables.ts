import { loadUpsertTemplate } from '../mysql/sql-statements.ts';
import { defineTable, type Row, type TableSpec } from '../mysql/write-buffer.ts';

/**
 * The durable tables the matcher writes through the WriteBuffer (docs/mysql.md), declared once
 * against their upsert templates in `src/mysql/sql/`. Column lists are in template order;
 * {@link defineTable} checks them, the keys and the version guard when this module loads.
 *
 * {@link DURABLE_TABLES} is the order every flush writes them in (markets first: what the others
 * refer to), so that concurrent flushes take their locks alike.
 */

export const MARKETS = defineTable({
  name: 'markets',
  columns: [
    'symbol',
    'base',
    'quote',
    'base_precision',
    'quote_precision',
    'tick_size',
    'lot_size',
    'min_notional',
    'maker_fee_ppm',
    'taker_fee_ppm',
    'status',
  ],
  primaryKey: ['symbol'],
  upsert: loadUpsertTemplate('markets-upsert.sql'),
});

export const ORDERS = defineTable({
  name: 'orders',
  columns: [
    'order_id',
    'symbol',
    'user_id',
    'client_order_id',
    'side',
    'type',
    'price_ticks',
    'quantity_lots',
    'quote_quantity',
    'time_in_force',
    'post_only',
    'self_trade_prevention',
    'status',
    'filled_quantity',
    'filled_quote',
    'reject_reason',
    'entry_seq',
    'created_at_ms',
    'updated_at_ms',
    'version',
  ],
  primaryKey: ['order_id'],
  version: 'version',
  upsert: loadUpsertTemplate('orders-upsert.sql'),
});

export const TRADES = defineTable({
  name: 'trades',
  columns: [
    'symbol',
    'seq',
    'trade_id',
    'price_ticks',
    'quantity_lots',
    'quote_quantity',
    'taker_side',
    'maker_order_id',
    'taker_order_id',
    'maker_user_id',
    'taker_user_id',
    'maker_fee',
    'taker_fee',
    'time_ms',
  ],
  primaryKey: ['symbol', 'seq'],
  upsert: loadUpsertTemplate('trades-upsert.sql'),
});

/** A copy of the Redis balances, per (user, asset); only a higher `v` of the hash overwrites one. */
export const BALANCES = defineTable({
  name: 'balances',
  columns: ['user_id', 'asset', 'available', 'locked', 'fees_paid', 'version'],
  primaryKey: ['user_id', 'asset'],
  version: 'version',
  upsert: loadUpsertTemplate('balances-upsert.sql'),
});

/** Deposit ids are unique per user, as in Redis (migration 0009). */
export const DEPOSITS = defineTable({
  name: 'deposits',
  columns: ['deposit_id', 'user_id', 'asset', 'amount'],
  primaryKey: ['user_id', 'deposit_id'],
  upsert: loadUpsertTemplate('deposits-insert.sql'),
});

/** Withdrawal ids are unique per user, as in Redis (migration 0009); refused ones have a row too. */
export const WITHDRAWALS = defineTable({
  name: 'withdrawals',
  columns: ['withdrawal_id', 'user_id', 'asset', 'amount', 'status'],
  primaryKey: ['user_id', 'withdrawal_id'],
  upsert: loadUpsertTemplate('withdrawals-insert.sql'),
});

/** Every durable table, in the order each flush writes them. */
export const DURABLE_TABLES: readonly TableSpec[] = [
  MARKETS,
  ORDERS,
  TRADES,
  BALANCES,
  DEPOSITS,
  WITHDRAWALS,
];

type ColumnsOf<T> = T extends TableSpec<infer C> ? C : never;

export type MarketRow = Row<ColumnsOf<typeof MARKETS>>;
export type OrderRow = Row<ColumnsOf<typeof ORDERS>>;
export type TradeRow = Row<ColumnsOf<typeof TRADES>>;
export type BalanceRow = Row<ColumnsOf<typeof BALANCES>>;
export type DepositRow = Row<ColumnsOf<typeof DEPOSITS>>;
export type WithdrawalRow = Row<ColumnsOf<typeof WITHDRAWALS>>;
