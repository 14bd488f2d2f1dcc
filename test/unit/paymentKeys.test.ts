/**
 * Which paid call an item is: the payment key is stable across every try of one call
 * (Retry On Fail on a plain node and on both tool paths, n8n's Retry of a failed or crashed
 * execution, a chain of retries that saved the origin) and differs between calls (items,
 * loop runs, tool calls, executions). The contexts here carry only what the key is read from;
 * the real n8n contexts are in test/integration (engine) and scripts/e2e (the app).
 */
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { callScope, digest, readIdempotencyKey } from '../../nodes/shared/paymentKeys';
import { NanoBananaError } from '../../nodes/shared/errors';

interface Shape {
	executionId?: string;
	/** What the MCP Server Trigger hands its tools: the MCP request (n8n 2.x, trigger 2.1: `{ body, headers }`). */
	mcp?: { body: IDataObject; headers: IDataObject };
	mode?: string;
	retryOf?: string;
	nodeContext?: Record<string, unknown>;
	input?: IDataObject[];
	type?: string;
	workflowId?: string;
}

function context(shape: Shape = {}): IExecuteFunctions {
	const nodeContext = shape.nodeContext ?? {};
	return {
		getWorkflow: () => ({ id: shape.workflowId ?? 'wf-1', name: 'w', active: true }),
		getExecutionId: () => (shape.mcp ? undefined : (shape.executionId ?? 'exec-1')),
		getExecuteData: () => ({
			data: { main: [[{ json: shape.mcp ?? {} }]] },
			node: {},
			source: null,
		}),
		getMode: () => shape.mode ?? 'webhook',
		getNode: () => ({
			id: 'node-uuid',
			name: 'Generate',
			type: shape.type ?? 'n8n-nodes-nano-banana.nanoBananaGenerate',
			typeVersion: 1,
			position: [0, 0],
			parameters: {},
		}),
		getContext: () => nodeContext,
		getInputData: () => (shape.input ?? [{}, {}, {}]).map((json) => ({ json })),
		// n8n 2.x: the execution's lifecycle hooks carry retryOf.
		additionalData: { hooks: shape.retryOf ? { retryOf: shape.retryOf } : {} },
	} as unknown as IExecuteFunctions;
}

const keyOf = (shape: Shape, item = 0, run = 0, tool = false, idempotency?: string) =>
	callScope(context(shape), run, tool).callFor(item, idempotency);

describe('a plain node', () => {
	it('keeps one key for every try of an item, whatever else changes', () => {
		const first = keyOf({}, 1);
		expect(keyOf({}, 1)).toEqual(first); // Retry On Fail: same execution, run and item
		expect(first.key).toBe(JSON.stringify(['item', 'wf-1', 'exec-1', 'node-uuid', 0, 1]));
		expect(first.mayRepeat).toBe(false); // a fresh call: no chain read before paying
	});

	it('gives items, loop runs, executions and workflows their own keys', () => {
		const keys = [
			keyOf({}, 0),
			keyOf({}, 1),
			keyOf({}, 0, 1),
			keyOf({ executionId: 'exec-2' }, 0),
			keyOf({ workflowId: 'wf-2' }, 0),
		].map((c) => c.key);
		expect(new Set(keys).size).toBe(keys.length);
	});

	it("maps n8n's Retry (retryOf) to the original execution's keys, and reads the chain first", () => {
		const original = keyOf({ executionId: '41' }, 2);
		const retry = keyOf({ executionId: '57', mode: 'retry', retryOf: '41' }, 2);
		expect(retry.key).toBe(original.key);
		expect(retry.mayRepeat).toBe(true);
		expect(retry.where).toMatchObject({ execution: '57', retryOf: '41', item: 2 });
	});

	it('keeps the origin a failed try stored: a Retry of a Retry maps to the first execution', () => {
		const nodeContext: Record<string, unknown> = {};
		callScope(context({ executionId: '41', nodeContext }), 0, false); // the first execution stores its origin
		const second = callScope(
			context({ executionId: '57', mode: 'retry', retryOf: '41', nodeContext }),
			0,
			false,
		);
		const third = callScope(
			context({ executionId: '63', mode: 'retry', retryOf: '57', nodeContext }),
			0,
			false,
		);
		expect(second.callFor(0, undefined).key).toBe(keyOf({ executionId: '41' }, 0).key);
		expect(third.callFor(0, undefined).key).toBe(keyOf({ executionId: '41' }, 0).key);
		expect(nodeContext.nanoBananaOrigin).toBe('41');
	});

	it('refuses to pay in a Retry whose original execution n8n does not name (n8n 1.x), unless an Idempotency Key names the item', () => {
		const error = (() => {
			try {
				keyOf({ executionId: '57', mode: 'retry' }, 0);
			} catch (e) {
				return e as NanoBananaError;
			}
			return undefined;
		})();
		expect(error).toBeInstanceOf(NanoBananaError);
		expect(error?.message).toMatch(/"retry" rule.*Nothing was signed or paid/);
		expect(error?.hint).toMatch(/Idempotency Key/);
		expect(keyOf({ executionId: '57', mode: 'retry' }, 0, 0, false, 'row-17').key).toBe(
			keyOf({}, 0, 0, false, 'row-17').key,
		);
	});
});

