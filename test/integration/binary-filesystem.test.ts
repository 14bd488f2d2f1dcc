/**
 * Downloads in n8n 2.x's default binary mode (filesystem: n8n streams the image to disk):
 * the image arrives whole, and the size limit and deadline still stop a hostile server.
 * The other integration tests run in n8n's in-memory mode (n8n 1.x's default).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startSandbox, type Sandbox } from '../../sandbox';
import { startHostile, type Hostile } from '../../sandbox/hostile';
import {
	connectInLine,
	initBinaryDataService,
	ITEMS_TYPE,
	node,
	runWorkflow,
	TRIGGER_TYPE,
	WAIT_TYPE,
} from '../../harness/engine';
import { jsonOf, SANDBOX_HOST } from '../helpers';

const storage = mkdtempSync(path.join(os.tmpdir(), 'nano-banana-fs-'));
const saved = {
	mode: process.env.N8N_DEFAULT_BINARY_DATA_MODE,
	path: process.env.N8N_BINARY_DATA_STORAGE_PATH,
};
let sandbox: Sandbox;
let hostile: Hostile;

beforeAll(async () => {
	process.env.N8N_DEFAULT_BINARY_DATA_MODE = 'filesystem';
	process.env.N8N_BINARY_DATA_STORAGE_PATH = storage;
	await initBinaryDataService();
	sandbox = await startSandbox({
		chain: { payers: 1 },
		gateway: { jobDurationMs: 100, imageBytes: 3_000_000 },
	});
	hostile = await startHostile();
});
afterAll(async () => {
	await hostile?.close();
	await sandbox?.close();
	rmSync(storage, { recursive: true, force: true });
	process.env.N8N_DEFAULT_BINARY_DATA_MODE = saved.mode;
	process.env.N8N_BINARY_DATA_STORAGE_PATH = saved.path;
	if (saved.mode === undefined) delete process.env.N8N_DEFAULT_BINARY_DATA_MODE;
	if (saved.path === undefined) delete process.env.N8N_BINARY_DATA_STORAGE_PATH;
});

function filesIn(dir: string): string[] {
	return readdirSync(dir, { recursive: true, withFileTypes: true })
		.filter((entry) => entry.isFile())
		.map((entry) => path.join(entry.parentPath, entry.name));
}

async function wait(statusUrl: string) {
	const result = await runWorkflow({
		nodes: [
			node('Start', TRIGGER_TYPE),
			node('Jobs', ITEMS_TYPE, { items: JSON.stringify([{ statusUrl }]) }),
			node(
				'Wait',
				WAIT_TYPE,
				{
					pollIntervalSeconds: 0.2,
					maxWaitMinutes: 0.1,
					options: { allowedHosts: SANDBOX_HOST },
				} as never,
				{ onError: 'continueRegularOutput' },
			),
		],
		connections: connectInLine('Start', 'Jobs', 'Wait'),
	});
	expect(result.status).toBe('success');
	return result;
}

it('streams a 3 MB image to disk whole', async () => {
	const { id } = sandbox.gateway.addJob({
		id: 'fs-job',
		request: { prompt: 'x', output_format: 'png' },
		durationMs: 100,
	});
	const result = await wait(`${sandbox.gateway.url}/api/ai/generations/status/${id}`);
	const [item] = result.output('Wait');
	expect(item.json).toMatchObject({ status: 'completed' });
	expect(item.binary?.data?.id).toMatch(/^filesystem/);
	const size = (item.json.image as { sizeBytes: number }).sizeBytes;
	expect(size).toBeGreaterThanOrEqual(3_000_000);
	const stored = filesIn(storage).filter((file) => statSync(file).size === size);
	expect(stored).toHaveLength(1);
	expect([...readFileSync(stored[0]).subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
});

it('a 1 GB image fails its item past 50 MB; little more than that was ever sent', async () => {
	const image = `${hostile.url}/huge?mb=1024&type=image`;
	const result = await wait(`${hostile.url}/status?image=${encodeURIComponent(image)}`);
	expect(jsonOf(result.output('Wait'))[0].error).toMatch(/larger than 50 MB; it was dropped/);
	expect(hostile.sent.get('/huge')).toBeLessThan(60 * 1024 * 1024);
});
