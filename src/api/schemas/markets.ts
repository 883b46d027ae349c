/** Schemas of the market, market-data, balance and operator routes. */
import {
  ASSET,
  DECIMAL,
  DECIMAL_OUT,
  LIMIT,
  OPERATION_ID,
  SIDE,
  strictObject,
  SYMBOL,
  TIMESTAMP,
  USER_ID,
} from './common.ts';

const PRECISION = {
  type: 'integer',
  minimum: 0,
  maximum: 18,
  description: "Decimals of the asset's smallest unit; one precision per asset across markets.",
} as const;
const MARKET_STATUS = { type: 'string', enum: ['trading', 'halted'] } as const;
const FEE_RATE = { ...DECIMAL, description: 'A rate: "0.001" is 0.1 %; at most 6 decimals, 0..1.' } as const;

const MARKET_FIELDS = {
  symbol: SYMBOL,
  base: ASSET,
  quote: ASSET,
  basePrecision: PRECISION,
  quotePrecision: PRECISION,
  tickSize: DECIMAL,
  lotSize: DECIMAL,
  minNotional: { ...DECIMAL, description: 'Smallest order value in quote; "0" for none.' },
  makerFee: FEE_RATE,
  takerFee: FEE_RATE,
  status: MARKET_STATUS,
} as const;

const MARKET_KEYS = Object.keys(MARKET_FIELDS) as Array<keyof typeof MARKET_FIELDS>;

export const MARKET_SCHEMA = { $id: 'Market', ...strictObject(MARKET_FIELDS, MARKET_KEYS) } as const;
export const MARKET_REF = { $ref: 'Market#' } as const;

/** PUT /v1/admin/markets/:symbol: every field; `symbol` may be left out and must match the path otherwise. */
export const MARKET_BODY = strictObject(
  MARKET_FIELDS,
  MARKET_KEYS.filter((key) => key !== 'symbol'),
);

export const MARKET_PARAMS = strictObject({ symbol: SYMBOL }, ['symbol']);
export const LIMIT_QUERY = strictObject({ limit: LIMIT }, []);

const LEVEL = {
  type: 'array',
  items: DECIMAL_OUT,
  minItems: 2,
  maxItems: 2,
  description: '[price, total quantity]',
} as const;

export const DEPTH = strictObject(
  {
    symbol: { type: 'string' },
    sequence: { type: 'integer', description: 'The book sequence the snapshot was taken at.' },
    bids: { type: 'array', items: LEVEL },
    asks: { type: 'array', items: LEVEL },
  },
  ['symbol', 'sequence', 'bids', 'asks'],
);

export const PUBLIC_TRADE = strictObject(
  {
    tradeId: { type: 'string' },
    price: DECIMAL_OUT,
    quantity: DECIMAL_OUT,
    takerSide: SIDE,
    time: TIMESTAMP,
  },
  ['tradeId', 'price', 'quantity', 'takerSide', 'time'],
);

export const BALANCE = strictObject(
  { asset: { type: 'string' }, available: DECIMAL_OUT, locked: DECIMAL_OUT },
  ['asset', 'available', 'locked'],
);

export const DEPOSIT_BODY = strictObject(
  {
    userId: USER_ID,
    asset: ASSET,
    amount: DECIMAL,
    depositId: { ...OPERATION_ID, description: 'Idempotency key; one is generated when absent.' },
  },
  ['userId', 'asset', 'amount'],
);

export const WITHDRAWAL_BODY = strictObject(
  {
    userId: USER_ID,
    asset: ASSET,
    amount: DECIMAL,
    withdrawalId: { ...OPERATION_ID, description: 'Idempotency key; one is generated when absent.' },
  },
  ['userId', 'asset', 'amount'],
);

export const DEPOSIT_RESULT = strictObject(
  {
    depositId: { type: 'string' },
    userId: { type: 'integer' },
    asset: { type: 'string' },
    amount: DECIMAL_OUT,
    duplicate: { type: 'boolean', description: 'true: this depositId was already applied; nothing changed.' },
  },
  ['depositId', 'userId', 'asset', 'amount', 'duplicate'],
);

export const WITHDRAWAL_RESULT = strictObject(
  {
    withdrawalId: { type: 'string' },
    userId: { type: 'integer' },
    asset: { type: 'string' },
    amount: DECIMAL_OUT,
    duplicate: { type: 'boolean', description: 'true: this withdrawalId was already applied.' },
  },
  ['withdrawalId', 'userId', 'asset', 'amount', 'duplicate'],
);
