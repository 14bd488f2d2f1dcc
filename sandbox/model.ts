/**
 * A scripted language model behind an OpenAI-compatible API: the stand-in for the model in the
 * app tests of the package's tools (n8n's OpenAI Chat Model node pointed at it). It speaks the
 * two APIs that node uses: Chat Completions (`/v1/chat/completions`) and the Responses API
 * (`/v1/responses`), each streaming (server-sent events) or not, with parallel tool calls.
 * Development only.
 *
 * The script is stateless, as a model is: every answer follows from the conversation it is sent.
 * The user message names the images wanted, `images: a red banana | a blue banana`:
 *   1. no tool result yet        → one call of the Generate tool per prompt, all in one turn (parallel)
 *   2. Generate results, no Wait → one call of the Wait tool per result carrying a `statusUrl`
 *   3. otherwise                 → a final text: the image URLs it read and every refusal, verbatim
 * Or, `buy: a prompt` with a paid-request tool (X402 Request) offered: one call of it, then a final
 * text with what it answered (status, cost, or the refusal).
 * Every request is kept (`requests`) so tests can read what the model was told.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from './body';

export type ModelApi = 'chat completions' | 'responses';

/** One tool as offered to the model. */
export interface OfferedTool {
	name: string;
	description: string;
	parameters: { properties?: Record<string, unknown>; required?: string[] } & Record<
		string,
		unknown
	>;
}

/** A request the model received, normalised over both APIs. */
export interface ModelRequest {
	api: ModelApi;
	stream: boolean;
	tools: OfferedTool[];
	/** The last user message. */
	user: string;
	/** Tool calls made so far in the conversation, with their results when sent back. */
	calls: Array<{ id: string; name: string; arguments: string; output?: string }>;
	/** The raw body, exactly as sent. */
	raw: string;
}

interface ToolCall {
	id: string;
	name: string;
	arguments: string;
}

/** What the script answers: tool calls or a final text. */
type Turn = { calls: ToolCall[] } | { text: string };

export interface ScriptedModel {
	/** Base URL for n8n's OpenAI credential (`…/v1`). */
	url: string;
	requests: ModelRequest[];
	close(): Promise<void>;
}

const text = (content: unknown): string =>
	typeof content === 'string'
		? content
		: Array.isArray(content)
			? content
					.map((p) => (typeof p === 'string' ? p : ((p as { text?: string }).text ?? '')))
					.join('')
			: '';

/** Reads a Chat Completions or Responses request into one shape. */
export function readRequest(api: ModelApi, raw: string): ModelRequest {
	const body = JSON.parse(raw) as Record<string, unknown>;
	const calls: ModelRequest['calls'] = [];
	let user = '';
	const tools: OfferedTool[] = ((body.tools as Array<Record<string, unknown>>) ?? []).map((t) => {
		const f = (api === 'chat completions' ? t.function : t) as Record<string, unknown>;
		return {
			name: String(f.name),
			description: String(f.description ?? ''),
			parameters: (f.parameters ?? {}) as OfferedTool['parameters'],
		};
	});
	if (api === 'chat completions') {
		for (const m of (body.messages as Array<Record<string, unknown>>) ?? []) {
			if (m.role === 'user') user = text(m.content);
			const toolCalls = m.tool_calls as
				| Array<{ id: string; function: { name: string; arguments: string } }>
				| undefined;
			for (const c of toolCalls ?? [])
				calls.push({ id: c.id, name: c.function.name, arguments: c.function.arguments });
			if (m.role === 'tool') {
				const call = calls.find((c) => c.id === m.tool_call_id);
				if (call) call.output = text(m.content);
			}
		}
	} else {
		const input = body.input;
		type Item = {
			role?: string;
			type?: string;
			content?: unknown;
			call_id: string;
			name: string;
			arguments: string;
			output?: unknown;
		};
		for (const m of typeof input === 'string'
			? [{ role: 'user', content: input } as Item]
			: ((input as Item[]) ?? [])) {
			if (m.role === 'user') user = text(m.content);
			if (m.type === 'function_call')
				calls.push({ id: m.call_id, name: m.name, arguments: m.arguments });
			if (m.type === 'function_call_output') {
				const call = calls.find((c) => c.id === m.call_id);
				if (call) call.output = text(m.output);
			}
		}
	}
	return { api, stream: body.stream === true, tools, user, calls, raw };
}

/** A tool result as JSON: n8n's engine answers a node tool's items as an array, the older wrapper one object. */
export const parseToolOutput = (s: string | undefined): Record<string, unknown> | undefined => {
	try {
		const parsed = JSON.parse(s ?? '') as unknown;
		const v = Array.isArray(parsed) && parsed.length === 1 ? (parsed[0] as unknown) : parsed;
		return v && typeof v === 'object' && !Array.isArray(v)
			? (v as Record<string, unknown>)
			: undefined;
	} catch {
		return undefined;
	}
};

