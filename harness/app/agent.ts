/**
 * The `agent` configuration of `npm run test:e2e`: both nodes as tools of n8n's real AI Agent
 * (with n8n's OpenAI Chat Model pointed at the scripted model of sandbox/model.ts), in Chat
 * Trigger conversations (streaming and not, Chat Completions and the Responses API), behind n8n's
 * human-review tool (the Chat node's approval), and through the MCP Server Trigger driven by the
 * official MCP client. The example workflows examples/ai-agent.json and examples/agent-approval.json
 * are what runs. Development only.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pointAtGateway, walletData, type Sandbox } from '../../sandbox';
import {
	parseToolOutput,
	startModel,
	type ModelApi,
	type ScriptedModel,
} from '../../sandbox/model';
import {
	allowCustomRegistry,
	freePort,
	installThroughN8n,
	n8nEnv,
	N8nRest,
	ROOT,
	startN8n,
	tempHome,
	type NodeRuntime,
} from './host';
import { mcpBothTools } from './mcp';
import { executions, flattedParse } from './records';

export interface AgentContext {
	n8nDir: string;
	runtime: NodeRuntime;
	sandbox: Sandbox;
	registryUrl: string;
	packageName: string;
	packageVersion: string;
	/** n8n 1.x: AI Agent 3 (2.x: 3.1), no human-review tools. */
	n8nMajor: 1 | 2;
	say: (line: string) => void;
	check: (name: string, ok: boolean, detail?: unknown) => void;
}

/** n8n's execution data and workflow parameters, read loosely (their types are n8n's internals). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = Record<string, any>;

interface WorkflowJson {
	name: string;
	nodes: Array<{
		name: string;
		type: string;
		parameters: Loose;
		webhookId?: string;
		credentials?: Record<string, { id: string; name: string }>;
	}>;
	connections: Record<string, unknown>;
	settings?: Record<string, unknown>;
}

const BROWSER =
	'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Loads an example and points it at the sandbox: gateway, credentials, model API, chat path. */
function example(
	file: string,
	sandbox: Sandbox,
	ids: { wallet: string; openAi: string },
	options: {
		api: ModelApi;
		responseMode?: string;
		budgetUsdc?: number;
		name: string;
		agentVersion: number;
	},
): { workflow: WorkflowJson; webhookId: string } {
	const workflow = JSON.parse(
		readFileSync(path.join(ROOT, 'examples', `${file}.json`), 'utf8'),
	) as WorkflowJson;
	pointAtGateway(workflow, sandbox.gateway);
	const webhookId = randomUUID();
	workflow.name = `${workflow.name} (${options.name})`;
	for (const node of workflow.nodes) {
		if (node.credentials?.x402WalletApi) node.credentials.x402WalletApi.id = ids.wallet;
		if (node.credentials?.openAiApi) node.credentials.openAiApi.id = ids.openAi;
		if (node.type.endsWith('.chatTrigger')) {
			node.webhookId = webhookId;
			if (options.responseMode) node.parameters.options.responseMode = options.responseMode;
		}
		if (node.type.endsWith('.agent'))
			(node as { typeVersion?: number }).typeVersion = options.agentVersion;
		if (node.type.endsWith('.lmChatOpenAi')) {
			node.parameters.model = { __rl: true, mode: 'id', value: 'scripted' };
			node.parameters.responsesApiEnabled = options.api === 'responses';
		}
		// The sandbox's payee is the gateway's own address.
		if (node.type.endsWith('.nanoBananaGenerateTool')) {
			delete node.parameters.options.expectedPayTo;
			if (options.budgetUsdc !== undefined) node.parameters.options.budgetUsdc = options.budgetUsdc;
		}
	}
	workflow.settings = {
		...workflow.settings,
		saveDataSuccessExecution: 'all',
		saveDataErrorExecution: 'all',
	};
	return { workflow, webhookId };
}

