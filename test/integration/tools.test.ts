/**
 * Both nodes as AI-agent tools on the paths n8n really uses, in n8n's engine: the AI Agent's
 * engine path (n8n 2.x Agent v3: the engine runs the tool node in a plain execute context whose
 * isToolExecution() answers false, and adds the model's toolCallId to its input), and the older
 * tool wrapper (MCP Server Trigger, n8n 1.x agents: n8n-core's createNodeAsTool in a supply-data
 * context). On both, Generate answers compact JSON and Wait for Job downloads nothing.
 */
import type { IConnections, INode } from 'n8n-workflow';
import { startSandbox, type Sandbox } from '../../sandbox';
import {
	connectInLine,
	ENGINE_AGENT_TYPE,
	GENERATE_TOOL_TYPE,
	node,
	runWorkflow,
	TOOL_HOST_TYPE,
	TRIGGER_TYPE,
	WAIT_TOOL_TYPE,
} from '../../harness/engine';
import { expectNoKey, jsonOf, SANDBOX_HOST, walletCredential } from '../helpers';

let sandbox: Sandbox;
beforeAll(async () => {
	sandbox = await startSandbox({ chain: { payers: 2 }, gateway: { jobDurationMs: 150 } });
});
afterAll(async () => await sandbox?.close());
beforeEach(() => sandbox.gateway.reset());

const generateTool = (name: string) =>
	node(
		name,
		GENERATE_TOOL_TYPE,
		{
			prompt: "={{ $fromAI('prompt', 'What the image shows', 'string') }}",
			options: { endpointUrl: sandbox.gateway.endpoint },
		},
		{ credentials: { x402WalletApi: { id: '1', name: 'w' } } },
	);
const waitTool = (name: string) =>
	node(name, WAIT_TOOL_TYPE, {
		statusUrl: "={{ $fromAI('statusUrl', 'The statusUrl Generate answered', 'string') }}",
		pollIntervalSeconds: 0.2,
		options: { allowedHosts: SANDBOX_HOST },
	});

/** Trigger -> agent, with the tools connected to it as n8n connects tools (ai_tool). */
function agentFlow(agentType: string, calls: unknown[], tools: INode[]) {
	return {
		nodes: [
			node('Start', TRIGGER_TYPE),
			node('Agent', agentType, { calls: JSON.stringify(calls) }),
			...tools,
		],
		connections: <IConnections>{
			...connectInLine('Start', 'Agent'),
			...Object.fromEntries(
				tools.map((t) => [t.name, { ai_tool: [[{ node: 'Agent', type: 'ai_tool', index: 0 }]] }]),
			),
		},
	};
}

const COMPACT = ['costUsdc', 'jobId', 'next', 'settlement', 'statusUrl', 'transaction'];

describe.each([
	['the AI Agent engine path (n8n 2.x Agent v3)', ENGINE_AGENT_TYPE, 'answer'],
	['the older tool wrapper (MCP Server Trigger, n8n 1.x agents)', TOOL_HOST_TYPE, 'answer'],
])('on %s', (_path, agentType) => {
	it('Generate is known to run as a tool and answers compact JSON: job, cost, settlement, transaction, what to do next', async () => {
		const transfersBefore = (await sandbox.chain.transfers()).length;
		const result = await runWorkflow(
			agentFlow(
				agentType,
				[
					{
						tool: agentType === TOOL_HOST_TYPE ? 'Nano_Banana' : 'Nano Banana',
						id: 'call_1',
						args: { prompt: 'a banana for a model' },
					},
				],
				[generateTool('Nano Banana')],
			),
			{ credentials: { x402WalletApi: walletCredential(sandbox, 0) } },
		);
		expect(result.status).toBe('success');
		const [call] = jsonOf(result.output('Agent'));
		const answer = (
			typeof call.answer === 'string' ? JSON.parse(call.answer) : call.answer
		) as Array<Record<string, unknown>>;
		expect(Object.keys(answer[0]).sort()).toEqual(COMPACT);
		expect(answer[0]).toMatchObject({
			costUsdc: '0.0527',
			settlement: 'charged',
			transaction: expect.stringMatching(/^0x[0-9a-f]{64}$/),
			next: 'Call the Wait for Job tool with this statusUrl to get the image when it is ready.',
		});
		expect((await sandbox.chain.transfers()).length).toBe(transfersBefore + 1);
		expectNoKey(result.run, sandbox.payers[0].key);
	});

	it('Wait for Job returns the image URLs and downloads nothing', async () => {
		const job = sandbox.gateway.addJob({
			request: { prompt: 'a banana', output_format: 'png' },
			durationMs: 100,
		});
		const statusUrl = `${sandbox.gateway.url}/api/ai/generations/status/${job.id}`;
		const result = await runWorkflow(
			agentFlow(
				agentType,
				[
					{
						tool: agentType === TOOL_HOST_TYPE ? 'Wait_for_Job' : 'Wait for Job',
						id: 'call_2',
						args: { statusUrl },
					},
				],
				[waitTool('Wait for Job')],
			),
			{ credentials: { x402WalletApi: walletCredential(sandbox, 1) } },
		);
		expect(result.status).toBe('success');
		const [call] = jsonOf(result.output('Agent'));
		const answer = (
			typeof call.answer === 'string' ? JSON.parse(call.answer) : call.answer
		) as Array<Record<string, unknown>>;
		expect(call.binary ?? false).toBe(false);
		expect(answer[0]).toMatchObject({
			status: 'completed',
			imageUrls: [expect.stringContaining(`/images/${job.id}/0.png`)],
		});
		expect(sandbox.gateway.counts.image).toBe(0);
	});
});

