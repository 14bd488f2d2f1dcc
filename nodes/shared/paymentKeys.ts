/**
 * Which paid call an item is. The answer decides the call's EIP-3009 nonce (nonce.ts), so it
 * must be the same for every try of one call and differ between calls, using only what n8n
 * keeps across a worker that dies, a Retry and Retry On Fail:
 *
 *   Idempotency Key set     ["idempotency key", workflow id, node id, the key]
 *   plain node (default)    ["item", workflow id, origin, node id, run index, item index]
 * as an AI-agent tool ["tool call", workflow id, origin, node id, tool call id, hash of the call's
 * arguments]
 *
 * origin is the execution the call first ran in: this execution, or the one n8n's Retry
 * retries (`retryOf`, which n8n 2.x gives the execution's lifecycle hooks), or the origin an
 * earlier try in this chain of retries stored in the node's context (saved when the node
 * finished or failed there). The MCP Server Trigger runs its tools while answering the MCP
 * request, before any execution exists: there the origin is that request (the MCP session
 * and the JSON-RPC id of its tools/call), the same for every try of the call and new for the
 * next call. Run and item index are stable across tries: n8n drops a failed
 * run before retrying, and Retry On Fail re-runs the same items. A tool call has no stable
 * run index (the older tool wrapper gives each try a new one), so it is the model's tool call
 * id, where n8n's engine gives one, and the arguments the model sent.
 */

import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { createHash } from 'crypto';
import { InputError } from './errors';
import { MAX_IDEMPOTENCY_KEY_LENGTH } from './limits';
import type { PaymentCall } from './x402/once/call';
import { PolicyError } from './x402/controls';

const ORIGIN_KEY = 'nanoBananaOrigin';

export interface CallScope {
	/** The execution this run's calls first ran in. */
	readonly origin: string | undefined;
	/** Whether calls of this run may have been tried before (a Retry, or a continued chain). */
	readonly continued: boolean;
	readonly tool: boolean;
	/** The paid call of one item; throws when it cannot be identified safely. */
	callFor(itemIndex: number, idempotencyKey: string | undefined): PaymentCall;
}

export function callScope(context: IExecuteFunctions, runIndex: number, tool: boolean): CallScope {
	const workflowId = String(context.getWorkflow().id ?? '');
	const executionId = String(context.getExecutionId() ?? '');
	const node = context.getNode();
	const nodeContext = context.getContext('node');
	const stored = nodeContext[ORIGIN_KEY];
	const retryOf = retryOfExecution(context);
	const request = executionId ? undefined : mcpRequest(context);
	const own = executionId || request;
	const origin =
		typeof stored === 'string' && stored
			? stored
			: (retryOf ?? (context.getMode() === 'retry' ? undefined : own));
	if (origin) nodeContext[ORIGIN_KEY] = origin;
	const continued = origin !== own;
	return {
		origin,
		continued,
		tool,
		callFor(itemIndex, idempotencyKey) {
			const where = {
				workflow: workflowId,
				execution: executionId,
				node: node.name,
				item: itemIndex,
				run: runIndex,
				...(continued && origin ? { retryOf: origin } : {}),
			};
			if (idempotencyKey !== undefined) {
				return {
					key: JSON.stringify(['idempotency key', workflowId, node.id, idempotencyKey]),
					mayRepeat: true,
					where,
				};
			}
			if (!origin) {
				throw new PolicyError(
					'retry',
					undefined,
					context.getMode() === 'retry'
						? 'this execution is a Retry, and this n8n version does not tell nodes which execution it retries, so the node cannot tell whether this item was paid before'
						: 'this node runs outside any execution n8n names, so a retry of this call could not be told from a new call',
					'an execution n8n names, or an Idempotency Key',
				);
			}
			if (tool) {
				const json = context.getInputData()[itemIndex]?.json ?? {};
				const { toolCallId, ...args } = json;
				const callId =
					typeof toolCallId === 'string' || typeof toolCallId === 'number'
						? String(toolCallId)
						: '';
				return {
					key: JSON.stringify(['tool call', workflowId, origin, node.id, callId, digest(args)]),
					mayRepeat: continued,
					where,
				};
			}
			return {
				key: JSON.stringify(['item', workflowId, origin, node.id, runIndex, itemIndex]),
				mayRepeat: continued,
				where,
			};
		},
	};
}

