/**
 * n8n's real execution engine (n8n-core `WorkflowExecute`) with this package's nodes, for the
 * tests, the demo and the benchmark. Development only; its sibling harness/app runs the n8n app.
 *
 * It runs workflow JSON the way n8n does: parameters and expressions resolved per item by
 * n8n-workflow, credentials handed out by a credentials helper that honours
 * `restrictToSupportedNodes`, binary data through n8n-core's helpers. Importing it changes
 * nothing: n8n-core is loaded, and its environment prepared, on the first run.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import {
	Batches,
	EngineAgent,
	Items,
	ManualTrigger,
	SetRaw,
	SplitOut,
	StickyNote,
	ToolHost,
} from './standins';
import type * as N8nCore from 'n8n-core';
import {
	ICredentialsHelper,
	NodeHelpers,
	Workflow,
	type ICredentialDataDecryptedObject,
	type ICredentialType,
	type IConnections,
	type INode,
	type INodeExecutionData,
	type INodeType,
	type INodeTypes,
	type IRun,
	type IVersionedNodeType,
	type IWorkflowExecuteAdditionalData,
	type INodeCredentialsDetails,
	type ICredentials,
	type IHttpRequestOptions,
	type INodeProperties,
	type IWorkflowBase,
} from 'n8n-workflow';

export const PACKAGE = 'n8n-nodes-nano-banana';
export const GENERATE_TYPE = `${PACKAGE}.nanoBananaGenerate`;
export const WAIT_TYPE = `${PACKAGE}.waitForJob`;
export const WALLET_TYPE = `${PACKAGE}.x402Wallet`;
export const REQUEST_TYPE = `${PACKAGE}.x402Request`;
export const TRIGGER_TYPE = 'n8n-nodes-base.manualTrigger';
export const ITEMS_TYPE = 'sandbox.items';
export const BATCHES_TYPE = 'sandbox.batches';
export const TOOL_HOST_TYPE = 'sandbox.toolHost';
export const ENGINE_AGENT_TYPE = 'sandbox.engineAgent';
/** The tool variants n8n generates for nodes with `usableAsTool` (n8n's tool-generation: name + "Tool", an ai_tool output). */
export const GENERATE_TOOL_TYPE = `${GENERATE_TYPE}Tool`;
export const WAIT_TOOL_TYPE = `${WAIT_TYPE}Tool`;
export const WALLET_TOOL_TYPE = `${WALLET_TYPE}Tool`;
export const REQUEST_TOOL_TYPE = `${REQUEST_TYPE}Tool`;

type Loaded = INodeType | IVersionedNodeType;

/** A node type as n8n offers it to agents (n8n's `convertNodeToAiTool`, reproduced): name + "Tool", no main input, an ai_tool output. */
function toolVariant(type: Loaded): INodeType {
	const base = type as INodeType;
	// As n8n 2.41's NodeTypes builds the type it executes: from the node's own description (the
	// usableAsTool replacements shape only what the editor lists).
	const description = base.description;
	return Object.assign(Object.create(Object.getPrototypeOf(base)) as INodeType, base, {
		description: {
			...description,
			name: `${base.description.name}Tool`,
			displayName: `${base.description.displayName} Tool`,
			inputs: [],
			outputs: ['ai_tool'],
			usableAsTool: undefined,
			properties: [
				{
					displayName: 'Description',
					name: 'toolDescription',
					type: 'string',
					default: description.description,
					required: true,
				},
				...base.description.properties,
			],
		},
	});
}

/**
 * n8n-core, loaded on first use with its environment prepared: it writes its config under
 * N8N_USER_FOLDER when it loads (kept out of ~/.n8n: a temporary folder) and needs an encryption key.
 */
function n8nCore(): typeof N8nCore {
	process.env.N8N_USER_FOLDER ??= mkdtempSync(path.join(os.tmpdir(), 'n8n-nano-banana-'));
	process.env.N8N_ENCRYPTION_KEY ??= randomBytes(24).toString('hex');
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	return require('n8n-core') as typeof N8nCore;
}

