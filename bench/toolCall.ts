import { RUNS, rows, log, slowRpc } from './common';
import { walletData, type Sandbox } from '../sandbox';
import {
	connectInLine,
	distClasses,
	ENGINE_AGENT_TYPE,
	GENERATE_TOOL_TYPE,
	GENERATE_TYPE,
	ITEMS_TYPE,
	node,
	runWorkflow,
	TRIGGER_TYPE,
} from '../harness/engine';

/**
 * One Generate call as an AI agent's tool (n8n's engine path: the agent asks, the engine runs the
 * tool node, the answer goes back) against the same call as a plain node, gateway and RPC 200 ms away.
 */
export async function toolCall(sandbox: Sandbox) {
	log('one Generate call as a tool vs as a plain node, gateway and RPC 200 ms away');
	const gateway = sandbox.gateway;
	gateway.options.latencyMs = 200;
	const rpc = await slowRpc(sandbox.chain.rpcUrl, 200);
	const credentials = {
		x402WalletApi: walletData(sandbox, 2, { rpcUrl: rpc.url }),
	};
	const generate = (type: string, name: string) =>
		node(
			name,
			type,
			{
				prompt: "={{ $fromAI('prompt', 'What the image shows', 'string') }}",
				options: { endpointUrl: gateway.endpoint },
			},
			{ credentials: { x402WalletApi: { id: '1', name: 'w' } } },
		);
	const asTool = {
		nodes: [
			node('Start', TRIGGER_TYPE),
			node('Agent', ENGINE_AGENT_TYPE, {
				calls: JSON.stringify([
					{ tool: 'Nano Banana', id: 'call_1', args: { prompt: 'a banana for the benchmark' } },
				]),
			}),
			generate(GENERATE_TOOL_TYPE, 'Nano Banana'),
		],
		connections: {
			...connectInLine('Start', 'Agent'),
			'Nano Banana': { ai_tool: [[{ node: 'Agent', type: 'ai_tool', index: 0 }]] },
		},
	};
	const plain = {
		nodes: [
			node('Start', TRIGGER_TYPE),
			node('Prompts', ITEMS_TYPE, {
				items: JSON.stringify([{ prompt: 'a banana for the benchmark' }]),
			}),
			{
				...generate(GENERATE_TYPE, 'Nano Banana'),
				parameters: { prompt: '={{ $json.prompt }}', options: { endpointUrl: gateway.endpoint } },
			},
		],
		connections: connectInLine('Start', 'Prompts', 'Nano Banana'),
	};
	const tool: number[] = [];
	const direct: number[] = [];
	try {
		// Warm both paths (the payment code loads once per process).
		for (const wf of [asTool, plain])
			await runWorkflow(wf as never, { credentials, classes: distClasses() });
		for (let r = 0; r < RUNS * 3; r++) {
			let t = performance.now();
			const a = await runWorkflow(asTool as never, { credentials, classes: distClasses() });
			tool.push((performance.now() - t) / 1000);
			t = performance.now();
			const b = await runWorkflow(plain as never, { credentials, classes: distClasses() });
			direct.push((performance.now() - t) / 1000);
			const answered = (
				a.output('Agent')[0]?.json.answer as Array<Record<string, unknown>> | undefined
			)?.[0];
			if (!answered?.jobId || !b.output('Nano Banana')[0]?.json.jobId)
				throw new Error('tool-call benchmark run failed');
		}
	} finally {
		gateway.options.latencyMs = 0;
		await rpc.close();
	}
	rows.push({
		figure:
			'one Generate call as an AI-agent tool (engine path: agent asks, tool answers), gateway and RPC 200 ms away',
		values: tool,
		unit: 's',
	});
	rows.push({ figure: 'the same call as a plain node', values: direct, unit: 's' });
	rows.push({
		figure: 'tool call / plain node',
		values: tool.map((t, i) => t / direct[i]),
		unit: '×',
		target: { op: '<=', value: 1.1 },
	});
}
