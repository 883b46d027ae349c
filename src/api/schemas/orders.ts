/** Schemas of the order routes: place, cancel, cancel-all, amend, get, list, and the user's trades. */
import {
  CLIENT_ORDER_ID,
  DECIMAL,
  DECIMAL_OUT,
  LIMIT,
  nullable,
  ORDER_ID,
  SIDE,
  strictObject,
  SYMBOL,
  TIMESTAMP,
  WAIT,
} from './common.ts';

export const ORDER_TYPE = { type: 'string', enum: ['limit', 'market'] } as const;
export const TIME_IN_FORCE = { type: 'string', enum: ['GTC', 'IOC', 'FOK'] } as const;
export const SELF_TRADE_PREVENTION = {
  type: 'string',
  enum: ['expire_taker', 'expire_maker', 'expire_both', 'none'],
} as const;
export const ORDER_STATUS = {
  type: 'string',
  enum: ['new', 'partially_filled', 'filled', 'canceled', 'expired', 'rejected'],
} as const;

export const PLACE_ORDER_BODY = strictObject(
  {
    symbol: SYMBOL,
    side: SIDE,
    type: ORDER_TYPE,
    price: { ...DECIMAL, description: 'Limit orders only: the limit price, a multiple of the tick size.' },
    quantity: { ...DECIMAL, description: 'Base quantity, a multiple of the lot size.' },
    quoteQuantity: {
      ...DECIMAL,
      description: 'Market buys only, instead of quantity: spend up to this much quote.',
    },
    timeInForce: { ...TIME_IN_FORCE, description: 'Default GTC for limit orders, IOC for market orders.' },
    postOnly: {
      type: 'boolean',
      description: 'GTC limit orders only: rejected if it would take. Default false.',
    },
    selfTradePrevention: { ...SELF_TRADE_PREVENTION, description: 'Default expire_taker.' },
    clientOrderId: CLIENT_ORDER_ID,
  },
  ['symbol', 'side', 'type'],
);

export const AMEND_ORDER_BODY = strictObject(
  {
    price: { ...DECIMAL, description: 'The new limit price; the order loses its time priority.' },
    quantity: {
      ...DECIMAL,
      description:
        'The new total quantity, filled part included; smaller keeps time priority, larger loses it.',
    },
  },
  [],
  { minProperties: 1 },
);

export const ORDER_PARAMS = strictObject({ orderId: ORDER_ID }, ['orderId']);
export const SYMBOL_QUERY = strictObject({ symbol: SYMBOL }, ['symbol']);
export const WAIT_QUERY = strictObject({ wait: WAIT }, []);
export const SYMBOL_WAIT_QUERY = strictObject({ symbol: SYMBOL, wait: WAIT }, ['symbol']);
export const ORDER_LIST_QUERY = strictObject(
  {
    symbol: SYMBOL,
    status: {
      type: 'string',
      enum: ['open', ...ORDER_STATUS.enum],
      description: 'open = new or partially_filled; all statuses when absent.',
    },
    limit: LIMIT,
  },
  ['symbol'],
);
export const TRADE_LIST_QUERY = strictObject({ symbol: SYMBOL, limit: LIMIT }, ['symbol']);

const LIQUIDITY = { type: 'string', enum: ['maker', 'taker'] } as const;

const FILL = strictObject(
  {
    tradeId: { type: 'string' },
    price: DECIMAL_OUT,
    quantity: DECIMAL_OUT,
    fee: DECIMAL_OUT,
    feeAsset: { type: 'string' },
    liquidity: LIQUIDITY,
  },
  ['tradeId', 'price', 'quantity', 'fee', 'feeAsset', 'liquidity'],
);

export const ORDER_SCHEMA = {
  $id: 'Order',
  ...strictObject(
    {
      orderId: { type: 'string' },
      clientOrderId: nullable({ type: 'string' }),
      symbol: { type: 'string' },
      side: SIDE,
      type: ORDER_TYPE,
      price: nullable(DECIMAL_OUT),
      quantity: nullable(DECIMAL_OUT),
      quoteQuantity: nullable(DECIMAL_OUT),
      timeInForce: TIME_IN_FORCE,
      postOnly: { type: 'boolean' },
      status: ORDER_STATUS,
      filledQuantity: DECIMAL_OUT,
      filledQuoteQuantity: DECIMAL_OUT,
      rejectReason: nullable({ type: 'string' }),
      fills: { type: 'array', items: FILL },
      createdAt: TIMESTAMP,
      updatedAt: TIMESTAMP,
    },
    [
      'orderId',
      'clientOrderId',
      'symbol',
      'side',
      'type',
      'price',
      'quantity',
      'quoteQuantity',
      'timeInForce',
      'postOnly',
      'status',
      'filledQuantity',
      'filledQuoteQuantity',
      'rejectReason',
      'fills',
      'createdAt',
      'updatedAt',
    ],
  ),
} as const;

export const ORDER_REF = { $ref: 'Order#' } as const;

/** The 202 answer: the command is durably in the symbol's stream; the engine has not answered yet. */
export const COMMAND_ACK = strictObject(
  {
    orderId: { type: 'string' },
    clientOrderId: nullable({ type: 'string' }),
    status: { type: 'string', enum: ['accepted'] },
  },
  ['orderId', 'clientOrderId', 'status'],
  { description: 'Accepted: the command is durably queued; the engine has not answered (yet).' },
);

export const CANCEL_ALL_ACK = strictObject(
  { symbol: { type: 'string' }, status: { type: 'string', enum: ['accepted'] } },
  ['symbol', 'status'],
);

export const USER_TRADE = strictObject(
  {
    tradeId: { type: 'string' },
    orderId: { type: 'string' },
    symbol: { type: 'string' },
    side: SIDE,
    price: DECIMAL_OUT,
    quantity: DECIMAL_OUT,
    quoteQuantity: DECIMAL_OUT,
    fee: DECIMAL_OUT,
    feeAsset: { type: 'string' },
    liquidity: LIQUIDITY,
    time: TIMESTAMP,
  },
  [
    'tradeId',
    'orderId',
    'symbol',
    'side',
    'price',
    'quantity',
    'quoteQuantity',
    'fee',
    'feeAsset',
    'liquidity',
    'time',
  ],
);
