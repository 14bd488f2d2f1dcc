/**
 * The fixed limits that hold whatever a server sends or asks. One home, and the README's
 * "Limits" table is held to it by test/unit/limits.test.ts.
 */

/** Longest validity of a signed payment authorization (validBefore − now). Dopamint asks 300 s. */
export const MAX_VALIDITY_SECONDS = 600;

/** Largest image accepted, downloaded or decoded from a data: URI. */
export const MAX_IMAGE_BYTES = 50 * 1024 * 1024;

/**
 * Largest JSON (or text) answer accepted: quotes, paid answers, job status, job results, RPC
 * answers.
 */
export const MAX_JSON_BYTES = 5 * 1024 * 1024;

/** Redirect hops followed for status, result and image URLs (each hop must pass the allow-list). */
export const MAX_REDIRECTS = 5;

/** Deadline of one status or result request (never more than the time Max Wait leaves). */
export const POLL_REQUEST_TIMEOUT_MS = 30_000;

/** Time a Wait for Job item may take past Max Wait, to fetch the result and download the images. */
export const DOWNLOAD_GRACE_MS = 30_000;

/** Longest one image download may take (Wait for Job; never past the item's deadline either). */
export const DOWNLOAD_TIMEOUT_MS = 120_000;

/** Deadline of one read-only chain request (balance, authorization state). */
export const RPC_TIMEOUT_MS = 10_000;

/**
 * Blocks one eth_getLogs request covers: Base's public RPC asks for ranges under 2,000 blocks. A
 * range an RPC refuses is halved.
 */
export const LOG_RANGE_BLOCKS = 2_000;

/** eth_getLogs requests in flight at once for one search. */
export const LOG_READS_AT_ONCE = 4;

/**
 * How far back the transaction of an already used payment nonce is searched: a day of Base blocks
 * (one every 2 s).
 */
export const AUTHORIZATION_LOOKBACK_BLOCKS = 43_200;

/**
 * eth_calls sent in one JSON-RPC batch (a retried or idempotent batch checks all its nonces in one
 * round trip).
 */
export const RPC_BATCH_SIZE = 100;

/**
 * Receipt reads of one run in flight at once (each a JSON-RPC batch of the items waiting): the
 * items answered while they run wait for the next free one and go together.
 */
export const RECEIPT_READS_AT_ONCE = 4;

/** A sign-in (sign-in-with-x) this package signs expires within this many seconds. */
export const SIWX_MAX_SECONDS = 600;

/**
 * A quote is reused by later items of a run for at most this long (and never past its own
 * maxTimeoutSeconds).
 */
export const QUOTE_REUSE_MS = 120_000;

/**
 * Default deadline of each Generate request (unpaid and paid): the Request Timeout option's
 * default.
 */
export const REQUEST_TIMEOUT_MS = 120_000;

/**
 * Images Wait for Job downloads at the same time, per run (memory stays flat when many jobs end
 * together).
 */
export const DOWNLOADS_AT_ONCE = 4;

/**
 * Consecutive transient failures of status requests (network, 5xx, 429) tolerated before an item
 * fails.
 */
export const MAX_TRANSIENT_ERRORS = 5;

/** Deadline of each chain read of the credential test (the dialog waits for it). */
export const CREDENTIAL_TEST_RPC_TIMEOUT_MS = 8_000;

/**
 * Upper bound for the credential's Max Payment per Request: a typo must not turn a 10-cent cap into
 * a 10,000-dollar one.
 */
export const MAX_CAP_USDC = '1000';

/** Longest Idempotency Key accepted (an RSS guid or a URL fits). */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 500;

/** The rolling window of the credential's Max Spend per 24 Hours. */
export const SPEND_WINDOW_SECONDS = 86_400;

/** Seconds between blocks on Base and Base Sepolia: how many blocks a day of history spans. */
export const BLOCK_SECONDS = 2;

/**
 * Newest blocks read again by a later run of the same process, in case the chain reorganised
 * them.
 */
export const REORG_BLOCKS = 12;

/**
 * A later read this soon after the last dates the wallet's new transfers by the newest block
 * (never earlier than the truth) instead of reading their blocks: one request, not two.
 */
export const RECENT_READ_SECONDS = 3_600;

/** Wallets whose spending history one n8n process keeps (the least recently used is dropped). */
export const SPEND_CACHE_WALLETS = 64;

/** Longest period the X402 Wallet node's Get Payments reads, and how far back it may start. */
export const MAX_PAYMENTS_PERIOD_DAYS = 31;

/**
 * How far back Check Payment searches the transaction of a used nonce: the same 31 days of Base
 * blocks, newest first, stopping when found.
 */
export const PAYMENT_LOOKBACK_BLOCKS = 31 * 43_200;
