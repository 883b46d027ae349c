export * from './types.ts';
export { OrderBook } from './order-book.ts';
export { hashSnapshot, canonicalSnapshotJson } from './snapshot.ts';
export { applyPpmFloor, floorDiv, isSafeProduct, isSafeProduct3, MAX_SAFE } from './integer-math.ts';
