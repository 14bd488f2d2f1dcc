/**
 * "Was it charged?", the chain's one answer: the token contract marks an EIP-3009 nonce used
 * exactly when its transfer happened. The payment session asks it after a failure, the receipt
 * asks it for every paid answer (with the claimed transaction), and the X402 Wallet node's Check
 * Payment asks it for a nonce. An RPC that does not answer makes the verdict "unknown"; nothing
 * here throws.
 */

import { RECEIPT_READS_AT_ONCE } from '../../limits';
import type { Settlement } from '../protocol/payment';
import type { AuthorizationUse, ChainReader, TransactionStatus } from './reader';

export interface ChargeRead {
	settlement: Settlement;
	/** The claimed transaction's state; null when none was claimed. */
	transactionOnChain: TransactionStatus | 'unknown' | null;
	checkedAt: string;
}

interface Question {
	payer: `0x${string}`;
	nonce: `0x${string}`;
	transaction: string | null;
	answer: (read: ChargeRead) => void;
}

/**
 * The receipts' reads of one node run, together: up to RECEIPT_READS_AT_ONCE reads in flight,
 * each one JSON-RPC batch of the questions waiting when it starts; questions asked while all are
 * busy go together in the next. Paid answers arrive one by one: fifty of them cost a handful of
 * requests instead of a hundred, and no item holds a concurrency slot while it waits.
 */
export class ChargeReads {
	private waiting: Question[] = [];
	private running = 0;

	constructor(private readonly reader: () => Promise<ChainReader>) {}

	read(
		payer: `0x${string}`,
		nonce: `0x${string}`,
		transaction: string | null,
	): Promise<ChargeRead> {
		return new Promise((answer) => {
			this.waiting.push({ payer, nonce, transaction, answer });
			// Questions asked in the same turn of the event loop start together.
			if (this.waiting.length === 1) void Promise.resolve().then(() => this.next());
		});
	}

	private next(): void {
		if (this.running >= RECEIPT_READS_AT_ONCE || !this.waiting.length) return;
		const round = this.waiting;
		this.waiting = [];
		this.running++;
		void answerRound(this.reader, round).finally(() => {
			this.running--;
			this.next();
		});
	}
}

async function answerRound(reader: () => Promise<ChainReader>, round: Question[]): Promise<void> {
	const hashes = round.flatMap((q) => (q.transaction ? [q.transaction] : []));
	const states = await reader()
		.then(async (r) => await r.chargeStates(round, hashes))
		.catch(() => undefined);
	const checkedAt = new Date().toISOString();
	let hashIndex = 0;
	round.forEach((q, i) => {
		const used = states?.used[i];
		q.answer({
			settlement: used === undefined ? 'unknown' : used ? 'charged' : 'not charged',
			transactionOnChain: q.transaction ? (states?.onChain[hashIndex++] ?? 'unknown') : null,
			checkedAt,
		});
	});
}

/** The chain's word on one authorization nonce of a payer. */
export interface NonceCharge {
	settlement: Settlement;
	checkedAt: string;
	/** The chain's clock at the read (unix seconds): an authorization settles only before validBefore. */
	chainTime?: number;
	/** Where it was used, when charged and found within the lookback. */
	use?: AuthorizationUse;
	/** Charged, but its transaction could not be found (older than the lookback, or no answer). */
	useNotFound?: 'older' | 'unreadable';
}

/**
 * Was (payer, nonce) charged, and where? The token's authorization state, the chain's clock, and
 * for a used nonce the transaction that used it, searched in the last `lookbackBlocks` blocks.
 */
export async function chargeOf(
	reader: () => Promise<ChainReader>,
	payer: `0x${string}`,
	nonce: `0x${string}`,
	lookbackBlocks: number,
): Promise<NonceCharge> {
	const checkedAt = new Date().toISOString();
	try {
		const chain = await reader();
		const [used, tip] = await Promise.all([
			chain.authorizationUsed(payer, nonce),
			chain.latestBlock().catch(() => undefined),
		]);
		const charge: NonceCharge = {
			settlement: used ? 'charged' : 'not charged',
			checkedAt,
			...(tip ? { chainTime: tip.timestamp } : {}),
		};
		if (!used) return charge;
		const use = await chain
			.findAuthorizationUse(payer, nonce, lookbackBlocks)
			.then((found) => found ?? ('older' as const))
			.catch(() => 'unreadable' as const);
		return typeof use === 'string' ? { ...charge, useNotFound: use } : { ...charge, use };
	} catch {
		return { settlement: 'unknown', checkedAt };
	}
}
