/** What the load generator reads from an answer, or from a request that got none. */

/** The stable code of an error body `{"error":{"code":...}}`, or "-" when there is none. */
export function errorCode(text: string): string {
  try {
    const code = (JSON.parse(text) as { error?: { code?: unknown } }).error?.code;
    return typeof code === 'string' ? code : '-';
  } catch {
    return '-';
  }
}

/** The orderId of a place's 202 body; undefined when it has none. */
export function orderIdOf(text: string): string | undefined {
  try {
    const orderId = (JSON.parse(text) as { orderId?: unknown }).orderId;
    return typeof orderId === 'string' ? orderId : undefined;
  } catch {
    return undefined;
  }
}

/** How a failed request is counted: "timeout", or "transport <code>" (ECONNRESET, ...). */
export function transportError(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'TIMEOUT')
    return 'timeout';
  return `transport ${typeof code === 'string' ? code : error instanceof Error ? error.name : 'error'}`;
}
