/**
 * The package's nodes as tools of n8n's MCP Server Trigger, driven by the official MCP
 * TypeScript SDK client, as Claude Desktop, Cursor or any MCP client drives them. Development only.
 */
import { randomUUID } from 'node:crypto';
import type { Sandbox } from '../../sandbox';
import { parseToolOutput } from '../../sandbox/model';
import type { N8nRest } from './host';

export interface McpContext {
	rest: N8nRest;
	baseUrl: string;
	sandbox: Sandbox;
	credentialId: string;
	say: (line: string) => void;
	check: (name: string, ok: boolean, detail?: unknown) => void;
	/** Reads an execution's run data (n8n stores it flatted). */
	runData: (executionId: string) => Promise<Record<string, unknown[]>>;
}

// The official MCP client, through its package "exports" map (which the lint config's import resolver does not read).
/* eslint-disable @typescript-eslint/no-require-imports */
const { Client } =
	require('@modelcontextprotocol/sdk/client/index.js') as typeof import('@modelcontextprotocol/sdk/client/index.js');
const { StreamableHTTPClientTransport } =
	require('@modelcontextprotocol/sdk/client/streamableHttp.js') as typeof import('@modelcontextprotocol/sdk/client/streamableHttp.js');
/* eslint-enable @typescript-eslint/no-require-imports */
type Client = InstanceType<typeof Client>;

const PATH = 'nano-banana-mcp';
const BOTH_PATH = 'nano-banana-mcp-both';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An MCP Server Trigger with Nano-Banana Generate as its tool, Retry On Fail on. */
export function mcpWorkflow(
	credentialId: string,
	endpoint: string,
	options: { path?: string; wait?: boolean; retryOnFail?: boolean } = {},
) {
	const wait = {
		parameters: {
			statusUrl:
				"={{ $fromAI('statusUrl', 'The statusUrl Nano-Banana Generate answered', 'string') }}",
			options: { allowedHosts: new URL(endpoint).host },
		},
		id: randomUUID(),
		name: 'Wait for Job',
		type: 'n8n-nodes-nano-banana.waitForJobTool',
		typeVersion: 1,
		position: [200, 200],
	};
	return {
		name: `MCP: Nano-Banana tools${options.wait ? ' (both)' : ''}`,
		nodes: [
			{
				parameters: { path: options.path ?? PATH },
				id: randomUUID(),
				name: 'MCP Server Trigger',
				type: '@n8n/n8n-nodes-langchain.mcpTrigger',
				typeVersion: 2,
				position: [0, 0],
				webhookId: randomUUID(),
			},
			{
				parameters: {
					prompt: "={{ $fromAI('prompt', 'What the image shows', 'string') }}",
					options: { endpointUrl: endpoint },
				},
				id: randomUUID(),
				name: 'Nano-Banana Generate',
				type: 'n8n-nodes-nano-banana.nanoBananaGenerateTool',
				typeVersion: 1,
				position: [0, 200],
				...(options.retryOnFail === false
					? {}
					: { retryOnFail: true, maxTries: 3, waitBetweenTries: 0 }),
				credentials: { x402WalletApi: { id: credentialId, name: 'x402 Wallet' } },
			},
			...(options.wait ? [wait] : []),
		],
		connections: {
			'Nano-Banana Generate': {
				ai_tool: [[{ node: 'MCP Server Trigger', type: 'ai_tool', index: 0 }]],
			},
			...(options.wait
				? {
						'Wait for Job': {
							ai_tool: [[{ node: 'MCP Server Trigger', type: 'ai_tool', index: 0 }]],
						},
					}
				: {}),
		},
		settings: {
			executionOrder: 'v1',
			saveDataSuccessExecution: 'all',
			saveDataErrorExecution: 'all',
			saveExecutionProgress: true,
		},
	};
}

async function connect(url: string): Promise<Client> {
	// The path answers 404 for a moment after activation.
	let last: unknown;
	for (let i = 0; i < 40; i++) {
		const client = new Client({ name: 'n8n-nodes-nano-banana-e2e', version: '1.0.0' });
		const connected = await client.connect(new StreamableHTTPClientTransport(new URL(url))).then(
			() => true,
			(error: unknown) => ((last = error), false),
		);
		if (connected) return client;
		await sleep(500);
	}
	throw new Error(`MCP: no connection to ${url}: ${String(last)}`);
}

const textOf = (result: Record<string, unknown>): string =>
	((result.content as Array<{ type: string; text?: string }>) ?? [])
		.map((c) => c.text ?? '')
		.join('');

/**
 * An outside agent's whole job through the MCP Server Trigger: both tools listed with their
 * schemas, Generate then Wait for Job, paid once, compact answers, nothing downloaded, no key.
 */
