/**
 * Stand-ins for the n8n nodes the tests, the demo and the benchmark put around this package's
 * nodes (Manual Trigger, a fixed list of items, Edit Fields, Split Out, Loop Over Items, Sticky
 * Note), and for what runs tools the way the MCP Server Trigger and n8n 1.x agents do. They follow
 * the real nodes' parameters and outputs as far as these workflows use them. Development only.
 */

import type {
	EngineRequest,
	EngineResponse,
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
} from 'n8n-workflow';

/** Stand-in for n8n's Manual Trigger: starts the run with one empty item. */
export class ManualTrigger implements INodeType {
	description = {
		displayName: 'Manual Trigger',
		name: 'manualTrigger',
		group: ['trigger'],
		version: 1,
		description: 'Starts the workflow',
		defaults: { name: 'Manual Trigger' },
		inputs: [],
		outputs: ['main'],
		properties: [],
	} as unknown as INodeType['description'];

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return [[{ json: {} }]];
	}
}

/** Emits the items of its `items` parameter (a JSON array): the test's input data. */
export class Items implements INodeType {
	description = {
		displayName: 'Items',
		name: 'items',
		group: ['transform'],
		version: 1,
		description: 'Emits fixed items',
		defaults: { name: 'Items' },
		inputs: ['main'],
		outputs: ['main'],
		properties: [{ displayName: 'Items', name: 'items', type: 'json', default: '[]' }],
	} as unknown as INodeType['description'];

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const raw = this.getNodeParameter('items', 0) as string | object[];
		const list = (typeof raw === 'string' ? JSON.parse(raw) : raw) as object[];
		return [
			list.map((json, index) => ({
				json: json as INodeExecutionData['json'],
				pairedItem: { item: 0, input: 0, ...{ index } },
			})),
		];
	}
}

/** Stand-in for n8n's Edit Fields (Set) node in "raw" JSON mode, as the examples use it. */
export class SetRaw implements INodeType {
	description = {
		displayName: 'Edit Fields (Set)',
		name: 'set',
		group: ['input'],
		version: [3, 3.4],
		description: 'Sets fields (raw JSON mode only in this stand-in)',
		defaults: { name: 'Edit Fields' },
		inputs: ['main'],
		outputs: ['main'],
		properties: [
			{ displayName: 'Mode', name: 'mode', type: 'string', default: 'raw' },
			{ displayName: 'JSON', name: 'jsonOutput', type: 'json', default: '{}' },
			{ displayName: 'Options', name: 'options', type: 'collection', default: {}, options: [] },
		],
	} as unknown as INodeType['description'];

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return [
			this.getInputData().map((_item, itemIndex) => {
				const raw = this.getNodeParameter('jsonOutput', itemIndex) as string | object;
				return {
					json: (typeof raw === 'string' ? JSON.parse(raw) : raw) as INodeExecutionData['json'],
					pairedItem: { item: itemIndex },
				};
			}),
		];
	}
}

/** Stand-in for n8n's Split Out node: one item per element of a list field. */
export class SplitOut implements INodeType {
	description = {
		displayName: 'Split Out',
		name: 'splitOut',
		group: ['transform'],
		version: 1,
		description: 'Splits a list field into items',
		defaults: { name: 'Split Out' },
		inputs: ['main'],
		outputs: ['main'],
		properties: [
			{ displayName: 'Field', name: 'fieldToSplitOut', type: 'string', default: '' },
			{ displayName: 'Options', name: 'options', type: 'collection', default: {}, options: [] },
		],
	} as unknown as INodeType['description'];

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const out: INodeExecutionData[] = [];
		this.getInputData().forEach((item, itemIndex) => {
			const field = this.getNodeParameter('fieldToSplitOut', itemIndex) as string;
			const list = item.json[field];
			for (const value of Array.isArray(list) ? list : [list]) {
				out.push({
					json: (value && typeof value === 'object'
						? value
						: { [field]: value }) as INodeExecutionData['json'],
					pairedItem: { item: itemIndex },
				});
			}
		});
		return [out];
	}
}

/** Stand-in for n8n's Loop Over Items: output 0 gets the next batch, output 1 everything once all batches came back. */
export class Batches implements INodeType {
	description = {
		displayName: 'Loop Over Items',
		name: 'batches',
		group: ['organization'],
		version: 1,
		description: 'Splits items into batches and loops',
		defaults: { name: 'Loop' },
		inputs: ['main'],
		outputs: ['main', 'main'],
		outputNames: ['loop', 'done'],
		properties: [{ displayName: 'Batch Size', name: 'batchSize', type: 'number', default: 1 }],
	} as unknown as INodeType['description'];

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const state = this.getContext('node') as {
			todo?: INodeExecutionData['json'][];
			done?: INodeExecutionData['json'][];
		};
		const input = this.getInputData().map((item) => item.json);
		if (!state.todo) {
			state.todo = input;
			state.done = [];
		} else {
			state.done?.push(...input);
		}
		const batch = state.todo.splice(0, this.getNodeParameter('batchSize', 0) as number);
		if (batch.length) return [batch.map((json, item) => ({ json, pairedItem: { item } })), []];
		return [[], (state.done ?? []).map((json, item) => ({ json, pairedItem: { item } }))];
	}
}