/**
 * The Idempotency Key of an item: text (or a number), not blank, bounded, no control characters.
 */
export function readIdempotencyKey(options: IDataObject): string | undefined {
	if (!Object.prototype.hasOwnProperty.call(options, 'idempotencyKey')) return undefined;
	const raw = options.idempotencyKey;
	const text =
		typeof raw === 'number' && Number.isFinite(raw)
			? String(raw)
			: typeof raw === 'string'
				? raw.trim()
				: undefined;
	if (text === undefined) {
		throw new InputError(
			'Idempotency Key',
			`must be text or a number, got ${raw === null ? 'null' : typeof raw}`,
			'Map a field that names the item, e.g. {{ $json.id }}.',
		);
	}
	if (!text)
		throw new InputError(
			'Idempotency Key',
			'is empty for this item',
			'Map a field every item has, e.g. {{ $json.id }}, or remove the option.',
		);
	if (text.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
		throw new InputError(
			'Idempotency Key',
			`is ${text.length} characters long; at most ${MAX_IDEMPOTENCY_KEY_LENGTH} are accepted`,
			'Use a shorter id, or a hash of the long one.',
		);
	}
	// eslint-disable-next-line no-control-regex
	if (/[\u0000-\u001F\u007F]/.test(text))
		throw new InputError(
			'Idempotency Key',
			'contains control characters',
			'Use printable text, e.g. a row id.',
		);
	return text;
}

/**
 * The MCP request a tool runs for, when the MCP Server Trigger runs it: its session (the
 * `mcp-session-id` header) and the JSON-RPC id of the tools/call message. n8n 2.x's trigger
 * (2.1) hands the tool `{ body, headers }`; earlier ones the body, with the HTTP request on
 * the execution's additional data.
 */
function mcpRequest(context: IExecuteFunctions): string | undefined {
	const executeData: unknown =
		typeof context.getExecuteData === 'function' ? context.getExecuteData() : undefined;
	const main =
		executeData && typeof executeData === 'object'
			? (
					Reflect.get(executeData, 'data') as
						| { main?: Array<Array<{ json?: unknown }> | null> }
						| undefined
				)?.main
			: undefined;
	const json = main?.[0]?.[0]?.json;
	const input = json && typeof json === 'object' ? (json as Record<string, unknown>) : {};
	const body = (input.body && typeof input.body === 'object' ? input.body : input) as Record<
		string,
		unknown
	>;
	if (body.method !== 'tools/call' || (typeof body.id !== 'string' && typeof body.id !== 'number'))
		return undefined;
	const additionalData: unknown = Reflect.get(context, 'additionalData');
	const request: unknown =
		additionalData && typeof additionalData === 'object'
			? Reflect.get(additionalData, 'httpRequest')
			: undefined;
	const headers = (
		input.headers && typeof input.headers === 'object'
			? input.headers
			: request && typeof request === 'object'
				? Reflect.get(request, 'headers')
				: undefined
	) as Record<string, unknown> | undefined;
	const session = headers?.['mcp-session-id'];
	if (typeof session !== 'string' || !session) return undefined;
	return `mcp session ${session} request ${String(body.id)}`;
}

/**
 * The execution n8n's Retry retries. n8n 2.x keeps it on the execution's lifecycle hooks; n8n 1.x
 * gives nodes no way to read it.
 */
function retryOfExecution(context: IExecuteFunctions): string | undefined {
	const additionalData: unknown = Reflect.get(context, 'additionalData');
	const hooks: unknown =
		additionalData && typeof additionalData === 'object'
			? Reflect.get(additionalData, 'hooks')
			: undefined;
	const retryOf: unknown =
		hooks && typeof hooks === 'object' ? Reflect.get(hooks, 'retryOf') : undefined;
	return typeof retryOf === 'string' && retryOf ? retryOf : undefined;
}

/** A short, stable digest of JSON data (object keys sorted). */
export function digest(value: unknown): string {
	return createHash('sha256').update(canonical(value), 'utf8').digest('hex').slice(0, 32);
}

function canonical(value: unknown): string {
	if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
	if (value && typeof value === 'object') {
		return `{${Object.keys(value)
			.sort()
			.map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
			.join(',')}}`;
	}
	return JSON.stringify(value) ?? 'null';
}
