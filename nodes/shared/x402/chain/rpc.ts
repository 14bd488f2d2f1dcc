/**
 * JSON-RPC over the package's one HTTP seam: single calls, batches (answers matched by id, in
 * call order), and the number formats of the wire. A failing RPC only makes a verdict "unknown";
 * signing never needs it.
 */

import type { HttpFn } from '../../http';

/** A JSON-RPC error answer, with its code (e.g. -32005 for a block range the RPC refuses). */
export class RpcError extends Error {
	constructor(
		message: string,
		readonly code?: number,
	) {
		super(message);
		this.name = 'RpcError';
	}
}

export type RpcCall = [method: string, params: unknown[]];

export interface JsonRpc {
	request(method: string, params: unknown[]): Promise<unknown>;
	/** Several calls in one HTTP request; throws when the RPC does not answer every one. */
	batch(calls: RpcCall[]): Promise<unknown[]>;
}

interface RpcAnswer {
	id?: unknown;
	result?: unknown;
	error?: { message?: string; code?: unknown };
}

const codeOf = (error: RpcAnswer['error']) =>
	typeof error?.code === 'number' ? error.code : undefined;

export function jsonRpc(http: HttpFn, url: string, timeoutMs: number): JsonRpc {
	let id = 0;
	return {
		async request(method, params) {
			const response = await http({
				method: 'POST',
				url,
				body: { jsonrpc: '2.0', id: ++id, method, params },
				timeoutMs,
			});
			const body = response.body as RpcAnswer | undefined;
			if (response.status !== 200 || !body || typeof body !== 'object')
				throw new RpcError(`RPC answered HTTP ${response.status}`);
			if (body.error) {
				throw new RpcError(
					`RPC error: ${String(body.error.message ?? 'unknown').slice(0, 200)}`,
					codeOf(body.error),
				);
			}
			return body.result;
		},
		async batch(calls) {
			const ids = calls.map(() => ++id);
			const body = calls.map(([method, params], i) => ({
				jsonrpc: '2.0',
				id: ids[i],
				method,
				params,
			}));
			const response = await http({ method: 'POST', url, body, timeoutMs });
			if (response.status !== 200 || !Array.isArray(response.body))
				throw new RpcError(`RPC answered a batch with HTTP ${response.status} and no list`);
			const byId = new Map((response.body as RpcAnswer[]).map((r) => [r.id, r]));
			return ids.map((i) => {
				const answer = byId.get(i);
				if (!answer || answer.error)
					throw new RpcError(
						`RPC error in a batch: ${String(answer?.error?.message ?? 'no answer').slice(0, 200)}`,
						codeOf(answer?.error),
					);
				return answer.result;
			});
		},
	};
}

/** `work` over every input, at most `limit` at once, results in input order. */
export async function inParallel<T, R>(
	inputs: T[],
	limit: number,
	work: (input: T) => Promise<R>,
): Promise<R[]> {
	const results: R[] = new Array(inputs.length);
	let next = 0;
	await Promise.all(
		Array.from({ length: Math.min(limit, inputs.length) }, async () => {
			while (next < inputs.length) {
				const i = next++;
				results[i] = await work(inputs[i]);
			}
		}),
	);
	return results;
}

export function hex(value: bigint): string {
	return `0x${value.toString(16)}`;
}

/** A JSON-RPC quantity or a uint256 return value. */
export function quantity(value: unknown): bigint {
	if (typeof value !== 'string' || !/^0x[0-9a-fA-F]{0,64}$/.test(value))
		throw new RpcError('RPC answered something that is not a number');
	return value === '0x' ? 0n : BigInt(value);
}

/** A block's number and time (unix seconds). */
export interface BlockStamp {
	number: bigint;
	timestamp: number;
}

/** A block answer's number and time. */
export function blockStamp(value: unknown): BlockStamp {
	const block = value as { number?: unknown; timestamp?: unknown } | null;
	if (!block) throw new RpcError('RPC answered no block');
	return { number: quantity(block.number), timestamp: Number(quantity(block.timestamp)) };
}