/**
 * Stand-in for what the MCP Server Trigger and n8n 1.x's agents do with connected tools: it
 * asks n8n's engine for them (`getInputConnectionData`: n8n-core's real createNodeAsTool and
 * makeHandleToolInvocation, with its Retry On Fail loop and a new run index per try) and
 * invokes them with the arguments its `calls` parameter lists, as a model or an MCP client
 * would. Output: one item per call with what the model is told of the tool (description,
 * arguments) and the tool's answer (or its error).
 */
export class ToolHost implements INodeType {
	description = {
		displayName: 'Tool Host',
		name: 'toolHost',
		group: ['transform'],
		version: 1,
		description: 'Calls connected tools',
		defaults: { name: 'Tool Host' },
		inputs: ['main', { type: 'ai_tool', displayName: 'Tools', required: true }],
		outputs: ['main'],
		properties: [{ displayName: 'Calls', name: 'calls', type: 'json', default: '[]' }],
	} as unknown as INodeType['description'];

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const tools = (await this.getInputConnectionData('ai_tool', 0)) as Array<{
			name: string;
			description: string;
			schema?: { shape?: Record<string, unknown> };
			invoke(args: object): Promise<string>;
		}>;
		const calls = JSON.parse(this.getNodeParameter('calls', 0) as string) as Array<{
			tool: string;
			args: object;
		}>;
		const out: INodeExecutionData[] = [];
		for (const [index, call] of calls.entries()) {
			const tool = (Array.isArray(tools) ? tools : [tools]).find((t) => t.name === call.tool);
			if (!tool)
				throw new Error(
					`no tool named ${call.tool}: ${(Array.isArray(tools) ? tools : [tools]).map((t) => t.name).join(', ')}`,
				);
			// What a model is told about the tool: its description and the arguments its schema asks for.
			const seen = {
				description: tool.description,
				arguments: Object.keys(tool.schema?.shape ?? {}),
			};
			try {
				out.push({
					json: { tool: call.tool, ...seen, answer: await tool.invoke(call.args) },
					pairedItem: { item: 0 },
				});
			} catch (error) {
				out.push({
					json: { tool: call.tool, ...seen, index, thrown: (error as Error).message },
					pairedItem: { item: 0 },
				});
			}
		}
		return [out];
	}
}

/** Stand-in for n8n's Sticky Note: no inputs, no outputs, never runs. */
export class StickyNote implements INodeType {
	description = {
		displayName: 'Sticky Note',
		name: 'stickyNote',
		group: ['input'],
		version: 1,
		description: 'A note on the canvas',
		defaults: { name: 'Sticky Note' },
		inputs: [],
		outputs: [],
		properties: [
			{ displayName: 'Content', name: 'content', type: 'string', default: '' },
			{ displayName: 'Height', name: 'height', type: 'number', default: 160 },
			{ displayName: 'Width', name: 'width', type: 'number', default: 240 },
		],
	} as unknown as INodeType['description'];
}

/**
 * Stand-in for n8n 2.x's AI Agent (v3) on its engine path: instead of calling tools itself it
 * returns an EngineRequest naming the tool nodes, their arguments and tool call ids; n8n's engine
 * (WorkflowExecute + requests-response) runs each tool node as a node of the execution, adds the
 * `toolCallId` to its input item, and runs this node again with the results. Output: one item per
 * tool call, with what the tool answered (or its error).
 */
export class EngineAgent implements INodeType {
	description = {
		displayName: 'Engine Agent',
		name: 'engineAgent',
		group: ['transform'],
		version: 1,
		description: 'Asks the engine to run connected tools',
		defaults: { name: 'Engine Agent' },
		inputs: ['main', { type: 'ai_tool', displayName: 'Tools' }],
		outputs: ['main'],
		properties: [{ displayName: 'Calls', name: 'calls', type: 'json', default: '[]' }],
	} as unknown as INodeType['description'];

	async execute(
		this: IExecuteFunctions,
		response?: EngineResponse,
	): Promise<INodeExecutionData[][] | EngineRequest> {
		if (!response?.actionResponses?.length) {
			const calls = JSON.parse(this.getNodeParameter('calls', 0) as string) as Array<{
				tool: string;
				args: IDataObject;
				id: string;
			}>;
			return {
				actions: calls.map((call) => ({
					actionType: 'ExecutionNodeAction' as const,
					nodeName: call.tool,
					input: call.args,
					type: 'ai_tool' as const,
					id: call.id,
					metadata: { itemIndex: 0 },
				})),
				metadata: {},
			};
		}
		return [
			response.actionResponses.map(({ action, data }) => {
				const items = Object.values(data.data ?? {})[0]?.[0] ?? [];
				return {
					json: {
						tool: action.nodeName,
						toolCallId: action.id,
						answer: items.map((item) => item.json),
						binary: items.some((item) => item.binary !== undefined),
						...(data.error ? { error: data.error.message } : {}),
					},
					pairedItem: { item: 0 },
				};
			}),
		];
	}
}
