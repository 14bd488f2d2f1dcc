import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RUNS, rows, log, child } from './common';
import { startHostile } from '../sandbox/hostile';

/**
 * What a hostile server can do to n8n's memory: it offers a 1 GB image and a 100 MB status
 * answer. The size limits must fail the item and keep the peak near the engine's own size.
 */
export async function hostileServer() {
	log('hostile server: a 1 GB image and a 100 MB status answer');
	const hostile = await startHostile();
	const storage = mkdtempSync(path.join(os.tmpdir(), 'nano-banana-binary-'));
	const cases = [
		{
			label: 'a 1 GB image offered, in-memory binary mode (n8n 1.x)',
			mode: 'default',
			statusUrl: `${hostile.url}/status?image=${encodeURIComponent(`${hostile.url}/huge?mb=1024&type=image`)}`,
			path: '/huge',
		},
		{
			label: 'a 1 GB image offered, filesystem binary mode (n8n 2.x)',
			mode: 'filesystem',
			statusUrl: `${hostile.url}/status?image=${encodeURIComponent(`${hostile.url}/huge?mb=1024&type=image`)}`,
			path: '/huge',
		},
		{
			label: 'a 100 MB status answer (fails the poll at once, not retried)',
			mode: 'default',
			statusUrl: `${hostile.url}/huge?mb=100`,
			path: '/huge',
		},
	];
	try {
		for (const c of cases) {
			const values: number[] = [];
			let sentMb = 0;
			let start = 0;
			for (let r = 0; r < RUNS; r++) {
				hostile.sent.clear();
				const result = (await child(
					'hostile',
					{ statusUrl: c.statusUrl },
					{ N8N_DEFAULT_BINARY_DATA_MODE: c.mode, N8N_BINARY_DATA_STORAGE_PATH: storage },
				)) as unknown as {
					peakRssMb: number;
					startRssMb: number;
					error: string;
				};
				if (!/larger than/.test(result.error))
					throw new Error(`hostile run did not hit the size limit: ${result.error}`);
				values.push(result.peakRssMb);
				start = result.startRssMb;
				sentMb = (hostile.sent.get(c.path) ?? 0) / 1024 / 1024;
			}
			rows.push({
				figure: `peak RSS, ${c.label}`,
				values,
				unit: 'MB',
				note: `item failed on the size limit; the server got to send ${sentMb.toFixed(0)} MB; ${start.toFixed(0)} MB before the run`,
			});
		}
	} finally {
		await hostile.close();
		rmSync(storage, { recursive: true, force: true });
	}
}
