/**
 * n8n's queue mode with this package: Redis, PostgreSQL, one main process and two workers,
 * executions started the way production ones are (an active workflow's webhook), and what
 * users rely on checked from n8n's own records. Development only.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { walletData, type Sandbox } from '../../sandbox';
import {
	allowCustomRegistry,
	freePort,
	installThroughN8n,
	installedPackages,
	N8nRest,
	n8nEnv,
	startN8n,
	tempHome,
	type N8nProcess,
	type NodeRuntime,
} from './host';
import { crashAndRetry, idempotentWebhook } from './crash';
import { dailyLimitInQueue } from './limits';
import { mcpBothTools } from './mcp';
import { executionData, executions, workflow, type Execution } from './records';
import { ensureDebian, postgresBin, startPostgres, startRedis } from './services';

export interface QueueContext {
	n8nDir: string;
	runtime: NodeRuntime;
	sandbox: Sandbox;
	registryUrl: string;
	packageName: string;
	packageVersion: string;
	say: (line: string) => void;
	check: (name: string, ok: boolean, detail?: unknown) => void;
}

const WEBHOOK = 'nano-banana-queue';
const BUDGET_WEBHOOK = 'nano-banana-queue-budget';

/** Fires `count` webhook calls at once, each with two prompts; resolves with their HTTP statuses and the wall time. */
async function burst(
	url: string,
	count: number,
	tag: string,
): Promise<{ statuses: number[]; seconds: number }> {
	const started = Date.now();
	const statuses = await Promise.all(
		Array.from({ length: count }, async (_, i) => {
			const response = await fetch(url, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify({
					prompts: [`${tag} ${i} a banana on a beach`, `${tag} ${i} a banana in space`],
				}),
			});
			await response.arrayBuffer();
			return response.status;
		}),
	);
	return { statuses, seconds: (Date.now() - started) / 1000 };
}

const startedOn = (log: string) =>
	new Set([...log.matchAll(/Worker started execution (\d+)/g)].map((m) => m[1]));