/**
 * A tool's arguments as its schema asks: a tool behind n8n's human-review node takes them nested
 * in `toolParameters` (beside `hitlParameters`).
 */
const argumentsFor = (tool: OfferedTool, args: Record<string, unknown>): string =>
	JSON.stringify(tool.parameters.properties?.toolParameters ? { toolParameters: args } : args);

/** The script (see the file comment). */
export function nextTurn(request: ModelRequest, callIds: () => string): Turn {
	const paid = request.tools.find((t) => /paid|x402/i.test(t.name));
	const buy = /buy:\s*(.+)$/is.exec(request.user)?.[1]?.trim();
	if (paid && buy) {
		const bought = request.calls.find((c) => c.name === paid.name);
		if (!bought)
			return {
				calls: [{ id: callIds(), name: paid.name, arguments: argumentsFor(paid, { prompt: buy }) }],
			};
		const out = parseToolOutput(bought.output);
		return {
			text: out?.error
				? `Refused: ${String(out.error)}`
				: `Bought: HTTP ${String(out?.statusCode)}, cost ${String(out?.costUsdc)} USDC`,
		};
	}
	const generate = request.tools.find((t) => /generate/i.test(t.name));
	const wait = request.tools.find((t) => /wait/i.test(t.name));
	const prompts = (/images:\s*(.+)$/is.exec(request.user)?.[1] ?? '')
		.split('|')
		.map((p) => p.trim())
		.filter(Boolean);
	const generated = request.calls.filter((c) => c.name === generate?.name);
	const waited = request.calls.filter((c) => c.name === wait?.name);
	if (generate && prompts.length && generated.length === 0)
		return {
			calls: prompts.map((prompt) => ({
				id: callIds(),
				name: generate.name,
				arguments: argumentsFor(generate, { prompt }),
			})),
		};
	const jobs = generated
		.map((c) => parseToolOutput(c.output)?.statusUrl)
		.filter((u): u is string => typeof u === 'string');
	if (wait && jobs.length && waited.length === 0)
		return {
			calls: jobs.map((statusUrl) => ({
				id: callIds(),
				name: wait.name,
				arguments: argumentsFor(wait, { statusUrl }),
			})),
		};
	const images = waited.flatMap(
		(c) =>
			((parseToolOutput(c.output)?.images as Array<{ url?: string }>) ?? []).map((i) => i.url) ??
			[],
	);
	const refusals = request.calls
		.map((c) => parseToolOutput(c.output))
		.filter((o) => o && typeof o.error === 'string')
		.map((o) => String(o!.error));
	return {
		text: [
			`Made ${images.length} image(s).`,
			...images.map((u) => `- ${u}`),
			...refusals.map((r) => `Refused: ${r}`),
		].join('\n'),
	};
}

function sse(res: http.ServerResponse, events: Array<{ event?: string; data: unknown }>) {
	res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
	for (const e of events)
		res.write(`${e.event ? `event: ${e.event}\n` : ''}data: ${JSON.stringify(e.data)}\n\n`);
}

function chatCompletions(res: http.ServerResponse, request: ModelRequest, turn: Turn, n: number) {
	const id = `chatcmpl-${n}`;
	const created = Math.floor(Date.now() / 1000);
	const base = { id, created, model: 'scripted' };
	const toolCalls =
		'calls' in turn
			? turn.calls.map((c) => ({
					id: c.id,
					type: 'function',
					function: { name: c.name, arguments: c.arguments },
				}))
			: undefined;
	const finish = toolCalls ? 'tool_calls' : 'stop';
	const usage = { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 };
	if (!request.stream) {
		res.writeHead(200, { 'content-type': 'application/json' });
		res.end(
			JSON.stringify({
				...base,
				object: 'chat.completion',
				choices: [
					{
						index: 0,
						message: {
							role: 'assistant',
							content: 'text' in turn ? turn.text : null,
							...(toolCalls ? { tool_calls: toolCalls } : {}),
						},
						finish_reason: finish,
					},
				],
				usage,
			}),
		);
		return;
	}
	const chunk = (delta: unknown, finish_reason: string | null = null) => ({
		data: {
			...base,
			object: 'chat.completion.chunk',
			choices: [{ index: 0, delta, finish_reason }],
		},
	});
	const events: Array<{ data: unknown }> = [chunk({ role: 'assistant', content: '' })];
	if (toolCalls)
		toolCalls.forEach((c, index) => {
			events.push(
				chunk({
					tool_calls: [
						{
							index,
							id: c.id,
							type: 'function',
							function: { name: c.function.name, arguments: '' },
						},
					],
				}),
			);
			events.push(
				chunk({ tool_calls: [{ index, function: { arguments: c.function.arguments } }] }),
			);
		});
	else
		for (const piece of (turn as { text: string }).text.match(/[\s\S]{1,16}/g) ?? [])
			events.push(chunk({ content: piece }));
	events.push(chunk({}, finish));
	events.push({ data: { ...base, object: 'chat.completion.chunk', choices: [], usage } });
	sse(res, events);
	res.end('data: [DONE]\n\n');
}