describe('an Idempotency Key', () => {
	it('names the call across executions and runs, per node and workflow, and always reads the chain first', () => {
		const a = keyOf({ executionId: '1' }, 0, 0, false, 'row-17');
		const b = keyOf({ executionId: '2' }, 5, 3, false, 'row-17');
		expect(b.key).toBe(a.key);
		expect(a.mayRepeat).toBe(true);
		expect(keyOf({ workflowId: 'wf-9' }, 0, 0, false, 'row-17').key).not.toBe(a.key);
		expect(keyOf({}, 0, 0, false, 'row-18').key).not.toBe(a.key);
	});

	it('is validated: text or a number, not blank, at most 500 characters, no control characters', () => {
		expect(readIdempotencyKey({})).toBeUndefined();
		expect(readIdempotencyKey({ idempotencyKey: ' row-1 ' })).toBe('row-1');
		expect(readIdempotencyKey({ idempotencyKey: 42 })).toBe('42');
		for (const bad of ['', '   ', null, { a: 1 }, 'x'.repeat(501), 'a\u0000b']) {
			expect(() => readIdempotencyKey({ idempotencyKey: bad as never })).toThrow(
				/^Idempotency Key: /,
			);
		}
	});
});

describe('as an AI-agent tool', () => {
	const toolType = 'n8n-nodes-nano-banana.nanoBananaGenerateTool';

	it("n8n's engine path: the model's tool call id and arguments name the call, not the run index", () => {
		const input = [{ prompt: 'a banana', toolCallId: 'call_1' }];
		const first = keyOf({ input, type: toolType }, 0, 4, true);
		expect(keyOf({ input, type: toolType }, 0, 4, true).key).toBe(first.key); // Retry On Fail
		expect(first.key).toBe(
			JSON.stringify([
				'tool call',
				'wf-1',
				'exec-1',
				'node-uuid',
				'call_1',
				digest({ prompt: 'a banana' }),
			]),
		);
		// Two calls of the model with the same arguments are two calls.
		expect(
			keyOf({ input: [{ prompt: 'a banana', toolCallId: 'call_2' }], type: toolType }, 0, 5, true)
				.key,
		).not.toBe(first.key);
	});

	it('the older tool wrapper (MCP Server Trigger, n8n 1.x agents): a retried call gets a new run index but keeps its key', () => {
		const input = [{ prompt: 'a banana', aspectRatio: '16:9' }];
		const tries = [0, 1, 2].map((run) => keyOf({ input, type: toolType }, 0, run, true).key);
		expect(new Set(tries).size).toBe(1);
		// Other arguments: another call. The same arguments twice in one execution: the same call.
		expect(
			keyOf({ input: [{ aspectRatio: '16:9', prompt: 'a banana' }], type: toolType }, 0, 7, true)
				.key,
		).toBe(tries[0]);
		expect(
			keyOf({ input: [{ prompt: 'a cherry', aspectRatio: '16:9' }], type: toolType }, 0, 1, true)
				.key,
		).not.toBe(tries[0]);
		// Each MCP tool call is its own execution.
		expect(keyOf({ input, type: toolType, executionId: 'exec-2' }, 0, 0, true).key).not.toBe(
			tries[0],
		);
	});
});

describe('as a tool of the MCP Server Trigger (no execution yet while it answers the MCP request)', () => {
	const toolType = 'n8n-nodes-nano-banana.nanoBananaGenerateTool';
	const mcp = (id: number, session = 'session-a') => ({
		body: {
			jsonrpc: '2.0',
			id,
			method: 'tools/call',
			params: { name: 'Nano_Banana', arguments: { prompt: 'a banana' } },
		},
		headers: { 'mcp-session-id': session },
	});
	const input = [{ prompt: 'a banana' }];

	it('names the call by the MCP session and the JSON-RPC id of the tools/call: the same for each try, new for the next call', () => {
		const tries = [0, 1, 2].map((run) =>
			keyOf({ mcp: mcp(7), input, type: toolType }, 0, run, true),
		);
		expect(new Set(tries.map((t) => t.key)).size).toBe(1);
		expect(tries[0].key).toContain('mcp session session-a request 7');
		expect(tries[0].mayRepeat).toBe(false);
		expect(keyOf({ mcp: mcp(8), input, type: toolType }, 0, 0, true).key).not.toBe(tries[0].key);
		expect(keyOf({ mcp: mcp(7, 'session-b'), input, type: toolType }, 0, 0, true).key).not.toBe(
			tries[0].key,
		);
	});

	it('refuses to pay when neither an execution nor an MCP request names the call', () => {
		expect(() =>
			keyOf({ mcp: { body: mcp(7).body, headers: {} }, input, type: toolType }, 0, 0, true),
		).toThrow(/"retry" rule: this node runs outside any execution n8n names/);
	});
});
