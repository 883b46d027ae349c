-- audit-data-symbols: the symbols that have trades or orders in MySQL. Each branch is a loose scan
-- of an index that starts with symbol (the trades key, orders_by_symbol_status): one probe per
-- symbol, not one per row.
-- Parameters: none.
SELECT symbol FROM trades GROUP BY symbol
UNION
SELECT symbol FROM orders GROUP BY symbol
ORDER BY symbol