/** What a chat client reads from one message: the answer text (a streamed one put together). */
async function chat(
	base: string,
	webhookId: string,
	chatInput: string,
): Promise<{ status: number; text: string; body: string; chunks: number }> {
	const response = await fetch(`${base}/webhook/${webhookId}/chat`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ action: 'sendMessage', sessionId: randomUUID(), chatInput }),
	});
	const body = await response.text();
	let text = '';
	let chunks = 0;
	// A streamed answer is JSON objects one after another: begin, item…, end.
	for (const part of body.split(/\n|(?<=\})(?=\{"type")/).filter((l) => l.trim())) {
		try {
			const value = JSON.parse(part) as { type?: string; content?: string; output?: string };
			if (value.type === 'item' && typeof value.content === 'string') {
				text += value.content;
				chunks++;
			} else if (typeof value.output === 'string') text += value.output;
		} catch {
			/* not JSON: kept in body */
		}
	}
	return { status: response.status, text, body, chunks };
}

async function waitForWebhook(base: string, webhookId: string) {
	for (let i = 0; i < 60; i++) {
		const response = await fetch(`${base}/webhook/${webhookId}/chat`, { method: 'GET' });
		await response.arrayBuffer();
		if (response.status !== 404) return;
		await sleep(300);
	}
	throw new Error(`the chat webhook ${webhookId} was never registered`);
}

type Exec = { id: string; status: string; data: Loose; text: string };

async function execution(rest: N8nRest, n8nDir: string, id: string): Promise<Exec> {
	const result = await rest.must<{ data: string; status: string }>('GET', `/rest/executions/${id}`);
	return {
		id,
		status: result.status,
		data: flattedParse(n8nDir, result.data) as Loose,
		text: result.data,
	};
}

async function latestExecution(
	rest: N8nRest,
	n8nDir: string,
	workflowId: string,
	done: (e: Exec) => boolean,
): Promise<Exec> {
	let last: Exec | undefined;
	for (let i = 0; i < 120; i++) {
		const [newest] = await executions(rest, workflowId);
		if (newest) {
			last = await execution(rest, n8nDir, String(newest.id));
			if (done(last)) return last;
		}
		await sleep(500);
	}
	if (!last) throw new Error(`no execution of ${workflowId}`);
	return last;
}

/** A tool's outputs as the model received them, by tool. */
function toolOutputs(model: ScriptedModel, from: number, tool: RegExp): string[] {
	const last = model.requests.slice(from).at(-1);
	return (last?.calls ?? [])
		.filter((c) => tool.test(c.name) && c.output !== undefined)
		.map((c) => c.output!);
}

const json = (s: string): Loose => parseToolOutput(s) ?? {};

const COMPACT = [
	'jobId',
	'statusUrl',
	'imageUrls',
	'costUsdc',
	'settlement',
	'transaction',
	'next',
];