export interface NodeClasses {
	generate: new () => Loaded;
	wait: new () => Loaded;
	wallet: new () => Loaded;
	request: new () => Loaded;
	credential: new () => ICredentialType;
}

/** The nodes from source (tests) or from dist/ (demo, benchmark, e2e-like checks). */
export function sourceClasses(): NodeClasses {
	// Required lazily and only under jest, which resolves `.node` to the .ts file; plain Node
	// (ts-node) would pick the codex `.node.json` first: scripts use distClasses().
	/* eslint-disable @typescript-eslint/no-require-imports */
	const classes = {
		generate: require('../../nodes/NanoBananaGenerate/NanoBananaGenerate.node').NanoBananaGenerate,
		wait: require('../../nodes/WaitForJob/WaitForJob.node').WaitForJob,
		wallet: require('../../nodes/X402Wallet/X402Wallet.node').X402Wallet,
		request: require('../../nodes/X402Request/X402Request.node').X402Request,
		credential: require('../../credentials/X402WalletApi.credentials').X402WalletApi,
	};
	/* eslint-enable @typescript-eslint/no-require-imports */
	if (typeof classes.generate !== 'function')
		throw new Error(
			'sourceClasses() works under jest only; run `npm run build` and use distClasses()',
		);
	return classes;
}

export function distClasses(root = path.resolve('dist')): NodeClasses {
	/* eslint-disable @typescript-eslint/no-require-imports */
	return {
		generate: require(path.join(root, 'nodes/NanoBananaGenerate/NanoBananaGenerate.node.js'))
			.NanoBananaGenerate,
		wait: require(path.join(root, 'nodes/WaitForJob/WaitForJob.node.js')).WaitForJob,
		wallet: require(path.join(root, 'nodes/X402Wallet/X402Wallet.node.js')).X402Wallet,
		request: require(path.join(root, 'nodes/X402Request/X402Request.node.js')).X402Request,
		credential: require(path.join(root, 'credentials/X402WalletApi.credentials.js')).X402WalletApi,
	};
	/* eslint-enable @typescript-eslint/no-require-imports */
}

function nodeTypesOf(classes: NodeClasses): { nodeTypes: INodeTypes; byName: Map<string, Loaded> } {
	const generate = new classes.generate();
	const wait = new classes.wait();
	const wallet = new classes.wallet();
	const request = new classes.request();
	const byName = new Map<string, Loaded>([
		[REQUEST_TYPE, request],
		[REQUEST_TOOL_TYPE, toolVariant(request)],
		[GENERATE_TYPE, generate],
		[WAIT_TYPE, wait],
		[WALLET_TYPE, wallet],
		[WALLET_TOOL_TYPE, toolVariant(wallet)],
		[GENERATE_TOOL_TYPE, toolVariant(generate)],
		[WAIT_TOOL_TYPE, toolVariant(wait)],
		[TOOL_HOST_TYPE, new ToolHost()],
		[ENGINE_AGENT_TYPE, new EngineAgent()],
		[TRIGGER_TYPE, new ManualTrigger()],
		[ITEMS_TYPE, new Items()],
		['n8n-nodes-base.set', new SetRaw()],
		['n8n-nodes-base.splitOut', new SplitOut()],
		['n8n-nodes-base.stickyNote', new StickyNote()],
		[BATCHES_TYPE, new Batches()],
	]);
	const nodeTypes: INodeTypes = {
		getByName: (name) => {
			const type = byName.get(name);
			if (!type) throw new Error(`Unknown node type ${name}`);
			return type;
		},
		getByNameAndVersion: (name, version) =>
			NodeHelpers.getVersionedNodeType(nodeTypes.getByName(name), version),
		getKnownTypes: () =>
			Object.fromEntries(
				[...byName.keys()].map((name) => [name, { className: name, sourcePath: '' }]),
			),
	};
	return { nodeTypes, byName };
}

