/**
 * `npm run test:e2e`: this package inside the real n8n app, in the configurations users run:
 *
 *   n8n1   n8n 1.123.50 on the machine's Node 20, regular mode, default (in-memory) binary data: the newest
 *          1.123 patch that installs on Node 20 (1.123.66 and later pull isolated-vm 6, which needs Node 22)
 *   n8n2   n8n 2.41.1 on Node 24, regular mode
 *   queue  n8n 2.41.1 on Node 24 in queue mode: Redis + PostgreSQL (Debian's packages), one main
 *          process and two workers, executions started by an active workflow's webhook
 *   agent  n8n 2.41.1 on Node 24: both nodes as tools of n8n's AI Agent (its OpenAI Chat Model
 *          pointed at the scripted model of sandbox/model.ts) in Chat Trigger conversations, behind
 *          the Chat node's human approval, and through the MCP Server Trigger (harness/app/agent.ts)
 *   agent1 the same on n8n 1.123.50 (Node 20) with its AI Agent 3, without the approval (n8n 1.x
 *          has no human-review tools)
 *
 * All by default; pick with `-- --config=n8n1,queue` or E2E_CONFIGS. Each n8n version is
 * installed once into a cache outside the repository. The package is installed through n8n's
 * own community-package installer (the REST call Settings → Community nodes → Install makes)
 * from a local registry serving the packed package. In the regular configurations the example
 * workflows then run with n8n's CLI, and the checks are: success, image binary with the right
 * mime type, one on-chain transfer per image, a dry run that moves nothing, no key in n8n's
 * output. The queue configuration's checks are in harness/app/queue.ts.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pointAtGateway, startSandbox, walletData, type Sandbox } from '../sandbox';
import {
	allowCustomRegistry,
	freePort,
	installedPackages,
	installN8n,
	installThroughN8n,
	machineNode,
	N8nRest,
	n8nEnv,
	node24,
	ROOT,
	run,
	startN8n,
	startRegistry,
	tempHome,
	type NodeRuntime,
	type Registry,
} from '../harness/app/host';
import { agentMode } from '../harness/app/agent';
import { x402RequestInApp } from '../harness/app/x402request';
import { mcpRetryOnFail } from '../harness/app/mcp';
import { queueMode } from '../harness/app/queue';
import { executionData, type RunData } from '../harness/app/records';

/**
 * The workflow the README's "First image" asks a person to paste, read from between its markers, with
 * what pasting it into the editor and picking the credential add: node ids, a name, the credential.
 */
function readmeFirstWorkflow() {
	const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
	const block =
		/<!-- first-workflow:begin -->\s*```json\n([\s\S]*?)```\s*<!-- first-workflow:end -->/.exec(
			readme,
		);
	if (!block) throw new Error('README.md: the first workflow block is missing');
	const workflow = JSON.parse(block[1]) as {
		name?: string;
		nodes: Array<{
			id?: string;
			type: string;
			parameters: Record<string, unknown>;
			credentials?: unknown;
		}>;
		settings?: Record<string, unknown>;
	};
	workflow.name = 'README first workflow';
	for (const node of workflow.nodes) {
		node.id = randomUUID();
		if (node.type.endsWith('.nanoBananaGenerate'))
			node.credentials = { x402WalletApi: { id: 'x402WalletExample', name: 'x402 Wallet (Base)' } };
	}
	return workflow;
}

interface Config {
	name: 'n8n1' | 'n8n2' | 'queue' | 'agent' | 'agent1';
	n8n: string;
	label: string;
	runtime: () => Promise<NodeRuntime>;
	/** npm overrides for installing this n8n here (1.x pins xlsx to a URL this machine cannot reach). */
	overrides?: Record<string, string>;
}

const CONFIGS: Config[] = [
	{
		name: 'n8n1',
		n8n: '1.123.50',
		label: 'n8n 1.123.50, Node 20, regular mode, in-memory binary data',
		runtime: async () => await machineNode([20]),
		overrides: { xlsx: '0.18.5' },
	},
	{
		name: 'n8n2',
		n8n: '2.41.1',
		label: 'n8n 2.41.1, Node 24, regular mode',
		runtime: async () => await node24(say),
	},
	{
		name: 'queue',
		n8n: '2.41.1',
		label: 'n8n 2.41.1, Node 24, queue mode: Redis + PostgreSQL, main + 2 workers',
		runtime: async () => await node24(say),
	},
	{
		name: 'agent',
		n8n: '2.41.1',
		label:
			'n8n 2.41.1, Node 24: AI Agent + OpenAI Chat Model (scripted), Chat Trigger, approval, MCP',
		runtime: async () => await node24(say),
	},
	{
		name: 'agent1',
		n8n: '1.123.50',
		label: 'n8n 1.123.50, Node 20: AI Agent 3 + OpenAI Chat Model (scripted), Chat Trigger, MCP',
		runtime: async () => await machineNode([20]),
		overrides: { xlsx: '0.18.5' },
	},
];
const PACKAGE = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
	name: string;
	version: string;
	n8n: { nodes: string[] };
};

