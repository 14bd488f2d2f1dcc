/**
 * Every limit of nodes/shared/limits.ts is stated in docs/payments.md's "Limits" table with its
 * value: a limit cannot change, or be added, without the table saying so.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as limits from '../../nodes/shared/limits';

const page = readFileSync(path.join(__dirname, '../../docs/payments.md'), 'utf8');
const start = page.indexOf('## Limits');
const end = page.indexOf('\n## ', start + 1);
const table = page.slice(start, end < 0 ? undefined : end);
const row = (what: string) => table.split('\n').find((line) => line.startsWith(`| ${what}`)) ?? '';
const seconds = (ms: number) => `${ms / 1000} s`;
const mb = (bytes: number) => `${bytes / 1024 / 1024} MB`;
const thousands = (n: number) => n.toLocaleString('en-US');

/** Where each limit is stated, and how. */
const STATED: Record<keyof typeof limits, [row: string, text: string]> = {
	MAX_VALIDITY_SECONDS: ['A payment', `valid at most ${limits.MAX_VALIDITY_SECONDS} s`],
	MAX_CAP_USDC: ['A payment', `at most ${limits.MAX_CAP_USDC} USDC`],
	MAX_IMAGE_BYTES: ['An image', mb(limits.MAX_IMAGE_BYTES)],
	MAX_JSON_BYTES: ['A JSON answer', mb(limits.MAX_JSON_BYTES)],
	MAX_REDIRECTS: ['Redirects', `up to ${limits.MAX_REDIRECTS} hops`],
	POLL_REQUEST_TIMEOUT_MS: [
		'Each status or result request',
		seconds(limits.POLL_REQUEST_TIMEOUT_MS),
	],
	MAX_TRANSIENT_ERRORS: [
		'Each status or result request',
		`at most ${limits.MAX_TRANSIENT_ERRORS} transient failures`,
	],
	DOWNLOAD_GRACE_MS: ['A Wait for Job item', `Max Wait + ${seconds(limits.DOWNLOAD_GRACE_MS)}`],
	DOWNLOAD_TIMEOUT_MS: [
		'A Wait for Job item',
		`at most ${seconds(limits.DOWNLOAD_TIMEOUT_MS)} each`,
	],
	DOWNLOADS_AT_ONCE: ['A Wait for Job item', `${limits.DOWNLOADS_AT_ONCE} at once per run`],
	RPC_TIMEOUT_MS: ['Read-only chain checks', `${seconds(limits.RPC_TIMEOUT_MS)} each`],
	CREDENTIAL_TEST_RPC_TIMEOUT_MS: [
		'Read-only chain checks',
		`${seconds(limits.CREDENTIAL_TEST_RPC_TIMEOUT_MS)} in the credential test`,
	],
	REQUEST_TIMEOUT_MS: ['Each Generate request', `default ${seconds(limits.REQUEST_TIMEOUT_MS)}`],
	QUOTE_REUSE_MS: ['Each Generate request', `for at most ${seconds(limits.QUOTE_REUSE_MS)}`],
	LOG_RANGE_BLOCKS: ['Event log reads', `${thousands(limits.LOG_RANGE_BLOCKS)} blocks per request`],
	LOG_READS_AT_ONCE: ['Event log reads', `${limits.LOG_READS_AT_ONCE} at once`],
	AUTHORIZATION_LOOKBACK_BLOCKS: [
		'The search for the transaction of an already used nonce',
		`the last ${thousands(limits.AUTHORIZATION_LOOKBACK_BLOCKS)} blocks`,
	],
	RPC_BATCH_SIZE: [
		'Authorization states read at once',
		`${limits.RPC_BATCH_SIZE} per JSON-RPC batch request`,
	],
	RECEIPT_READS_AT_ONCE: [
		'Authorization states read at once',
		`receipts: ${limits.RECEIPT_READS_AT_ONCE} reads in flight per run`,
	],
	SIWX_MAX_SECONDS: ['A sign-in', `expiring within ${limits.SIWX_MAX_SECONDS} s`],
	SPEND_WINDOW_SECONDS: [
		'Max Spend per 24 Hours',
		`a rolling window of ${limits.SPEND_WINDOW_SECONDS} s`,
	],
	BLOCK_SECONDS: ['Max Spend per 24 Hours', `one every ${limits.BLOCK_SECONDS} s on Base`],
	REORG_BLOCKS: ['Max Spend per 24 Hours', `the last ${limits.REORG_BLOCKS} again`],
	RECENT_READ_SECONDS: [
		'Max Spend per 24 Hours',
		`within ${limits.RECENT_READ_SECONDS} s of the last read`,
	],
	SPEND_CACHE_WALLETS: ['Max Spend per 24 Hours', `${limits.SPEND_CACHE_WALLETS} wallets kept`],
	MAX_PAYMENTS_PERIOD_DAYS: [
		"X402 Wallet's Get Payments",
		`at most ${limits.MAX_PAYMENTS_PERIOD_DAYS} days, starting within the last ${limits.MAX_PAYMENTS_PERIOD_DAYS} days`,
	],
	PAYMENT_LOOKBACK_BLOCKS: [
		"X402 Wallet's Get Payments",
		`in the last ${thousands(limits.PAYMENT_LOOKBACK_BLOCKS)} blocks`,
	],
	MAX_IDEMPOTENCY_KEY_LENGTH: [
		'Idempotency Key',
		`${limits.MAX_IDEMPOTENCY_KEY_LENGTH} characters`,
	],
};

it.each(Object.entries(STATED))('the README states %s', (_name, [what, text]) => {
	expect(row(what)).toContain(text);
});

it('has a README statement for every limit in limits.ts', () => {
	expect(Object.keys(limits).sort()).toEqual(Object.keys(STATED).sort());
});