/** Hands out credentials by type, and refuses restricted ones to nodes that do not declare them, as n8n does. */
class CredentialsHelper extends ICredentialsHelper {
	constructor(
		private readonly data: Record<string, ICredentialDataDecryptedObject>,
		private readonly credentialTypes: Map<string, ICredentialType>,
		private readonly byName: Map<string, Loaded>,
	) {
		super();
	}

	getParentTypes(): string[] {
		return [];
	}

	isCredentialUsableByNode(credentialType: string, nodeType: string): boolean {
		const type = this.credentialTypes.get(credentialType);
		if (!type?.restrictToSupportedNodes) return true;
		const node = this.byName.get(nodeType);
		const description =
			node && 'nodeVersions' in node ? undefined : (node as INodeType | undefined)?.description;
		return !!description?.credentials?.some((c) => c.name === credentialType);
	}

	async authenticate(
		_c: ICredentialDataDecryptedObject,
		_t: string,
		requestOptions: IHttpRequestOptions,
	): Promise<IHttpRequestOptions> {
		return requestOptions;
	}

	async preAuthentication(): Promise<undefined> {
		return undefined;
	}

	async runPreAuthentication(): Promise<undefined> {
		return undefined;
	}

	async getCredentials(_details: INodeCredentialsDetails, type: string): Promise<ICredentials> {
		throw new Error(`getCredentials(${type}) is not used in tests`);
	}

	async getDecrypted(
		_additionalData: IWorkflowExecuteAdditionalData,
		_details: INodeCredentialsDetails,
		type: string,
	): Promise<ICredentialDataDecryptedObject> {
		const data = this.data[type];
		if (!data) throw new Error(`No credential of type ${type} in this test`);
		return { ...data };
	}

	async updateCredentials(): Promise<void> {}

	async updateCredentialsOauthTokenData(): Promise<void> {}

	getCredentialsProperties(type: string): INodeProperties[] {
		return this.credentialTypes.get(type)?.properties ?? [];
	}
}

export interface WorkflowJson {
	name?: string;
	nodes: INode[];
	connections: IConnections;
}

export interface RunOptions {
	credentials?: Record<string, ICredentialDataDecryptedObject>;
	classes?: NodeClasses;
	/** Called with the running execution, e.g. to cancel it. */
	onStart?: (running: { cancel(): void }) => void;
	/** The execution's id (default: a new random one). */
	executionId?: string;
	/** Run as n8n's Retry of that execution does: mode "retry", the lifecycle hooks naming the retried execution. */
	retryOf?: string;
}

export interface RunResult {
	run: IRun;
	executionId: string;
	status: string;
	/** The error of the execution, if it failed. */
	error?: { message: string; description?: string | null; node?: string };
	/** Main output 0 of a node's last run. */
	output(nodeName: string): INodeExecutionData[];
}