export async function queueMode(ctx: QueueContext): Promise<void> {
	const { say, check, sandbox } = ctx;
	await ensureDebian(
		[
			{ name: 'redis-server', present: () => existsSync('/usr/bin/redis-server') },
			{ name: 'postgresql', present: () => !!postgresBin() },
		],
		say,
	);
	const redis = await startRedis();
	const pg = await startPostgres();
	const home = tempHome('n8n-queue-');
	const processes: N8nProcess[] = [];
	try {
		const env = n8nEnv(home, {
			N8N_ENCRYPTION_KEY: randomBytes(24).toString('hex'),
			EXECUTIONS_MODE: 'queue',
			QUEUE_BULL_REDIS_HOST: '127.0.0.1',
			QUEUE_BULL_REDIS_PORT: String(redis.port),
			DB_TYPE: 'postgresdb',
			DB_POSTGRESDB_HOST: '127.0.0.1',
			DB_POSTGRESDB_PORT: String(pg.port),
			DB_POSTGRESDB_DATABASE: pg.database,
			DB_POSTGRESDB_USER: pg.user,
			DB_POSTGRESDB_PASSWORD: '',
			N8N_COMMUNITY_PACKAGES_REGISTRY: ctx.registryUrl,
			QUEUE_HEALTH_CHECK_ACTIVE: 'true',
			OFFLOAD_MANUAL_EXECUTIONS_TO_WORKERS: 'true',
			N8N_LOG_LEVEL: 'info',
		});
		const mainPort = await freePort();
		const main = await startN8n(
			ctx.n8nDir,
			ctx.runtime,
			{ ...env, E2E_TESTS: 'true' },
			{ port: mainPort },
		);
		processes.push(main);
		const rest = new N8nRest(main.url);
		await rest.setupOwner();
		await allowCustomRegistry(rest);
		const installed = await installThroughN8n(rest, ctx.packageName);
		const listed = (await installedPackages(rest)).find((p) => p.packageName === ctx.packageName);
		check(
			`queue: n8n's installer on the main process installs ${ctx.packageName}@${ctx.packageVersion}`,
			installed.installedVersion === ctx.packageVersion &&
				listed?.installedVersion === ctx.packageVersion,
			listed,
		);

		// Workers share the main's user folder (as a shared volume would): they load the installed package.
		const startWorker = async () => {
			const worker = await startN8n(ctx.n8nDir, ctx.runtime, env, {
				command: 'worker',
				args: ['--concurrency=10'],
				port: await freePort(),
				readyPath: '/healthz',
				portEnv: 'QUEUE_HEALTH_CHECK_PORT',
			});
			processes.push(worker);
			return worker;
		};
		const workers = [await startWorker(), await startWorker()];
		say('queue: main + 2 workers up (Redis, PostgreSQL)');

		const credential = await rest.credential(
			'x402 Wallet (sandbox)',
			'x402WalletApi',
			walletData(sandbox),
		);
		const activate = async (wf: ReturnType<typeof workflow>) => await rest.activate(wf);
		const mainId = await activate(
			workflow(
				'Queue: two images per call',
				WEBHOOK,
				credential,
				sandbox.gateway.endpoint,
				{ maxPriceUsdc: 0.06, concurrency: 2 },
				'lastNode',
			),
		);
		const budgetId = await activate(
			workflow(
				'Queue: budget per execution',
				BUDGET_WEBHOOK,
				credential,
				sandbox.gateway.endpoint,
				{ maxPriceUsdc: 0.06, budgetUsdc: 0.06, concurrency: 2 },
				'lastNode',
			),
		);
		const hook = (p: string) => `${main.url}/webhook/${p}`;
		// Activation registers the webhooks a moment later: wait until n8n knows them (a GET is refused as the wrong method).
		for (const p of [WEBHOOK, BUDGET_WEBHOOK]) {
			for (let i = 0; i < 50; i++) {
				const text = await (await fetch(hook(p))).text();
				if (text.includes('Did you mean to make a POST request')) break;
				await new Promise((r) => setTimeout(r, 300));
			}
		}

		// A warm-up on both workers first (each loads the payment code on its first payment), so the
		// timed runs below compare the same warm processes.
		const warm = await burst(hook(WEBHOOK), 4, 'warm-up');
		if (!warm.statuses.every((st) => st === 200))
			throw new Error(`warm-up executions failed: ${warm.statuses.join(', ')}`);
		const earlier = new Set((await executions(rest, mainId)).map((e) => e.id));

		// 1. 20 executions at once, 2 prompts each.
		const transfersBefore = (await sandbox.chain.transfers()).length;
		const logMarks = workers.map((w) => w.log().length);
		const run2 = await burst(hook(WEBHOOK), 20, 'two-workers');
		const transfers = (await sandbox.chain.transfers()).length - transfersBefore;
		const all = (await executions(rest, mainId)).filter((e) => !earlier.has(e.id));
		const ok = all.filter((e) => e.status === 'success');
		check(
			'queue: 20 webhook executions started at once, 2 prompts each, all succeed',
			run2.statuses.every((s) => s === 200) && all.length === 20 && ok.length === 20,
			{ statuses: run2.statuses, executions: all.map((e) => e.status) },
		);
		check(
			'queue: exactly 40 on-chain transfers for 40 images',
			transfers === 40,
			`${transfers} transfers`,
		);
		const perWorker = workers.map((w, i) => startedOn(w.log().slice(logMarks[i])));
		const counted = perWorker.map(
			(s) => [...s].filter((id) => all.some((e) => e.id === id)).length,
		);
		check(
			`queue: both workers took part (worker 1 ran ${counted[0]}, worker 2 ran ${counted[1]} of the 20 executions)`,
			counted[0] > 0 && counted[1] > 0 && counted[0] + counted[1] === 20,
			counted,
		);
		say(
			`queue: 40 paid images with 2 workers in ${run2.seconds.toFixed(1)} s (${(40 / run2.seconds).toFixed(2)} images/s); executions per worker ${counted.join(' + ')}`,
		);

		// 2. Every image is retrievable as binary data from the main process.
		let images = 0;
		let retrievable = 0;
		for (const execution of ok) {
			const { runData } = await executionData(rest, ctx.n8nDir, execution.id);
			for (const item of runData['Wait for Job']?.[0]?.data?.main?.[0] ?? []) {
				const id = item.binary?.data?.id;
				images++;
				if (!id) continue;
				const response = await fetch(
					`${main.url}/rest/binary-data?id=${encodeURIComponent(id)}&action=view`,
					{ headers: { cookie: rest.cookieHeader(), 'browser-id': 'n8n-nodes-nano-banana-tests' } },
				);
				const bytes = Buffer.from(await response.arrayBuffer());
				if (response.ok && bytes.subarray(1, 4).toString() === 'PNG') retrievable++;
			}
		}
		check(
			`queue: every image (${retrievable} of ${images}) is retrievable as binary data from the main process`,
			images === 40 && retrievable === 40,
			{ images, retrievable },
		);

		// 3. Budget per Execution holds per execution across workers: 0.06 USDC pays one of two prompts in each.
		// 20 at once: each worker takes at most 10 (its concurrency), so both run some.
		const budgetBefore = (await sandbox.chain.transfers()).length;
		const budgetMarks = workers.map((w) => w.log().length);
		const budgetRun = await burst(hook(BUDGET_WEBHOOK), 20, 'budget');
		const budgetTransfers = (await sandbox.chain.transfers()).length - budgetBefore;
		const budgetExecutions = (await executions(rest, budgetId)).filter(
			(e) => e.status === 'success',
		);
		const budgetPerWorker = workers.map(
			(w, i) =>
				[...startedOn(w.log().slice(budgetMarks[i]))].filter((id) =>
					budgetExecutions.some((e) => e.id === id),
				).length,
		);
		let eachOne = 0;
		for (const execution of budgetExecutions) {
			const { runData } = await executionData(rest, ctx.n8nDir, execution.id);
			const items = runData['Nano-Banana Generate']?.[0]?.data?.main?.[0] ?? [];
			if (
				items.filter((i) => i.json.jobId).length === 1 &&
				items.filter((i) => i.json.rule === 'budget').length === 1
			)
				eachOne++;
		}
		check(
			`queue: Budget per Execution (0.06) pays one image per execution on both workers (20 executions, ${budgetPerWorker.join(' + ')} per worker, 20 transfers, one "budget" refusal each)`,
			budgetRun.statuses.every((st) => st === 200) &&
				budgetTransfers === 20 &&
				eachOne === 20 &&
				budgetPerWorker.every((n) => n > 0),
			{ budgetTransfers, eachOne, budgetPerWorker },
		);

		// 4. Cancelling from the main process stops Wait for Job on its worker, and the payment is still reported.
		sandbox.gateway.options.jobDurationMs = 120_000;
		const cancelBefore = (await sandbox.chain.transfers()).length;
		const pending = fetch(hook(WEBHOOK), {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ prompts: ['a banana that takes two minutes'] }),
		})
			.then((r) => r.status)
			.catch(() => 0);
		let running: Execution | undefined;
		for (let i = 0; i < 100 && !running; i++) {
			await new Promise((r) => setTimeout(r, 300));
			running = (await executions(rest, mainId)).find((e) => e.status === 'running');
			if (running && (await sandbox.chain.transfers()).length === cancelBefore) running = undefined; // wait until it has paid
		}
		if (!running) throw new Error('queue: no running execution to cancel');
		await new Promise((r) => setTimeout(r, 1500)); // Wait for Job is polling now
		const stopAt = Date.now();
		await rest.must('POST', `/rest/executions/${running.id}/stop`);
		let stopped: Execution | undefined;
		for (let i = 0; i < 100; i++) {
			stopped = (await executions(rest, mainId)).find((e) => e.id === running!.id);
			if (stopped && stopped.status !== 'running' && stopped.status !== 'new') break;
			await new Promise((r) => setTimeout(r, 200));
		}
		const stopSeconds = (Date.now() - stopAt) / 1000;
		await pending;
		sandbox.gateway.options.jobDurationMs = 1_000;
		const cancelled = await executionData(rest, ctx.n8nDir, running.id);
		const receipt = cancelled.runData['Nano-Banana Generate']?.[0]?.data?.main?.[0]?.[0]?.json
			.payment as Record<string, unknown> | undefined;
		check(
			`queue: cancelling from the main process stops Wait for Job on its worker within seconds (${stopSeconds.toFixed(1)} s, status ${stopped?.status})`,
			stopSeconds < 10 &&
				(stopped?.status === 'canceled' ||
					stopped?.status === 'crashed' ||
					stopped?.status === 'error'),
			stopped,
		);
		check(
			'queue: the cancelled execution still reports the payment made before the cancel (receipt: charged)',
			receipt?.settlement === 'charged' &&
				(await sandbox.chain.transfers()).length === cancelBefore + 1,
			{
				receipt,
				nodes: Object.keys(cancelled.runData),
				status: cancelled.status,
				transfers: (await sandbox.chain.transfers()).length - cancelBefore,
			},
		);

		// 5. Throughput with one worker, same load: the package must not serialise executions.
		await workers[1].stop();
		await new Promise((r) => setTimeout(r, 2000));
		const run1 = await burst(hook(WEBHOOK), 20, 'one-worker');
		check(
			'queue: the same load on one worker succeeds',
			run1.statuses.every((s) => s === 200),
			run1.statuses,
		);
		say(
			`queue: throughput 1 worker ${(40 / run1.seconds).toFixed(2)} images/s (${run1.seconds.toFixed(1)} s), 2 workers ${(40 / run2.seconds).toFixed(2)} images/s (${run2.seconds.toFixed(1)} s): ratio ${(run1.seconds / run2.seconds).toFixed(2)}×`,
		);

		// 6. A worker killed while paying, n8n's Retry, and the same webhook request sent again (payer 1).
		const crashCredential = await rest.credential(
			'x402 Wallet (crash test)',
			'x402WalletApi',
			walletData(sandbox, 1),
		);
		const scenario = {
			rest,
			main,
			n8nDir: ctx.n8nDir,
			sandbox,
			credentialId: crashCredential,
			payer: sandbox.payers[1].address,
			activate,
			say,
			check,
		};
		workers[0] = await crashAndRetry({ ...scenario, worker: workers[0], startWorker });
		await idempotentWebhook(scenario);

		// 7. Max Spend per 24 Hours across executions and workers (payers 2 and 3).
		await dailyLimitInQueue({
			rest,
			mainUrl: main.url,
			sandbox,
			payers: [2, 3],
			workerConcurrency: 10,
			workers: workers.length,
			activate,
			say,
			check: (n, ok, d) => check(`queue: ${n}`, ok, d),
		});

		// 8. An outside agent through the MCP Server Trigger in queue mode (n8n serves /mcp* on the
		// main process): both tools, the official MCP client.
		const workerRuns = (log: string) => (log.match(/Worker started execution/g) ?? []).length;
		const runsBefore = workers.map((w) => workerRuns(w.log()));
		await mcpBothTools({
			rest,
			baseUrl: main.url,
			sandbox,
			credentialId: credential,
			say,
			check: (n, ok, d) => check(`queue: ${n}`, ok, d),
			runData: async () => ({}),
			key: sandbox.payers[0].key.slice(2).toLowerCase(),
		});
		const onWorkers = workers.reduce((n, w, i) => n + workerRuns(w.log()) - runsBefore[i], 0);
		// What docs/agents.md says of MCP in queue mode: each tool call is an execution on a worker.
		check(
			`queue: MCP: the 2 tool calls ran as ${onWorkers} execution(s) on the workers`,
			onWorkers === 2,
		);

		const text = processes
			.map((p) => p.log())
			.join('\n')
			.toLowerCase();
		check(
			"queue: the private key appears nowhere in the main's or workers' logs",
			sandbox.payers.every((p) => !text.includes(p.key.slice(2).toLowerCase())),
		);
	} finally {
		for (const p of processes.reverse()) await p.stop();
		await redis.stop();
		await pg.stop();
		rmSync(home, { recursive: true, force: true });
	}
}
