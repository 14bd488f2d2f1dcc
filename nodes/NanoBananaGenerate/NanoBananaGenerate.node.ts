import type {
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';
import { walletCredentialTest } from '../shared/credentialTest';
import { generateProperties } from './description';

export class NanoBananaGenerate implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Nano-Banana Generate',
		name: 'nanoBananaGenerate',
		icon: { light: 'file:nanoBanana.svg', dark: 'file:nanoBanana.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle:
			'={{ $parameter["aspectRatio"] + " · " + $parameter["outputFormat"] + ($parameter["options"]["dryRun"] ? " · dry run" : "") }}',
		description:
			'Generate an image from a prompt with nano-banana, paid per call in USDC on Base (x402; about 0.0527 USDC, never above Max Price). Returns a job: get the image with Wait for Job.',
		defaults: { name: 'Nano-Banana Generate' },
		// One description for the editor and for models: n8n 2.41 builds the tool a model calls from
		// the node's own description (usableAsTool replacements reach only the editor).
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'x402WalletApi', required: true, testedBy: 'x402WalletTest' }],
		properties: generateProperties,
		builderHint: {
			searchHint:
				'Generates one image per item with nano-banana, paying 0.0527 USDC on Base per image (x402). It answers with a job (jobId, statusUrl), not the image: follow it with Wait for Job to get the image as binary.',
			relatedNodes: [
				{
					nodeType: 'n8n-nodes-nano-banana.waitForJob',
					relationHint:
						'Waits for the job this node starts and outputs the finished image as binary data',
				},
			],
		},
	};

	methods = { credentialTest: walletCredentialTest };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		// The run's code (payment core, chain reader) loads on the first execution, not when n8n starts.
		const { route } = await import('./actions/router.js');
		// Continue On Fail: a failed item becomes its error item, paired with its input.
		return await route(this, this.continueOnFail());
	}
}