export async function mcpBothTools(ctx: McpContext & { key: string }): Promise<void> {
	const { rest, sandbox, check } = ctx;
	await rest.activate(
		mcpWorkflow(ctx.credentialId, sandbox.gateway.endpoint, {
			path: BOTH_PATH,
			wait: true,
			retryOnFail: false,
		}),
	);
	const client = await connect(`${ctx.baseUrl}/mcp/${BOTH_PATH}`);
	try {
		const { tools } = await client.listTools();
		const generate = tools.find((t) => /generate/i.test(t.name));
		const wait = tools.find((t) => /wait/i.test(t.name));
		const props = (t?: { inputSchema: { properties?: Record<string, unknown> } }) =>
			Object.keys(t?.inputSchema.properties ?? {});
		check(
			`MCP: both tools listed with their schemas (${tools.map((t) => `${t.name}(${props(t).join(', ')})`).join(', ')})`,
			!!generate &&
				!!wait &&
				props(generate).includes('prompt') &&
				props(wait).includes('statusUrl'),
			tools,
		);
		if (!generate || !wait) return;
		const before = (await sandbox.chain.transfers()).length;
		const imagesBefore = sandbox.gateway.counts.image;
		const paid = textOf(
			await client.callTool({ name: generate.name, arguments: { prompt: 'a banana via MCP' } }),
		);
		const job = parseToolOutput(paid) ?? {};
		const images = textOf(
			await client.callTool({ name: wait.name, arguments: { statusUrl: job.statusUrl } }),
		);
		const transfers = (await sandbox.chain.transfers()).length - before;
		check(
			`MCP: Generate then Wait for Job → ${transfers} transfer, a compact job answer, the image URL, nothing downloaded`,
			transfers === 1 &&
				job.costUsdc === '0.0527' &&
				typeof job.statusUrl === 'string' &&
				paid.length < 700 &&
				/imageUrls/.test(images) &&
				sandbox.gateway.counts.image === imagesBefore,
			{ paid, images: images.slice(0, 500) },
		);
		check(
			'MCP: the private key is in no MCP answer',
			![paid, images, JSON.stringify(tools)].some((t) => t.toLowerCase().includes(ctx.key)),
		);
	} finally {
		await client.close();
	}
}

/** An MCP tool call whose paid request fails after settling, with Retry On Fail: paid once, the client told so. */
export async function mcpRetryOnFail(ctx: McpContext): Promise<void> {
	const { rest, sandbox, check } = ctx;
	const workflowId = await rest.activate(mcpWorkflow(ctx.credentialId, sandbox.gateway.endpoint));
	const client = await connect(`${ctx.baseUrl}/mcp/${PATH}`);
	try {
		const { tools } = await client.listTools();
		const tool = tools.find((t) => /Nano.Banana/i.test(t.name));
		check(
			`MCP: the MCP Server Trigger lists Nano-Banana Generate as a tool with a prompt argument and a description for models (${tools.map((t) => t.name).join(', ')})`,
			!!tool &&
				JSON.stringify(tool.inputSchema).includes('prompt') &&
				/0\.0527 USDC/.test(tool.description ?? '') &&
				/Wait for Job/.test(tool.description ?? ''),
			tools,
		);
		if (!tool) return;
		const prompt = 'a banana for an outside agent';
		sandbox.gateway.faults.afterSettle = 'error';
		sandbox.gateway.faults.onlyPrompt = prompt;
		const before = (await sandbox.chain.transfers()).length;
		const paidBefore = sandbox.gateway.counts.paid;
		let result: Awaited<ReturnType<Client['callTool']>>;
		let paidRequests: number;
		try {
			result = await client.callTool({ name: tool.name, arguments: { prompt } });
		} finally {
			paidRequests = sandbox.gateway.counts.paid - paidBefore;
			sandbox.gateway.reset();
		}
		const transfers = (await sandbox.chain.transfers()).length - before;
		const text = JSON.stringify(result.content);
		const executions = await rest.must<{ results: Array<{ id: string }> } | Array<{ id: string }>>(
			'GET',
			`/rest/executions?filter=${encodeURIComponent(JSON.stringify({ workflowId }))}&limit=5`,
		);
		const latest = (Array.isArray(executions) ? executions : executions.results)[0];
		const runs = latest ? ((await ctx.runData(latest.id))['Nano-Banana Generate']?.length ?? 0) : 0;
		// A tool's failure is its answer: the client reads the payment facts; nothing is tried again.
		check(
			`MCP: a tool call that fails after paying, with Retry On Fail, is paid once and answers the client with the payment facts (${transfers} transfer, ${paidRequests} paid request, ${runs} recorded run(s))`,
			transfers === 1 &&
				paidRequests === 1 &&
				runs <= 1 &&
				/WAS taken, once/.test(text) &&
				/settlement.{0,6}charged/.test(text) &&
				/transaction.{0,6}0x[0-9a-f]{64}/.test(text),
			{ transfers, runs, text: text.slice(0, 800) },
		);
	} finally {
		await client.close();
	}
}
