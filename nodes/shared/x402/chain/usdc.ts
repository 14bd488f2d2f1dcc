/**
 * USDC as the chain shows it: the fixed ABI encodings of the two view functions the package
 * calls and the topics of the two events it reads, and the one reading of those events.
 * Selectors and topics are the first 4 / all 32 bytes of keccak-256 of the signatures (checked
 * against viem in test/unit/chain.test.ts).
 */

import { quantity, RpcError } from './rpc';

export const SELECTORS = Object.freeze({
	/** balanceOf(address) */
	balanceOf: '0x70a08231',
	/** authorizationState(address,bytes32) */
	authorizationState: '0xe94a0102',
});

export const TOPICS = Object.freeze({
	/** Transfer(address indexed from, address indexed to, uint256 value) */
	transfer: '0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef',
	/**
	 * AuthorizationUsed(address indexed authorizer, bytes32 indexed nonce): emitted once per EIP-3009
	 * nonce.
	 */
	nonceUsed: '0x98de503528ee59b575ef0c0a2576a82497bfc029a5685b209e9ec333479b10a5',
});

/** One event log of the USDC contract. */
export interface ChainLog {
	/** The contract that emitted it (lower case). */
	address: string;
	blockNumber: bigint;
	transactionHash: string;
	logIndex: number;
	topics: string[];
	data: string;
	/** Unix seconds of its block, when the RPC includes it (newer nodes do); undefined otherwise. */
	blockTimestamp?: number;
}

export function parseLogs(value: unknown): ChainLog[] {
	if (!Array.isArray(value)) throw new RpcError('RPC answered logs that are not a list');
	return value.map((raw) => {
		const log = raw as Record<string, unknown>;
		const topics = Array.isArray(log.topics)
			? log.topics.filter((t): t is string => typeof t === 'string')
			: [];
		return {
			address: typeof log.address === 'string' ? log.address.toLowerCase() : '',
			blockNumber: quantity(log.blockNumber),
			transactionHash: typeof log.transactionHash === 'string' ? log.transactionHash : '',
			logIndex: Number(quantity(log.logIndex ?? '0x0')),
			topics,
			data: typeof log.data === 'string' ? log.data : '0x',
			...(typeof log.blockTimestamp === 'string' && /^0x[0-9a-f]+$/i.test(log.blockTimestamp)
				? { blockTimestamp: Number(BigInt(log.blockTimestamp)) }
				: {}),
		};
	});
}

/**
 * One USDC transfer out of a wallet, read from its Transfer log: the one type for a payment the
 * chain shows (the spending history dates it, Get Payments adds its authorization nonce).
 */
export interface Transfer {
	to: string;
	amountAtomic: bigint;
	transaction: string;
	logIndex: number;
	blockNumber: bigint;
	/** Unix seconds of its block: from the log when the RPC gives it, else read or estimated. */
	time?: number;
	/** The EIP-3009 nonce, when the same transaction used one of the wallet's authorizations. */
	nonce?: string;
}

/** The one reading of USDC Transfer logs: the transfer out of `payer` this log is, or undefined. */
export function transferOut(log: ChainLog, payer: string, token: string): Transfer | undefined {
	if (
		log.address !== token.toLowerCase() ||
		log.topics[0] !== TOPICS.transfer ||
		log.topics[1]?.toLowerCase() !== addressTopic(payer) ||
		!log.topics[2]
	)
		return undefined;
	return {
		to: `0x${log.topics[2].slice(-40)}`,
		amountAtomic: quantity(log.data),
		transaction: log.transactionHash,
		logIndex: log.logIndex,
		blockNumber: log.blockNumber,
		...(log.blockTimestamp !== undefined ? { time: log.blockTimestamp } : {}),
	};
}

/** The EIP-3009 nonce an AuthorizationUsed log of `payer` carries, or undefined. */
export function authorizationNonce(log: ChainLog, payer: string): string | undefined {
	return log.topics[0] === TOPICS.nonceUsed && log.topics[1]?.toLowerCase() === addressTopic(payer)
		? log.topics[2]
		: undefined;
}

/** An address as an indexed event topic (a filter on `from`, `to` or `authorizer`). */
export function addressTopic(address: string): string {
	return `0x${word(address)}`;
}

/** One 32-byte ABI word: an address or a bytes32, left-padded hex without 0x. */
export function word(value: string): string {
	const text = value.replace(/^0x/i, '').toLowerCase();
	if (!/^[0-9a-f]{1,64}$/.test(text)) throw new Error('not an ABI word');
	return text.padStart(64, '0');
}

/** The eth_call data of `authorizationState(payer, nonce)`. */
export function authorizationStateCall(payer: string, nonce: string): string {
	return `${SELECTORS.authorizationState}${word(payer)}${word(nonce)}`;
}

/** The eth_call data of `balanceOf(address)`. */
export function balanceOfCall(address: string): string {
	return `${SELECTORS.balanceOf}${word(address)}`;
}
