import type {
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';
import { walletCredentialTest } from '../shared/credentialTest';
import { waitProperties } from './description';

export class WaitForJob implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Wait for Job',
		name: 'waitForJob',
		icon: { light: 'file:waitForJob.svg', dark: 'file:waitForJob.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{ $parameter["downloadImages"] ? "wait and download" : "wait" }}',
		description:
			'Poll a job from Nano-Banana Generate (its statusUrl) until it ends, then output its images (their URLs when run as a tool). Never pays.',
		defaults: { name: 'Wait for Job' },
		// One description for the editor and for models: n8n 2.41 builds the tool a model calls from
		// the node's own description (usableAsTool replacements reach only the editor).
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		// Optional: only to sign in (sign-in-with-x) to status URLs that ask who you are; never to pay.
		credentials: [{ name: 'x402WalletApi', required: false, testedBy: 'x402WalletTest' }],
		properties: waitProperties,
		builderHint: {
			searchHint:
				'Polls the statusUrl of a Nano-Banana Generate job until it ends and outputs the image as binary (one item per image). Never pays. Put it right after Nano-Banana Generate with Status URL {{ $json.statusUrl }}.',
			relatedNodes: [
				{
					nodeType: 'n8n-nodes-nano-banana.nanoBananaGenerate',
					relationHint: 'Pays for and starts the image job this node waits for',
				},
			],
		},
	};

	methods = { credentialTest: walletCredentialTest };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		// The run's code (poller, downloads, sign-in) loads on the first execution, not when n8n starts.
		const [{ isToolRun, runItems }, { setUpWait, waitForJob }] = await Promise.all([
			import('../shared/items.js'),
			import('./execute.js'),
		]);
		const setup = setUpWait(this);
		const output = await runItems(
			this,
			this.getInputData().length,
			setup.concurrency,
			async (itemIndex) => await waitForJob(this, setup, itemIndex),
			{ continueOnFail: this.continueOnFail(), failuresAsItems: isToolRun(this) },
		);
		return [output];
	}
}