function responses(res: http.ServerResponse, request: ModelRequest, turn: Turn, n: number) {
	const id = `resp_${n}`;
	const output =
		'calls' in turn
			? turn.calls.map((c, i) => ({
					type: 'function_call',
					id: `fc_${n}_${i}`,
					call_id: c.id,
					name: c.name,
					arguments: c.arguments,
					status: 'completed',
				}))
			: [
					{
						type: 'message',
						id: `msg_${n}`,
						role: 'assistant',
						status: 'completed',
						content: [{ type: 'output_text', text: turn.text, annotations: [] }],
					},
				];
	const response = {
		id,
		object: 'response',
		created_at: Math.floor(Date.now() / 1000),
		status: 'completed',
		model: 'scripted',
		output,
		parallel_tool_calls: true,
		tool_choice: 'auto',
		tools: [],
		usage: { input_tokens: 10, output_tokens: 10, total_tokens: 20 },
	};
	if (!request.stream) {
		res.writeHead(200, { 'content-type': 'application/json' });
		res.end(JSON.stringify(response));
		return;
	}
	let seq = 0;
	const ev = (type: string, data: Record<string, unknown>) => ({
		event: type,
		data: { type, sequence_number: seq++, ...data },
	});
	const events = [
		ev('response.created', { response: { ...response, status: 'in_progress', output: [] } }),
	];
	output.forEach((item, output_index) => {
		if (item.type === 'function_call') {
			events.push(
				ev('response.output_item.added', {
					output_index,
					item: { ...item, arguments: '', status: 'in_progress' },
				}),
			);
			events.push(
				ev('response.function_call_arguments.delta', {
					output_index,
					item_id: item.id,
					delta: (item as { arguments: string }).arguments,
				}),
			);
		} else {
			events.push(
				ev('response.output_item.added', {
					output_index,
					item: { ...item, content: [], status: 'in_progress' },
				}),
			);
			const full = (turn as { text: string }).text;
			for (const delta of full.match(/[\s\S]{1,16}/g) ?? [])
				events.push(
					ev('response.output_text.delta', {
						output_index,
						item_id: item.id,
						content_index: 0,
						delta,
					}),
				);
		}
		events.push(ev('response.output_item.done', { output_index, item }));
	});
	events.push(ev('response.completed', { response }));
	sse(res, events);
	res.end();
}

/** Starts the scripted model on a free local port. */
export async function startModel(): Promise<ScriptedModel> {
	const requests: ModelRequest[] = [];
	let n = 0;
	let ids = 0;
	const server = http.createServer((req, res) => {
		void (async () => {
			const raw = (await readBody(req)).toString('utf8');
			const path = (req.url ?? '').split('?')[0];
			if (req.method === 'GET' && path.endsWith('/models')) {
				res.writeHead(200, { 'content-type': 'application/json' });
				res.end(JSON.stringify({ object: 'list', data: [{ id: 'scripted', object: 'model' }] }));
				return;
			}
			const api: ModelApi | undefined = path.endsWith('/chat/completions')
				? 'chat completions'
				: path.endsWith('/responses')
					? 'responses'
					: undefined;
			if (req.method !== 'POST' || !api) {
				res.writeHead(404, { 'content-type': 'application/json' });
				res.end(JSON.stringify({ error: { message: `no route ${req.method} ${path}` } }));
				return;
			}
			const request = readRequest(api, raw);
			requests.push(request);
			const turn = nextTurn(request, () => `call_${++ids}`);
			n++;
			if (api === 'chat completions') chatCompletions(res, request, turn, n);
			else responses(res, request, turn, n);
		})().catch((error: Error) => {
			res.writeHead(500, { 'content-type': 'application/json' });
			res.end(JSON.stringify({ error: { message: error.message } }));
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	return {
		url: `http://127.0.0.1:${port}/v1`,
		requests,
		close: () =>
			new Promise<void>((resolve) => {
				server.closeAllConnections();
				server.close(() => resolve());
			}),
	};
}
