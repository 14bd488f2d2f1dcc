import type { INode, INodeExecutionData } from 'n8n-workflow';
import { forgetInFlight } from '../../nodes/shared/x402/controls';
import { forgetHistories } from '../../nodes/shared/x402/wallet/history';
import {
	BATCHES_TYPE,
	connectInLine,
	GENERATE_TYPE,
	ITEMS_TYPE,
	node,
	TRIGGER_TYPE,
	WAIT_TYPE,
	type WorkflowJson,
} from '../../harness/engine';

/** Where the sandbox serves: what a user would put in Wait for Job's Allowed Hosts. */
export const SANDBOX_HOST = '127.0.0.1';

/** The decrypted x402WalletApi credential for payer `index` of a sandbox. */
export { walletData as walletCredential } from '../../sandbox';

/**
 * Fails if any form of the private key appears anywhere in `value`
 * (JSON output, error messages, descriptions, stacks).
 */
export function expectNoKey(value: unknown, key: string): void {
	const hex = key.replace(/^0x/i, '').toLowerCase();
	const seen = new WeakSet<object>();
	const text = JSON.stringify(value, (_k, v: unknown) => {
		if (typeof v === 'bigint') return v.toString();
		if (v instanceof Error)
			return {
				...v,
				message: v.message,
				stack: v.stack,
				description: (v as { description?: unknown }).description,
			};
		if (v && typeof v === 'object') {
			if (seen.has(v)) return undefined;
			seen.add(v);
		}
		return v;
	});
	expect(text.toLowerCase()).not.toContain(hex);
	// Also no long fragment of it (a truncated key is still a leak).
	expect(text.toLowerCase()).not.toContain(hex.slice(8, 40));
}

export interface GenerateFlowOptions {
	items?: Array<Record<string, unknown>>;
	generate?: INode['parameters'];
	generateExtra?: Partial<INode>;
	wait?: INode['parameters'];
	waitExtra?: Partial<INode>;
	endpoint: string;
}

/** Manual Trigger -> Items -> Nano-Banana Generate (-> Wait for Job). */
export function generateFlow(options: GenerateFlowOptions): WorkflowJson {
	const { options: generateOptions, ...generateParams } = (options.generate ?? {}) as Record<
		string,
		unknown
	>;
	const nodes: INode[] = [
		node('Start', TRIGGER_TYPE),
		node('Prompts', ITEMS_TYPE, {
			items: JSON.stringify(options.items ?? [{ prompt: 'a banana on the moon' }]),
		}),
		node(
			'Generate',
			GENERATE_TYPE,
			{
				prompt: '={{ $json.prompt }}',
				...generateParams,
				options: { endpointUrl: options.endpoint, ...((generateOptions as object) ?? {}) },
			} as INode['parameters'],
			{
				credentials: { x402WalletApi: { id: '1', name: 'Test wallet' } },
				...options.generateExtra,
			},
		),
	];
	const names = ['Start', 'Prompts', 'Generate'];
	if (options.wait) {
		const { options: waitOptions, ...waitParams } = options.wait as Record<string, unknown>;
		nodes.push(
			node(
				'Wait',
				WAIT_TYPE,
				{
					pollIntervalSeconds: 0.2,
					maxPollIntervalSeconds: 1,
					...waitParams,
					options: { allowedHosts: SANDBOX_HOST, ...((waitOptions as object) ?? {}) },
				} as INode['parameters'],
				options.waitExtra,
			),
		);
		names.push('Wait');
	}
	return { nodes, connections: connectInLine(...names) };
}

export function jsonOf(items: INodeExecutionData[]) {
	return items.map((item) => item.json as Record<string, unknown>);
}

/** Manual Trigger -> Items -> Loop Over Items (batches) <-> Generate: one run of Generate per batch. */
export function loopFlow(options: {
	items: Array<Record<string, unknown>>;
	batchSize: number;
	generateOptions: Record<string, unknown>;
	generateExtra?: Partial<INode>;
}): WorkflowJson {
	return {
		nodes: [
			node('Start', TRIGGER_TYPE),
			node('Prompts', ITEMS_TYPE, { items: JSON.stringify(options.items) }),
			node('Loop', BATCHES_TYPE, { batchSize: options.batchSize }),
			node(
				'Generate',
				GENERATE_TYPE,
				{ prompt: '={{ $json.prompt }}', options: options.generateOptions } as INode['parameters'],
				{
					credentials: { x402WalletApi: { id: '1', name: 'w' } },
					...options.generateExtra,
				},
			),
		],
		connections: {
			Start: { main: [[{ node: 'Prompts', type: 'main', index: 0 }]] },
			Prompts: { main: [[{ node: 'Loop', type: 'main', index: 0 }]] },
			Loop: { main: [[{ node: 'Generate', type: 'main', index: 0 }], []] },
			Generate: { main: [[{ node: 'Loop', type: 'main', index: 0 }]] },
		},
	};
}

/** Forgets what this process keeps across runs (the spending history read, payments in flight): a fresh process. */
export function forgetProcessTables(): void {
	forgetHistories();
	forgetInFlight();
}