export async function agentMode(ctx: AgentContext): Promise<void> {
	const { sandbox, say, check } = ctx;
	const key = sandbox.payers[0].key.slice(2).toLowerCase();
	const model = await startModel();
	const home = tempHome('n8n-agent-');
	let app: Awaited<ReturnType<typeof startN8n>> | undefined;
	try {
		const env = n8nEnv(home, {
			N8N_ENCRYPTION_KEY: randomBytes(24).toString('hex'),
			N8N_COMMUNITY_PACKAGES_REGISTRY: ctx.registryUrl,
			// n8n's own E2E switch, only to license the custom registry (see allowCustomRegistry).
			E2E_TESTS: 'true',
			// n8n 1.x offers community nodes as tools only with this; 2.x always does.
			N8N_COMMUNITY_PACKAGES_ALLOW_TOOL_USAGE: 'true',
		});
		app = await startN8n(ctx.n8nDir, ctx.runtime, env, { port: await freePort() });
		const base = app.url;
		const rest = new N8nRest(base);
		await rest.setupOwner();
		await allowCustomRegistry(rest);
		const installed = await installThroughN8n(rest, ctx.packageName);
		check(
			`n8n's installer installs ${ctx.packageName}@${ctx.packageVersion}`,
			installed.installedVersion === ctx.packageVersion,
			installed,
		);
		const wallet = await rest.credential(
			'x402 Wallet (sandbox)',
			'x402WalletApi',
			walletData(sandbox),
		);
		const openAi = await rest.credential('Scripted model', 'openAiApi', {
			apiKey: 'sk-scripted-model',
			url: model.url,
		});
		const ids = { wallet, openAi };
		const agentVersion = ctx.n8nMajor === 1 ? 3 : 3.1;
		// ── Conversations: the agent asked for images, over both APIs, streamed and not.
		const conversations: Array<{
			name: string;
			api: ModelApi;
			responseMode: 'lastNode' | 'streaming';
			prompts: string[];
			budgetUsdc?: number;
		}> = [
			{
				name: 'Chat Completions, answer at the end',
				api: 'chat completions',
				responseMode: 'lastNode',
				prompts: ['a red banana', 'a blue banana'],
			},
			{
				name: 'Responses API, streamed chat',
				api: 'responses',
				responseMode: 'streaming',
				prompts: ['a banana on the moon', 'a banana in the sea', 'a banana in a hat'],
			},
			{
				name: 'Chat Completions streamed, Budget per Execution 0.11 USDC, 5 images asked',
				api: 'chat completions',
				responseMode: 'streaming',
				prompts: ['one', 'two', 'three', 'four', 'five'].map((n) => `banana number ${n}`),
				budgetUsdc: 0.11,
			},
		];
		// E2E_AGENT_ONLY=chat,approval,mcp picks parts while working on one.
		const only = (part: string) =>
			!process.env.E2E_AGENT_ONLY || process.env.E2E_AGENT_ONLY.split(',').includes(part);
		// ── X402 Request as the agent's tool: the model fills the body, the node pays a listed host once.
		if (only('request')) {
			const { workflow, webhookId } = example('ai-agent', sandbox, ids, {
				api: 'chat completions',
				responseMode: 'lastNode',
				name: 'X402 Request as a tool',
				agentVersion,
			});
			workflow.nodes = workflow.nodes.filter((n) => !n.type.endsWith('.waitForJobTool'));
			const tool = workflow.nodes.find((n) => n.type.endsWith('.nanoBananaGenerateTool'));
			if (!tool) throw new Error('ai-agent example: no Generate tool to swap');
			const oldName = tool.name;
			tool.name = 'Paid API';
			tool.type = 'n8n-nodes-nano-banana.x402RequestTool';
			tool.parameters = {
				method: 'POST',
				url: sandbox.gateway.endpoint,
				sendBody: true,
				contentType: 'json',
				specifyBody: 'keypair',
				bodyParameters: {
					parameters: [
						{
							name: 'prompt',
							value: "={{ $fromAI('prompt', 'What to ask the API for', 'string') }}",
						},
					],
				},
				options: { allowedHosts: '127.0.0.1', maxPriceUsdc: 0.06 },
			};
			const connections = workflow.connections as Record<string, unknown>;
			connections['Paid API'] = connections[oldName];
			delete connections[oldName];
			delete connections['Wait for Job'];
			const workflowId = await rest.activate(workflow);
			await waitForWebhook(base, webhookId);
			const from = model.requests.length;
			const before = (await sandbox.chain.transfers()).length;
			const answer = await chat(base, webhookId, 'Please buy: a banana from the paid API');
			const transfers = (await sandbox.chain.transfers()).length - before;
			await latestExecution(rest, ctx.n8nDir, workflowId, (e) =>
				['success', 'error', 'crashed'].includes(e.status),
			);
			const offered = model.requests[from]?.tools.find(
				(t) => t.name === 'Paid_API' || t.name === 'Paid API',
			);
			const outputs = toolOutputs(model, from, /paid/i);
			check(
				'agent [X402 Request as a tool]: offered with the prompt the model fills; one call pays once; the model reads status and cost',
				!!offered &&
					'prompt' in (offered.parameters.properties ?? {}) &&
					transfers === 1 &&
					answer.text.includes('Bought: HTTP 200, cost 0.0527 USDC') &&
					!outputs.join('').toLowerCase().includes(key),
				{
					offered: offered?.name,
					transfers,
					answer: answer.text.slice(0, 300),
					outputs: outputs.map((o) => o.slice(0, 300)),
				},
			);
		}
		for (const c of conversations.filter(() => only('chat'))) {
			const { workflow, webhookId } = example('ai-agent', sandbox, ids, {
				api: c.api,
				responseMode: c.responseMode,
				budgetUsdc: c.budgetUsdc,
				name: c.name,
				agentVersion,
			});
			const workflowId = await rest.activate(workflow);
			await waitForWebhook(base, webhookId);
			const from = model.requests.length;
			const transfersBefore = (await sandbox.chain.transfers()).length;
			const imagesBefore = sandbox.gateway.counts.image;
			const answer = await chat(base, webhookId, `Please make images: ${c.prompts.join(' | ')}`);
			const transfers = (await sandbox.chain.transfers()).length - transfersBefore;
			const requests = model.requests.slice(from);
			const exec = await latestExecution(rest, ctx.n8nDir, workflowId, (e) =>
				['success', 'error', 'crashed'].includes(e.status),
			);
			const paid = c.budgetUsdc ? Math.floor((c.budgetUsdc * 1e6) / 52_700) : c.prompts.length;
			const refused = c.prompts.length - paid;
			const first = requests[0];
			const tag = `agent [${c.name}]`;
			check(
				`${tag}: the model is offered both tools with their schemas and descriptions for models`,
				!!first &&
					first.api === c.api &&
					first.stream === (c.responseMode === 'streaming') &&
					first.tools.some(
						(t) =>
							/generate/i.test(t.name) &&
							!!t.parameters.properties?.prompt &&
							!!t.parameters.properties?.aspectRatio &&
							/0\.0527 USDC/.test(t.description),
					) &&
					first.tools.some((t) => /wait/i.test(t.name) && !!t.parameters.properties?.statusUrl),
				first?.tools.map((t) => ({ name: t.name, params: t.parameters.properties })),
			);
			const generated = toolOutputs(model, from, /generate/i).map(json);
			const waited = toolOutputs(model, from, /wait/i).map(json);
			check(
				`${tag}: ${c.prompts.length} images asked in one turn (parallel tool calls) → ${transfers} transfers (${paid} expected)`,
				transfers === paid && generated.length === c.prompts.length,
				{ transfers, generated },
			);
			const answers = generated.filter((g) => g.jobId);
			check(
				`${tag}: Generate answers the model compact JSON (${COMPACT.join(', ')})`,
				answers.length === paid &&
					answers.every(
						(g) =>
							Object.keys(g).every((k) => COMPACT.includes(k)) &&
							g.costUsdc === '0.0527' &&
							/^0x[0-9a-f]{64}$/.test(g.transaction) &&
							/Wait for Job/.test(g.next),
					),
				answers,
			);
			const binaries = JSON.stringify(exec.data).match(/"binary":\{"/g)?.length ?? 0;
			check(
				`${tag}: Wait for Job answers image URLs and downloads nothing (${sandbox.gateway.counts.image - imagesBefore} downloads, ${binaries} binaries in the execution)`,
				waited.length === paid &&
					waited.every((w) => Array.isArray(w.imageUrls) && w.imageUrls.length === 1) &&
					sandbox.gateway.counts.image === imagesBefore &&
					binaries === 0,
				waited,
			);
			if (refused) {
				const refusals = generated.filter((g) => g.errorKind === 'policy');
				check(
					`${tag}: the ${refused} budget refusals reach the model (nothing signed, what to do) and the run goes on`,
					refusals.length === refused &&
						refusals.every(
							(r) => /budget/i.test(r.error) && r.signed === false && typeof r.hint === 'string',
						) &&
						exec.status === 'success',
					generated,
				);
			}
			const urls = waited.flatMap((w) => (w.imageUrls as string[]) ?? []);
			check(
				`${tag}: the chat gets the agent's answer with the ${paid} image URLs${c.responseMode === 'streaming' ? ` (streamed, ${answer.chunks} chunks)` : ''}`,
				answer.status === 200 &&
					urls.length === paid &&
					urls.every((u) => answer.text.includes(u)) &&
					(refused === 0 || (answer.text.match(/Refused:/g)?.length ?? 0) === refused) &&
					(c.responseMode !== 'streaming' || answer.chunks > 1) &&
					exec.status === 'success',
				{ status: answer.status, body: answer.body.slice(0, 800), exec: exec.status },
			);
			check(
				`${tag}: the private key is nowhere in the model's requests or the execution data`,
				!requests.some((r) => r.raw.toLowerCase().includes(key)) &&
					!exec.text.toLowerCase().includes(key),
			);
		}

		// ── A person approves before money moves (examples/agent-approval.json).
		// Human-review tools (node types ending in HitlTool) are n8n 2.x.
		if (ctx.n8nMajor === 1)
			say('n8n 1.x has no human-review tools: the approval example needs n8n 2.x');
		const decisions =
			ctx.n8nMajor === 1 || !only('approval') ? [] : (['approve', 'decline'] as const);
		for (const decision of decisions) {
			const { workflow, webhookId } = example('agent-approval', sandbox, ids, {
				api: 'responses',
				name: `approval, ${decision}`,
				agentVersion,
			});
			const workflowId = await rest.activate(workflow);
			await waitForWebhook(base, webhookId);
			const from = model.requests.length;
			const transfersBefore = (await sandbox.chain.transfers()).length;
			const paidBefore = sandbox.gateway.counts.paid;
			const logBefore = app.log().length;
			const started = await fetch(`${base}/webhook/${webhookId}/chat`, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify({
					action: 'sendMessage',
					sessionId: randomUUID(),
					chatInput: 'Please make images: a banana someone approved',
				}),
			});
			const startedBody = (await started.json()) as { executionId?: string };
			const waiting = await latestExecution(rest, ctx.n8nDir, workflowId, (e) =>
				['waiting', 'success', 'error'].includes(e.status),
			);
			await sleep(500);
			const signedWhileWaiting =
				sandbox.gateway.counts.paid -
				paidBefore +
				((await sandbox.chain.transfers()).length - transfersBefore) +
				(app.log().slice(logBefore).includes('payment signed') ? 1 : 0);
			const message = findSendMessage(waiting.data);
			const button = message?.buttons?.find((b) =>
				decision === 'approve' ? /approve/i.test(b.text) : /decline/i.test(b.text),
			);
			check(
				`agent [approval]: the agent's payment waits for a person (execution ${waiting.status}, "${String(
					message?.text ?? '',
				)
					.replace(/\s+/g, ' ')
					.slice(
						0,
						90,
					)}…" with ${message?.buttons?.map((b) => b.text).join(' / ') ?? 'no buttons'}); nothing signed before the decision`,
				startedBody.executionId === waiting.id &&
					waiting.status === 'waiting' &&
					!!button &&
					/0\.0527 USDC/.test(message?.text ?? '') &&
					(message?.text ?? '').includes('a banana someone approved') &&
					signedWhileWaiting === 0,
				{ startedBody, status: waiting.status, message, signedWhileWaiting },
			);
			if (!button) continue;
			// Clicking the button opens n8n's signed resume link.
			const link = new URL(button.link);
			const logAtClick = app.log().length;
			// n8n ignores clicks from bots and link previews (by user agent): this one is a person's browser.
			const clicked = await fetch(`${base}${link.pathname}${link.search}`, {
				headers: { 'user-agent': BROWSER },
			});
			const page = await clicked.text();
			// The agent's answer goes to the chat through the Reply node (a Chat node), where the
			// execution waits for the chat window to pick it up.
			const done = await latestExecution(
				rest,
				ctx.n8nDir,
				workflowId,
				(e) =>
					['success', 'error', 'crashed'].includes(e.status) ||
					(e.status === 'waiting' && e.data.resultData?.lastNodeExecuted === 'Reply'),
			);
			const reply = String(
				done.data.resultData?.runData?.Reply?.[0]?.data?.main?.[0]?.[0]?.sendMessage ?? '',
			);
			const answered = done.status !== 'error' && done.status !== 'crashed' && !!reply;
			const transfers = (await sandbox.chain.transfers()).length - transfersBefore;
			const last = model.requests.slice(from).at(-1);
			const generateOutput = last?.calls.find((c) => /generate/i.test(c.name))?.output ?? '';
			if (decision === 'approve')
				check(
					`agent [approval]: approved → paid once (${transfers} transfer), the agent gets the job and finishes`,
					clicked.status < 400 &&
						answered &&
						/Made 1 image/.test(reply) &&
						transfers === 1 &&
						json(generateOutput).costUsdc === '0.0527',
					{
						link: button.link,
						clicked: clicked.status,
						page: page.slice(0, 300),
						status: done.status,
						reply,
						transfers,
						generateOutput,
						log: app.log().slice(logAtClick).slice(-3000),
					},
				);
			else
				check(
					`agent [approval]: declined → nothing paid (${transfers} transfers), the model is told the call was rejected`,
					clicked.status < 400 &&
						answered &&
						transfers === 0 &&
						sandbox.gateway.counts.paid === paidBefore &&
						/rejected/i.test(generateOutput),
					{
						link: button.link,
						clicked: clicked.status,
						page: page.slice(0, 300),
						status: done.status,
						reply,
						transfers,
						generateOutput,
						log: app.log().slice(logAtClick).slice(-3000),
					},
				);
		}

		// ── An outside agent through the MCP Server Trigger: both tools, the official MCP client.
		if (only('mcp'))
			await mcpBothTools({
				rest,
				baseUrl: base,
				sandbox,
				credentialId: wallet,
				say,
				check: (n, ok, d) => check(`agent [MCP] ${n.replace(/^MCP: /, '')}`, ok, d),
				runData: async () => ({}),
				key,
			});

		// Chat Completions and the Responses API, streamed and not (the approval run is not streamed).
		const modes = new Set(model.requests.map((r) => `${r.api}${r.stream ? ', streamed' : ''}`));
		if (only('chat'))
			check(
				`agent: n8n's OpenAI Chat Model spoke ${modes.size} ways to the model (${[...modes].join(' / ')})`,
				modes.size === (decisions.length ? 4 : 3),
				[...modes],
			);
		check("agent: the private key is nowhere in n8n's log", !app.log().toLowerCase().includes(key));
	} finally {
		await app?.stop();
		await model.close();
		if (process.env.E2E_KEEP) say(`kept ${home}`);
		else rmSync(home, { recursive: true, force: true });
	}
}

interface ChatMessage {
	text?: string;
	buttons?: Array<{ text: string; link: string }>;
}

/** The message with buttons a human-review node sent to the chat (kept in its run data). */
function findSendMessage(data: Loose): ChatMessage | undefined {
	const runData = (data.resultData?.runData ?? {}) as Record<string, Array<Loose>>;
	for (const runs of Object.values(runData))
		for (const r of runs)
			for (const branches of Object.values((r.data ?? {}) as Record<string, unknown[][]>))
				for (const branch of branches ?? [])
					for (const item of branch ?? []) {
						const m = (item as { sendMessage?: ChatMessage }).sendMessage;
						if (m && typeof m === 'object' && Array.isArray(m.buttons)) return m;
					}
	return undefined;
}
