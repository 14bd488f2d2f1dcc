/**
 * n8n's own records, as the app harnesses read them: executions and their data (stored
 * "flatted"), and the queue workflow the crash, limit and queue checks run. Read by queue.ts,
 * crash.ts, limits.ts and agent.ts, which no longer import each other for them.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { N8nRest } from './host';

export interface Execution {
	id: string;
	status: string;
	mode?: string;
	startedAt?: string;
	stoppedAt?: string;
}

export function workflow(
	name: string,
	path_: string,
	credentialId: string,
	endpoint: string,
	generateOptions: Record<string, unknown>,
	responseMode: 'lastNode' | 'onReceived',
	split: { field: string; destination?: string } = { field: 'body.prompts', destination: 'prompt' },
) {
	const host = new URL(endpoint).hostname;
	return {
		name,
		nodes: [
			{
				parameters: {
					httpMethod: 'POST',
					path: path_,
					responseMode,
					responseData: 'allEntries',
					options: {},
				},
				id: randomUUID(),
				name: 'Webhook',
				type: 'n8n-nodes-base.webhook',
				typeVersion: 2,
				position: [0, 0],
				webhookId: randomUUID(),
			},
			{
				parameters: {
					fieldToSplitOut: split.field,
					options: split.destination ? { destinationFieldName: split.destination } : {},
				},
				id: randomUUID(),
				name: 'Split Out',
				type: 'n8n-nodes-base.splitOut',
				typeVersion: 1,
				position: [200, 0],
			},
			{
				parameters: {
					prompt: '={{ $json.prompt }}',
					aspectRatio: '1:1',
					outputFormat: 'png',
					options: { endpointUrl: endpoint, ...generateOptions },
				},
				id: randomUUID(),
				name: 'Nano-Banana Generate',
				type: 'n8n-nodes-nano-banana.nanoBananaGenerate',
				typeVersion: 1,
				position: [400, 0],
				onError: 'continueRegularOutput',
				credentials: { x402WalletApi: { id: credentialId, name: 'x402 Wallet (sandbox)' } },
			},
			{
				parameters: {
					output: 'perImage',
					pollIntervalSeconds: 0.5,
					options: { allowedHosts: host },
				},
				id: randomUUID(),
				name: 'Wait for Job',
				type: 'n8n-nodes-nano-banana.waitForJob',
				typeVersion: 1,
				position: [600, 0],
			},
		],
		connections: {
			Webhook: { main: [[{ node: 'Split Out', type: 'main', index: 0 }]] },
			'Split Out': { main: [[{ node: 'Nano-Banana Generate', type: 'main', index: 0 }]] },
			'Nano-Banana Generate': { main: [[{ node: 'Wait for Job', type: 'main', index: 0 }]] },
		},
		// Save execution progress: each node's output is stored as it finishes, so an execution cancelled (or a worker
		// lost) after Generate paid still holds Generate's receipts. Without it, a cancel can race the worker's final save.
		settings: {
			executionOrder: 'v1',
			saveDataSuccessExecution: 'all',
			saveDataErrorExecution: 'all',
			saveExecutionProgress: true,
		},
	};
}

/** n8n stores execution data "flatted"; its own copy of the flatted package reads it. */
export function flattedParse(n8nDir: string, text: string): unknown {
	const candidates = [
		path.join(n8nDir, 'node_modules', 'flatted'),
		path.join(n8nDir, 'node_modules', 'n8n', 'node_modules', 'flatted'),
	];
	const dir = candidates.find((c) => existsSync(c));
	if (!dir) throw new Error('flatted not found in the n8n installation');
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	return (require(dir) as { parse(text: string): unknown }).parse(text);
}

export type RunData = Record<
	string,
	Array<{
		data?: {
			main?: Array<
				Array<{
					json: Record<string, unknown>;
					binary?: Record<string, { id?: string; mimeType?: string }>;
				}>
			>;
		};
		error?: { message?: string; description?: string };
	}>
>;

export async function executionData(
	rest: N8nRest,
	n8nDir: string,
	id: string,
): Promise<{
	runData: RunData;
	error?: { message?: string; description?: string };
	status: string;
}> {
	const result = await rest.must<{ data: string; status: string }>('GET', `/rest/executions/${id}`);
	const data = flattedParse(n8nDir, result.data) as {
		resultData?: { runData?: RunData; error?: { message?: string; description?: string } };
	};
	return {
		runData: data.resultData?.runData ?? {},
		error: data.resultData?.error,
		status: result.status,
	};
}

export async function executions(rest: N8nRest, workflowId: string): Promise<Execution[]> {
	const data = await rest.must<{ results: Execution[] } | Execution[]>(
		'GET',
		`/rest/executions?filter=${encodeURIComponent(JSON.stringify({ workflowId }))}&limit=100`,
	);
	return Array.isArray(data) ? data : data.results;
}
