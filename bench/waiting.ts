import { RUNS, rows, log, fakeJobs } from './common';
import { type Sandbox } from '../sandbox';
import {
	connectInLine,
	distClasses,
	ITEMS_TYPE,
	node,
	runWorkflow,
	TRIGGER_TYPE,
	WAIT_TYPE,
} from '../harness/engine';

export async function waiting(sandbox: Sandbox) {
	log('Wait for Job over 50 jobs of 1-5 s, 200 ms gateway latency');
	// Every status request and image download takes 200 ms, as over a real network.
	sandbox.gateway.options.latencyMs = 200;
	const ratio: number[] = [];
	const polls: number[] = [];
	const lag: number[] = [];
	for (let r = 0; r < RUNS; r++) {
		sandbox.gateway.reset(); // restores the gateway's first options too: set the latency again
		sandbox.gateway.options.latencyMs = 200;
		const durations = Array.from({ length: 50 }, (_, i) => 1000 + Math.round((4000 * i) / 49));
		const jobs = fakeJobs(sandbox, durations);
		const started = performance.now();
		const result = await runWorkflow(
			{
				nodes: [
					node('Start', TRIGGER_TYPE),
					node('Jobs', ITEMS_TYPE, { items: JSON.stringify(jobs) }),
					node('Wait', WAIT_TYPE, { options: { allowedHosts: '127.0.0.1' } }),
				],
				connections: connectInLine('Start', 'Jobs', 'Wait'),
			},
			{ classes: distClasses() },
		);
		const wall = performance.now() - started;
		if (result.status !== 'success' || result.output('Wait').length !== 50)
			throw new Error(`wait failed: ${result.error?.message}`);
		ratio.push(wall / Math.max(...durations));
		polls.push([...sandbox.gateway.polls.values()].reduce((a, b) => a + b, 0) / 50);
		const lags = jobs.map(
			(job) =>
				(sandbox.gateway.noticedAt.get(job.jobId) as number) -
				(sandbox.gateway.jobs.get(job.jobId)?.readyAt as number),
		);
		lag.push(lags.reduce((a, b) => a + b, 0) / lags.length / 1000);
	}
	sandbox.gateway.options.latencyMs = 0;
	rows.push({
		figure: 'Wait for Job, 50 jobs of 1-5 s, 200 ms latency: wall time / slowest job',
		values: ratio,
		unit: '×',
		target: { op: '<=', value: 1.2 },
	});
	rows.push({
		figure: 'status requests per job',
		values: polls,
		unit: '',
		target: { op: '<=', value: 4 },
	});
	rows.push({
		figure: 'mean lag between a job finishing and the node noticing',
		values: lag,
		unit: 's',
		target: { op: '<=', value: 1 },
	});
}
