import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { quick, RUNS, rows, log, child, fakeJobs } from './common';
import { type Sandbox } from '../sandbox';

/**
 * n8n 2.x stores binary data on disk in regular mode (its default, measured here) and in
 * its database in queue mode (which needs n8n's app, not just its engine). The in-memory
 * mode ('default') was n8n 1.x's default and was removed in n8n 2.0; it is still measured,
 * for 1.x users, beside its live-data floor (garbage collected every 20 ms).
 */
export async function memory(sandbox: Sandbox) {
	log('memory: 50 images of 2 MB, filesystem and in-memory binary modes');
	sandbox.gateway.options.imageBytes = 2_000_000;
	const storage = mkdtempSync(path.join(os.tmpdir(), 'nano-banana-binary-'));
	const runs = [
		{ mode: 'filesystem', label: "filesystem binary mode: n8n 2.x's default", target: true },
		{
			mode: 'default',
			label: "in-memory binary mode: n8n 1.x's default, removed in n8n 2.0",
			target: false,
		},
		// Explains the row above; the full run only, so --quick stays under a minute.
		...(quick
			? []
			: [
					{
						mode: 'default',
						label: 'in-memory binary mode, live data only (garbage collected every 20 ms)',
						target: false,
						gcEveryMs: 20,
					},
				]),
	];
	try {
		for (const run of runs) {
			const values: number[] = [];
			let downloaded = 0;
			let start = 0;
			for (let r = 0; r < RUNS; r++) {
				const jobs = fakeJobs(
					sandbox,
					Array.from({ length: 50 }, () => 300),
				);
				const env = {
					N8N_DEFAULT_BINARY_DATA_MODE: run.mode,
					N8N_BINARY_DATA_STORAGE_PATH: storage,
				};
				const result = await child(
					'memory',
					{ jobs, gcEveryMs: run.gcEveryMs },
					env,
					run.gcEveryMs ? ['--expose-gc'] : [],
				);
				if (result.images !== 50) throw new Error(`memory run downloaded ${result.images} images`);
				values.push(result.peakRssMb);
				downloaded = result.downloadedMb;
				start = result.startRssMb;
			}
			rows.push({
				figure: `peak RSS, wait + download 50 × 2 MB, ${run.label}`,
				values,
				unit: 'MB',
				...(run.target ? { target: { op: '<' as const, value: 300 } } : {}),
				note: `${downloaded.toFixed(0)} MB downloaded; ${start.toFixed(0)} MB before the run, with n8n's engine loaded`,
			});
		}
	} finally {
		sandbox.gateway.options.imageBytes = undefined;
		rmSync(storage, { recursive: true, force: true });
	}
}