it('on the engine path, two tool calls with the same arguments are two calls (two payments)', async () => {
	const before = (await sandbox.chain.transfers()).length;
	const result = await runWorkflow(
		agentFlow(
			ENGINE_AGENT_TYPE,
			[
				{ tool: 'Nano Banana', id: 'call_a', args: { prompt: 'the same banana' } },
				{ tool: 'Nano Banana', id: 'call_b', args: { prompt: 'the same banana' } },
			],
			[generateTool('Nano Banana')],
		),
		{ credentials: { x402WalletApi: walletCredential(sandbox, 1) } },
	);
	expect(result.status).toBe('success');
	const answers = jsonOf(result.output('Agent')).map(
		(c) => (c.answer as Array<Record<string, unknown>>)[0],
	);
	expect(answers).toHaveLength(2);
	expect(answers[0].jobId).not.toBe(answers[1].jobId);
	expect((await sandbox.chain.transfers()).length).toBe(before + 2);
});

it('in Sync Mode a tool gets the image URL in JSON and no binary', async () => {
	const tool = generateTool('Nano Banana');
	tool.parameters.syncMode = true;
	const result = await runWorkflow(
		agentFlow(
			ENGINE_AGENT_TYPE,
			[{ tool: 'Nano Banana', id: 'call_s', args: { prompt: 'a quick banana' } }],
			[tool],
		),
		{ credentials: { x402WalletApi: walletCredential(sandbox, 1) } },
	);
	const [call] = jsonOf(result.output('Agent'));
	expect(call.binary).toBe(false);
	expect((call.answer as Array<Record<string, unknown>>)[0]).toMatchObject({
		imageUrls: [expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/images\//)],
		next: 'The image is ready at imageUrls.',
	});
	expect(sandbox.gateway.counts.image).toBe(0);
});

describe.each([
	['the AI Agent engine path', ENGINE_AGENT_TYPE, 'Nano Banana'],
	['the older tool wrapper', TOOL_HOST_TYPE, 'Nano_Banana'],
])('refusals reach the model on %s, and the agent goes on', (_path, agentType, toolName) => {
	const answersOf = (result: Awaited<ReturnType<typeof runWorkflow>>) =>
		jsonOf(result.output('Agent')).map(
			(call) =>
				(typeof call.answer === 'string' ? JSON.parse(call.answer) : call.answer)[0] as Record<
					string,
					unknown
				>,
		);

	it('Budget per Execution bounds all tool calls of one agent run: 0.11 USDC and 5 calls → 2 paid, 3 refusals the model reads', async () => {
		const tool = generateTool('Nano Banana');
		tool.parameters.options = { ...(tool.parameters.options as object), budgetUsdc: 0.11 };
		const before = (await sandbox.chain.transfers()).length;
		const result = await runWorkflow(
			agentFlow(
				agentType,
				[1, 2, 3, 4, 5].map((n) => ({
					tool: toolName,
					id: `call_${n}`,
					args: { prompt: `banana number ${n}` },
				})),
				[tool],
			),
			{ credentials: { x402WalletApi: walletCredential(sandbox, 0) } },
		);
		expect(result.status).toBe('success');
		const answers = answersOf(result);
		expect(answers.filter((a) => a.jobId)).toHaveLength(2);
		const refused = answers.filter((a) => a.error);
		expect(refused).toHaveLength(3);
		for (const answer of refused) {
			expect(answer).toMatchObject({
				errorKind: 'policy',
				rule: 'budget',
				signed: false,
				settlement: 'not charged',
			});
			expect(answer.hint).toMatch(/Raise "Budget per Execution"/);
		}
		expect((await sandbox.chain.transfers()).length).toBe(before + 2);
	});

	it('a price above Max Price, a value the model filled wrongly, and a payment that failed after signing all come back as answers', async () => {
		const tool = generateTool('Nano Banana');
		tool.parameters.aspectRatio =
			"={{ $fromAI('aspectRatio', 'Width to height, e.g. 16:9', 'string') }}";
		const priced = generateTool('Cheap Banana');
		priced.parameters.options = { ...(priced.parameters.options as object), maxPriceUsdc: 0.01 };
		sandbox.gateway.faults.afterSettle = 'error';
		sandbox.gateway.faults.onlyPrompt = 'paid then failed';
		const cheap = agentType === TOOL_HOST_TYPE ? 'Cheap_Banana' : 'Cheap Banana';
		const result = await runWorkflow(
			agentFlow(
				agentType,
				[
					{ tool: toolName, id: 'c1', args: { prompt: 'a wide banana', aspectRatio: 'panoramic' } },
					{ tool: cheap, id: 'c2', args: { prompt: 'a cheap banana' } },
					{ tool: toolName, id: 'c3', args: { prompt: 'paid then failed', aspectRatio: '1:1' } },
				],
				[tool, priced],
			),
			{ credentials: { x402WalletApi: walletCredential(sandbox, 1) } },
		);
		expect(result.status).toBe('success');
		const [badInput, tooDear, paidFailed] = answersOf(result);
		expect(badInput).toMatchObject({ errorKind: 'input', field: 'Aspect Ratio', signed: false });
		expect(badInput.hint).toMatch(
			/^Use one of: 21:9, 16:9, 3:2, 4:3, 5:4, 1:1, 4:5, 3:4, 2:3, 9:16\.$/,
		);
		expect(tooDear).toMatchObject({
			errorKind: 'policy',
			rule: 'max price',
			signed: false,
			quotedPriceUsdc: '0.0527',
		});
		expect(paidFailed).toMatchObject({
			errorKind: 'payment',
			signed: true,
			settlement: 'charged',
			transaction: expect.stringMatching(/^0x[0-9a-f]{64}$/),
		});
		expectNoKey(result.run, sandbox.payers[1].key);
	});

	it('money and safety settings are never taken from the model: a $fromAI in Max Price or Allowed Hosts is refused, nothing paid', async () => {
		const tool = generateTool('Nano Banana');
		tool.parameters.options = {
			...(tool.parameters.options as object),
			maxPriceUsdc: "={{ $fromAI('maxPrice', 'Most you may pay', 'number') }}",
		};
		const wait = waitTool('Wait for Job');
		wait.parameters.options = { allowedHosts: "={{ $fromAI('hosts', 'Hosts', 'string') }}" };
		const before = (await sandbox.chain.transfers()).length;
		const paidBefore = sandbox.gateway.counts.paid;
		const waitName = agentType === TOOL_HOST_TYPE ? 'Wait_for_Job' : 'Wait for Job';
		const result = await runWorkflow(
			agentFlow(
				agentType,
				[
					{ tool: toolName, id: 'm1', args: { prompt: 'a banana', maxPrice: 100 } },
					{
						tool: waitName,
						id: 'm2',
						args: { statusUrl: `${sandbox.gateway.endpoint}/status/x`, hosts: 'evil.example' },
					},
				],
				[tool, wait],
			),
			{ credentials: { x402WalletApi: walletCredential(sandbox, 0) } },
		);
		expect(result.status).toBe('success');
		const [price, hosts] = answersOf(result);
		expect(price).toMatchObject({
			errorKind: 'input',
			field: 'Max Price per Image (USDC)',
			signed: false,
			settlement: 'not charged',
		});
		expect(price.error).toMatch(/may not be filled by an AI model/);
		expect(hosts).toMatchObject({ errorKind: 'input', field: 'Allowed Hosts' });
		expect(sandbox.gateway.counts.paid).toBe(paidBefore);
		expect(sandbox.gateway.counts.status).toBe(0);
		expect((await sandbox.chain.transfers()).length).toBe(before);
	});
});

it('a model is told what each tool does, costs and returns, and which arguments to fill', async () => {
	const job = sandbox.gateway.addJob({ request: { prompt: 'a banana' }, durationMs: 0 });
	const result = await runWorkflow(
		agentFlow(
			TOOL_HOST_TYPE,
			[
				{ tool: 'Nano_Banana', args: { prompt: 'a banana to describe' } },
				{
					tool: 'Wait_for_Job',
					args: { statusUrl: `${sandbox.gateway.url}/api/ai/generations/status/${job.id}` },
				},
			],
			[generateTool('Nano Banana'), waitTool('Wait for Job')],
		),
		{ credentials: { x402WalletApi: walletCredential(sandbox, 1) } },
	);
	const [generate, wait] = jsonOf(result.output('Agent'));
	expect(generate.arguments).toEqual(['prompt']);
	expect(generate.description).toMatch(
		/^Generate an image from a prompt with nano-banana, paid per call in USDC on Base/,
	);
	expect(generate.description).toMatch(/about 0\.0527 USDC, never above Max Price/);
	expect(generate.description).toMatch(/Returns a job: get the image with Wait for Job\.$/);
	expect(wait.arguments).toEqual(['statusUrl']);
	expect(wait.description).toMatch(
		/^Poll a job from Nano-Banana Generate \(its statusUrl\) until it ends.* Never pays\.$/,
	);
});