export async function runWorkflow(
	workflowJson: WorkflowJson,
	options: RunOptions = {},
): Promise<RunResult> {
	const classes = options.classes ?? sourceClasses();
	const { nodeTypes, byName } = nodeTypesOf(classes);
	const credential = new classes.credential();
	const workflow = new Workflow({
		id: 'test-workflow',
		name: workflowJson.name ?? 'test',
		nodes: workflowJson.nodes,
		connections: workflowJson.connections,
		active: false,
		nodeTypes,
		settings: { executionOrder: 'v1' },
	});
	const executionId = options.executionId ?? `exec-${Math.random().toString(36).slice(2)}`;
	const mode = options.retryOf ? 'retry' : 'manual';
	const workflowData = {
		id: workflow.id,
		name: workflow.name,
		nodes: workflowJson.nodes,
		connections: workflowJson.connections,
		active: false,
	} as unknown as IWorkflowBase;
	const { ExecutionLifecycleHooks, WorkflowExecute } = n8nCore();
	const hooks = new ExecutionLifecycleHooks(mode, executionId, workflowData, options.retryOf);
	const additionalData = {
		credentialsHelper: new CredentialsHelper(
			options.credentials ?? {},
			new Map([[credential.name, credential]]),
			byName,
		),
		hooks,
		executionId,
		currentNodeExecutionIndex: 0,
		restApiUrl: 'http://localhost:5678/rest',
		instanceBaseUrl: 'http://localhost:5678',
		formBaseUrl: 'http://localhost:5678/form',
		formWaitingBaseUrl: 'http://localhost:5678/form-waiting',
		formTestBaseUrl: 'http://localhost:5678/form-test',
		webhookBaseUrl: 'http://localhost:5678/webhook',
		webhookWaitingBaseUrl: 'http://localhost:5678/webhook-waiting',
		webhookTestBaseUrl: 'http://localhost:5678/webhook-test',
		mcpBaseUrl: 'http://localhost:5678/mcp',
		mcpTestBaseUrl: 'http://localhost:5678/mcp-test',
		variables: {},
		executeWorkflow: async () => {
			throw new Error('not supported in tests');
		},
		getRunExecutionData: async () => undefined,
		getRuntimeCredential: async () => undefined,
		logAiEvent: () => {},
		startRunnerTask: async () => {
			throw new Error('not supported in tests');
		},
	} as unknown as IWorkflowExecuteAdditionalData;

	const start = workflowJson.nodes.find((n) => n.type === TRIGGER_TYPE) ?? workflowJson.nodes[0];
	const execute = new WorkflowExecute(additionalData, mode);
	const running = execute.run({ workflow, startNode: start });
	options.onStart?.({ cancel: () => running.cancel() });
	const run = await running;
	const runError = run.data.resultData.error as
		| { message: string; description?: string | null; node?: { name: string } }
		| undefined;
	return {
		run,
		executionId,
		status: run.status,
		error: runError
			? { message: runError.message, description: runError.description, node: runError.node?.name }
			: undefined,
		output(nodeName) {
			const runs = run.data.resultData.runData[nodeName];
			if (!runs?.length) return [];
			return runs[runs.length - 1].data?.main?.[0] ?? [];
		},
	};
}

/** A node of a workflow, with the defaults a test does not care about. */
export function node(
	name: string,
	type: string,
	parameters: INode['parameters'] = {},
	extra: Partial<INode> = {},
): INode {
	return { id: name, name, type, typeVersion: 1, position: [0, 0], parameters, ...extra };
}

/** Connections of a straight line of nodes, each to the next. */
export function connectInLine(...names: string[]): IConnections {
	const connections: IConnections = {};
	for (let i = 0; i < names.length - 1; i++) {
		connections[names[i]] = { main: [[{ node: names[i + 1], type: 'main', index: 0 }]] };
	}
	return connections;
}

/**
 * Starts n8n-core's binary data service in the mode N8N_DEFAULT_BINARY_DATA_MODE names, as the
 * n8n app does at start; without it the engine keeps binary data in memory (n8n 1.x's default).
 */
export async function initBinaryDataService(): Promise<void> {
	/* eslint-disable @typescript-eslint/no-require-imports */
	// n8n-core's own copy of the DI container (a second copy would not know its services).
	const { Container } = require(
		require.resolve('@n8n/di', { paths: [require.resolve('n8n-core')] }),
	);
	const { BinaryDataService } = require('n8n-core');
	/* eslint-enable @typescript-eslint/no-require-imports */
	await Container.get(BinaryDataService).init();
}

/** n8n's logger as the nodes get it (`this.logger`): n8n-core's own DI container's instance, for tests that read what was logged. */
export function n8nLogger(): { info: (message: string, meta?: object) => void } {
	n8nCore();
	/* eslint-disable @typescript-eslint/no-require-imports */
	const paths = [require.resolve('n8n-core')];
	const { Container } = require(require.resolve('@n8n/di', { paths }));
	const { Logger } = require(require.resolve('@n8n/backend-common', { paths }));
	/* eslint-enable @typescript-eslint/no-require-imports */
	return Container.get(Logger);
}
