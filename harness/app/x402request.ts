/**
 * X402 Request in the real app (n8n 1.x and 2.x, regular mode), against the official x402 v2 server
 * (@x402/express, started on the sandbox's chain and facilitator): examples/x402-request.json buys
 * from it; X402 Request buys a job there whose status URL Wait for Job polls with a wallet sign-in
 * (sign-in-with-x). Checks: paid once, v2, settlement charged, the image as binary, no key in
 * n8n's output. Development only.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Sandbox } from '../../sandbox';
import { ROOT, type RunResult } from './host';
import type { RunData } from './records';

export async function x402RequestInApp(ctx: {
	sandbox: Sandbox;
	home: string;
	n8n: (args: string[]) => Promise<RunResult>;
	check: (name: string, ok: boolean, detail?: unknown) => void;
}): Promise<void> {
	const { sandbox, home, n8n, check } = ctx;
	// X402 Request buys from the official x402 v2 server (@x402/express), as examples/x402-request.json
	// shows, pointed at it; run before the daily spend report, which then counts its payment too.
	{
		const official = await sandbox.startOfficialServer();
		try {
			const json = JSON.parse(
				readFileSync(path.join(ROOT, 'examples', 'x402-request.json'), 'utf8'),
			) as {
				id?: string;
				active?: boolean;
				nodes: Array<{ type: string; parameters: Record<string, unknown> }>;
			};
			json.id = 'NanoBananaE2E006';
			json.active = false;
			for (const n of json.nodes)
				if (n.type.endsWith('.x402Request'))
					n.parameters = {
						...n.parameters,
						url: `${official.url}/report`,
						options: { maxPriceUsdc: 0.05, allowedHosts: '127.0.0.1' },
					};
			const file = path.join(home, 'x402-request.json');
			writeFileSync(file, JSON.stringify(json));
			const imported = await n8n(['import:workflow', `--input=${file}`]);
			const before = (await sandbox.chain.transfers(official.payTo.toLowerCase())).length;
			const result = await n8n(['execute', '--id=NanoBananaE2E006', '--rawOutput']);
			const start = result.stdout.search(/^\{$/m);
			let item: Record<string, unknown> | undefined;
			try {
				const data = JSON.parse(result.stdout.slice(start)) as {
					data: { resultData: { runData: RunData } };
				};
				item = data.data.resultData.runData['X402 Request']?.[0]?.data?.main?.[0]?.[0]?.json;
			} catch {
				item = undefined;
			}
			const paid = (await sandbox.chain.transfers(official.payTo.toLowerCase())).length - before;
			const payment = item?.payment as Record<string, unknown> | undefined;
			check(
				`examples/x402-request.json: X402 Request buys from the official x402 v2 server (settlement ${String(payment?.settlement)}, ${paid} transfer)`,
				imported.code === 0 &&
					result.code === 0 &&
					item?.statusCode === 200 &&
					(item?.body as Record<string, unknown> | undefined)?.report === 'the paid answer' &&
					payment?.settlement === 'charged' &&
					payment?.x402Version === 2 &&
					paid === 1 &&
					!`${result.stdout}${result.stderr}`
						.toLowerCase()
						.includes(sandbox.payers[0].key.slice(2).toLowerCase()),
				{ item, stderr: result.stderr.slice(-800) },
			);
			// X402 Request starts a paid job there; Wait for Job polls its status URL, which asks for a
			// wallet sign-in (sign-in-with-x): it signs in with the credential and never pays.
			const job = sandbox.gateway.addJob({
				request: { prompt: 'polled with a sign-in', output_format: 'png' },
				durationMs: 0,
			});
			const image = encodeURIComponent(`${sandbox.gateway.url}/images/${job.id}/0.png`);
			const credential = {
				x402WalletApi: { id: 'x402WalletExample', name: 'x402 Wallet (Base)' },
			};
			const chained = {
				id: 'NanoBananaE2E007',
				name: 'X402 Request then Wait for Job with a sign-in',
				active: false,
				nodes: [
					{
						parameters: {},
						id: randomUUID(),
						name: 'Start',
						type: 'n8n-nodes-base.manualTrigger',
						typeVersion: 1,
						position: [0, 0],
					},
					{
						parameters: {
							method: 'POST',
							url: `${official.url}/job-start?image=${image}`,
							options: { allowedHosts: '127.0.0.1' },
						},
						id: randomUUID(),
						name: 'X402 Request',
						type: 'n8n-nodes-nano-banana.x402Request',
						typeVersion: 1,
						position: [220, 0],
						credentials: credential,
					},
					{
						parameters: {
							statusUrl: '={{ $json.body.statusUrl }}',
							pollIntervalSeconds: 0.5,
							options: { allowedHosts: '127.0.0.1' },
						},
						id: randomUUID(),
						name: 'Wait for Job',
						type: 'n8n-nodes-nano-banana.waitForJob',
						typeVersion: 1,
						position: [440, 0],
						credentials: credential,
					},
				],
				connections: {
					Start: { main: [[{ node: 'X402 Request', type: 'main', index: 0 }]] },
					'X402 Request': { main: [[{ node: 'Wait for Job', type: 'main', index: 0 }]] },
				},
				settings: { executionOrder: 'v1' },
			};
			const chainFile = path.join(home, 'x402-request-wait.json');
			writeFileSync(chainFile, JSON.stringify(chained));
			const chainImported = await n8n(['import:workflow', `--input=${chainFile}`]);
			const paidBefore = (await sandbox.chain.transfers(official.payTo.toLowerCase())).length;
			const chainRun = await n8n(['execute', '--id=NanoBananaE2E007', '--rawOutput']);
			let waited: Array<{
				json: Record<string, unknown>;
				binary?: Record<string, { mimeType?: string }>;
			}> = [];
			try {
				const data = JSON.parse(chainRun.stdout.slice(chainRun.stdout.search(/^\{$/m))) as {
					data: { resultData: { runData: RunData } };
				};
				waited = data.data.resultData.runData['Wait for Job']?.[0]?.data?.main?.[0] ?? [];
			} catch {
				waited = [];
			}
			const paidChain =
				(await sandbox.chain.transfers(official.payTo.toLowerCase())).length - paidBefore;
			check(
				`X402 Request buys a job from the official server, Wait for Job polls its sign-in-protected status URL (${waited.length} image, ${paidChain} payment)`,
				chainImported.code === 0 &&
					chainRun.code === 0 &&
					waited.length === 1 &&
					waited[0].binary?.data?.mimeType === 'image/png' &&
					paidChain === 1,
				{ waited: waited.map((w) => w.json), stderr: chainRun.stderr.slice(-800) },
			);
		} finally {
			await official.close();
		}
	}
}