const say = (line: string) => process.stdout.write(`e2e: ${line}\n`);

type CheckFn = (name: string, ok: boolean, detail?: unknown) => void;

/** A regular-mode instance: install through n8n's installer, then import and execute the examples with the CLI. */
async function regular(
	config: Config,
	runtime: NodeRuntime,
	n8nDir: string,
	sandbox: Sandbox,
	registry: Registry,
	check: CheckFn,
) {
	const home = tempHome(`n8n-e2e-${config.name}-`);
	try {
		const env = n8nEnv(home, {
			N8N_ENCRYPTION_KEY: randomBytes(24).toString('hex'),
			N8N_COMMUNITY_PACKAGES_REGISTRY: registry.url,
			// n8n's own E2E switch, only to license the custom registry (see allowCustomRegistry).
			E2E_TESTS: 'true',
		});
		const n8n = (args: string[]) =>
			run(runtime.node, [path.join(n8nDir, 'node_modules', 'n8n', 'bin', 'n8n'), ...args], {
				env: {
					...process.env,
					...env,
					PATH: `${path.join(runtime.root, 'bin')}${path.delimiter}${process.env.PATH}`,
				},
				cwd: home,
			});

		// Installed the way users install it: n8n's installer, from a registry.
		say(
			`installing ${PACKAGE.name} through n8n's community-package installer from ${registry.url}`,
		);
		const app = await startN8n(n8nDir, runtime, env, { port: await freePort() });
		try {
			const rest = new N8nRest(app.url);
			await rest.setupOwner();
			await allowCustomRegistry(rest);
			const installed = await installThroughN8n(rest, PACKAGE.name);
			check(
				`n8n's installer installs ${PACKAGE.name}@${PACKAGE.version} with its ${PACKAGE.n8n.nodes.length} nodes`,
				installed.installedVersion === PACKAGE.version &&
					installed.installedNodes.length === PACKAGE.n8n.nodes.length,
				JSON.stringify(installed).slice(0, 500),
			);
			const listed = (await installedPackages(rest)).find((p) => p.packageName === PACKAGE.name);
			check(
				'Settings → Community nodes lists it with its version',
				listed?.installedVersion === PACKAGE.version,
				JSON.stringify(listed),
			);
		} finally {
			await app.stop();
		}

		const credential = [
			{
				id: 'x402WalletExample',
				name: 'x402 Wallet (Base)',
				type: 'x402WalletApi',
				// The daily limit is read from the chain before every run's first payment; 5 USDC is never reached here.
				data: walletData(sandbox, 0, { maxSpend24hUsdc: 5 }),
			},
		];
		const credentialFile = path.join(home, 'credentials.json');
		writeFileSync(credentialFile, JSON.stringify(credential));
		const imported = await n8n(['import:credentials', `--input=${credentialFile}`]);
		rmSync(credentialFile);
		check(
			'n8n imports the x402 Wallet credential',
			imported.code === 0,
			imported.stderr.slice(-500),
		);

		const workflows = [
			{ file: 'single-image', id: 'NanoBananaE2E001', images: 1 },
			{ file: 'batch', id: 'NanoBananaE2E002', images: 4 },
			{ file: 'price-check', id: 'NanoBananaE2E003', images: 0 },
			// Last, so that the Dry Run above counts the 5 images paid before it: the README's first workflow,
			// as a person pastes it (with the credential they pick in Generate).
			{ file: 'readme-first-workflow', id: 'NanoBananaE2E005', images: 1 },
		];
		for (const wf of workflows) {
			const json =
				wf.file === 'readme-first-workflow'
					? readmeFirstWorkflow()
					: JSON.parse(readFileSync(path.join(ROOT, 'examples', `${wf.file}.json`), 'utf8'));
			json.id = wf.id;
			json.active = false;
			pointAtGateway(json, sandbox.gateway);
			const file = path.join(home, `${wf.file}.json`);
			writeFileSync(file, JSON.stringify(json));
			const result = await n8n(['import:workflow', `--input=${file}`]);
			check(`n8n imports ${wf.file}`, result.code === 0, result.stderr.slice(-500));
		}

		for (const wf of workflows) {
			const transfersBefore = (await sandbox.chain.transfers()).length;
			const started = Date.now();
			const result = await n8n(['execute', `--id=${wf.id}`, '--rawOutput']);
			if (process.env.E2E_KEEP)
				writeFileSync(
					path.join(home, `${wf.file}.out`),
					`${result.code}\n---stdout---\n${result.stdout}\n---stderr---\n${result.stderr}`,
				);
			const transfers = (await sandbox.chain.transfers()).length - transfersBefore;
			// The result is printed as indented JSON: it starts at a line that is just "{".
			const start = result.stdout.search(/^\{$/m);
			let data:
				| { data?: { resultData?: { error?: { message?: string }; runData?: RunData } } }
				| undefined;
			try {
				data = start >= 0 ? JSON.parse(result.stdout.slice(start)) : undefined;
			} catch {
				data = undefined;
			}
			const runData = data?.data?.resultData?.runData ?? {};
			const error = data?.data?.resultData?.error?.message;
			check(
				`${wf.file}: n8n execute succeeds (${Math.round((Date.now() - started) / 1000)} s)`,
				result.code === 0 && !!data && !error,
				`${error ?? ''}\n${result.stderr.slice(-1500)}\n${result.stdout.slice(0, 1500)}`,
			);
			if (wf.images > 0) {
				const images = runData['Wait for Job']?.[0]?.data?.main?.[0] ?? [];
				check(
					`${wf.file}: ${wf.images} image(s) as binary with mime type image/png`,
					images.length === wf.images &&
						images.every((i) => i.binary?.data?.mimeType === 'image/png'),
					JSON.stringify(images.map((i) => i.json)).slice(0, 500),
				);
				check(
					`${wf.file}: one on-chain USDC transfer per image`,
					transfers === wf.images,
					`${transfers} transfers`,
				);
				// n8n 1.x keeps binary data in memory by default (the bytes travel in the item); 2.x writes it to disk (an id).
				const ids = images.map((i) => (i.binary?.data as { id?: string } | undefined)?.id);
				const inMemory = config.name === 'n8n1';
				check(
					`${wf.file}: images held in ${inMemory ? "n8n 1.x's in-memory binary mode" : "n8n 2.x's filesystem binary mode"}`,
					inMemory
						? ids.every((id) => !id)
						: ids.every((id) => String(id).startsWith('filesystem')),
					ids,
				);
			} else {
				const [item] = runData['Nano-Banana Generate']?.[0]?.data?.main?.[0] ?? [];
				// What the earlier examples paid (1 + 4 images) is on the chain: the daily limit counts it.
				const daily = (item?.json?.limits as Record<string, unknown> | undefined)?.dailyLimit as
					| Record<string, unknown>
					| undefined;
				check(
					`${wf.file}: dry run returns the quote, moves nothing, and shows the daily limit with the 5 images paid so far (${String(daily?.spentLast24hUsdc)} of ${String(daily?.limitUsdc)} USDC spent)`,
					item?.json?.dryRun === true &&
						(item.json.quote as Record<string, unknown>)?.priceUsdc === '0.0527' &&
						transfers === 0 &&
						daily?.spentLast24hUsdc === '0.2635' &&
						daily?.limitUsdc === '5.0' &&
						daily?.imagesLeft === 89,
					String(JSON.stringify(item?.json)).slice(0, 800),
				);
			}
			const text = `${result.stdout}\n${result.stderr}`.toLowerCase();
			check(
				`${wf.file}: the private key appears nowhere in n8n's output`,
				!text.includes(sandbox.payers[0].key.slice(2).toLowerCase()),
			);
		}

		// X402 Request against the official x402 v2 server (harness/app/x402request.ts).
		await x402RequestInApp({ sandbox, home, n8n, check });

		// The daily spend report (X402 Wallet → Get Payments → Report), run after the paying examples.
		{
			const json = JSON.parse(
				readFileSync(path.join(ROOT, 'examples', 'daily-spend-report.json'), 'utf8'),
			);
			json.id = 'NanoBananaE2E004';
			json.active = false;
			const file = path.join(home, 'daily-spend-report.json');
			writeFileSync(file, JSON.stringify(json));
			const imported = await n8n(['import:workflow', `--input=${file}`]);
			const result = await n8n(['execute', '--id=NanoBananaE2E004', '--rawOutput']);
			const start = result.stdout.search(/^\{$/m);
			let report: Record<string, unknown> | undefined;
			try {
				const data = JSON.parse(result.stdout.slice(start)) as {
					data: { resultData: { runData: RunData } };
				};
				report = data.data.resultData.runData.Report?.[0]?.data?.main?.[0]?.[0]?.json;
			} catch {
				report = undefined;
			}
			const sent = (await sandbox.chain.transfers()).filter(
				(t) => t.from.toLowerCase() === sandbox.payers[0].address.toLowerCase(),
			);
			const total = sent.reduce((sum, t) => sum + t.value, 0n);
			const expected = `sent ${Number(total) / 1e6} USDC in ${sent.length} payment(s) (${sent.length} through x402)`;
			check(
				`examples/daily-spend-report.json: X402 Wallet reads the day's payments from the chain ("${String(
					report?.text ?? '',
				)
					.split('\n')[0]
					.slice(0, 140)}")`,
				imported.code === 0 && result.code === 0 && String(report?.text ?? '').includes(expected),
				{ expected, report, stderr: result.stderr.slice(-800) },
			);
		}

		// An outside agent through the MCP Server Trigger (the official MCP client), on the running app.
		const server = await startN8n(n8nDir, runtime, env, { port: await freePort() });
		try {
			const rest = new N8nRest(server.url);
			await rest.login();
			await mcpRetryOnFail({
				rest,
				baseUrl: server.url,
				sandbox,
				credentialId: 'x402WalletExample',
				say,
				check,
				runData: async (id) =>
					(await executionData(rest, n8nDir, id)).runData as Record<string, unknown[]>,
			});
		} finally {
			await server.stop();
		}
		check(
			"the private key appears nowhere in n8n's log",
			!server.log().toLowerCase().includes(sandbox.payers[0].key.slice(2).toLowerCase()),
		);
	} finally {
		if (process.env.E2E_KEEP) say(`kept ${home}`);
		else rmSync(home, { recursive: true, force: true });
	}
}

async function main() {
	if (!existsSync(path.join(ROOT, 'dist/nodes/NanoBananaGenerate/NanoBananaGenerate.node.js')))
		throw new Error('run `npm run build` first (npm run test:e2e does)');
	const wanted = (
		process.argv.find((a) => a.startsWith('--config='))?.slice('--config='.length) ??
		process.env.E2E_CONFIGS ??
		CONFIGS.map((c) => c.name).join(',')
	)
		.split(',')
		.map((c) => c.trim());
	const unknown = wanted.filter((w) => !CONFIGS.some((c) => c.name === w));
	if (unknown.length)
		throw new Error(
			`unknown configuration ${unknown.join(', ')}: use ${CONFIGS.map((c) => c.name).join(', ')}`,
		);
	const summary: string[] = [];
	let failedAll = 0;
	for (const config of CONFIGS.filter((c) => wanted.includes(c.name))) {
		const checks: Array<{ ok: boolean }> = [];
		const check: CheckFn = (name, ok, detail) => {
			checks.push({ ok });
			say(
				`${ok ? 'ok  ' : 'FAIL'} [${config.name}] ${name}${detail !== undefined && !ok ? `: ${String(typeof detail === 'string' ? detail : JSON.stringify(detail)).slice(0, 1500)}` : ''}`,
			);
		};
		say(`── ${config.name}: ${config.label}`);
		const started = Date.now();
		const sandbox: Sandbox = await startSandbox({
			chain: { payers: 4 },
			gateway: { jobDurationMs: 1_000 },
		});
		let registry: Registry | undefined;
		try {
			const runtime = await config.runtime();
			say(`[${config.name}] node ${runtime.node} (${runtime.major})`);
			const n8nDir = await installN8n(config.n8n, runtime, say, config.overrides);
			registry = await startRegistry(say);
			if (config.name === 'agent' || config.name === 'agent1') {
				await agentMode({
					n8nMajor: config.name === 'agent1' ? 1 : 2,
					n8nDir,
					runtime,
					sandbox,
					registryUrl: registry.url,
					packageName: PACKAGE.name,
					packageVersion: PACKAGE.version,
					say: (l) => say(`[agent] ${l}`),
					check,
				});
			} else if (config.name === 'queue') {
				await queueMode({
					n8nDir,
					runtime,
					sandbox,
					registryUrl: registry.url,
					packageName: PACKAGE.name,
					packageVersion: PACKAGE.version,
					say: (l) => say(`[queue] ${l.replace(/^queue: /, '')}`),
					check: (n, ok, d) => check(n.replace(/^queue: /, ''), ok, d),
				});
			} else {
				await regular(config, runtime, n8nDir, sandbox, registry, check);
			}
		} catch (error) {
			check(`runs to the end (${(error as Error).message.slice(0, 2000)})`, false);
		} finally {
			await registry?.close();
			await sandbox.close();
		}
		const failed = checks.filter((c) => !c.ok).length;
		failedAll += failed;
		summary.push(
			`e2e: ${config.name} (${config.label}): ${checks.length - failed} passed, ${failed} failed (${Math.round((Date.now() - started) / 1000)} s)`,
		);
	}
	for (const line of summary) process.stdout.write(`${line}\n`);
	const total = summary.length;
	process.stdout.write(
		`e2e: ${total} configuration(s), ${failedAll === 0 ? 'all passed' : `${failedAll} check(s) failed`}\n`,
	);
	if (failedAll) process.exit(1);
}

main().catch((error: Error) => {
	process.stderr.write(`e2e failed: ${error.stack ?? error.message}\n`);
	process.exit(1);
});
