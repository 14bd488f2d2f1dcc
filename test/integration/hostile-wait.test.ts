/**
 * Wait for Job against a hostile status/image server on loopback, in n8n's engine: redirects
 * cannot escape the allow-list, item data cannot widen it, no credentials in URLs, size
 * limits, total deadlines. (Generate against hostile servers: hostile-generate.test.ts.)
 */
import { readFileSync } from 'node:fs';
import { startSandbox, type Sandbox } from '../../sandbox';
import {
	connectInLine,
	ITEMS_TYPE,
	node,
	runWorkflow,
	TRIGGER_TYPE,
	WAIT_TYPE,
} from '../../harness/engine';
import { jsonOf, walletCredential } from '../helpers';
import { startHostile, type Hostile } from '../../sandbox/hostile';

let sandbox: Sandbox;
let hostile: Hostile;

beforeAll(async () => {
	sandbox = await startSandbox({ chain: { payers: 3 }, gateway: { jobDurationMs: 200 } });
	hostile = await startHostile();
});
afterAll(async () => {
	await hostile?.close();
	await sandbox?.close();
});
beforeEach(() => {
	sandbox.gateway.reset();
	hostile.requests.length = 0;
	hostile.sent.clear();
});

const credentials = () => ({ x402WalletApi: walletCredential(sandbox, 0) });
const port = () => new URL(hostile.url).port;

/** Trigger -> Items -> Wait for Job with Continue On Fail, allowed hosts as given. */
async function wait(
	items: Array<Record<string, unknown>>,
	allowedHosts: string,
	params: Record<string, unknown> = {},
) {
	const result = await runWorkflow(
		{
			nodes: [
				node('Start', TRIGGER_TYPE),
				node('Jobs', ITEMS_TYPE, { items: JSON.stringify(items) }),
				node(
					'Wait',
					WAIT_TYPE,
					{
						pollIntervalSeconds: 0.2,
						maxPollIntervalSeconds: 0.5,
						...params,
						options: { allowedHosts },
					} as never,
					{ onError: 'continueRegularOutput' },
				),
			],
			connections: connectInLine('Start', 'Jobs', 'Wait'),
		},
		{ credentials: credentials() },
	);
	expect(result.status).toBe('success');
	return result;
}

/** A job in the gateway as if it had been paid for. */
function fakeJob(durationMs = 100) {
	const { id } = sandbox.gateway.addJob({ request: { prompt: 'x' }, durationMs });
	return {
		jobId: id,
		statusUrl: `${sandbox.gateway.url}/api/ai/generations/status/${id}`,
		endpoint: sandbox.gateway.endpoint,
	};
}

describe("redirects cannot escape Wait for Job's allow-list", () => {
	it('a status URL redirecting to a host that is not allowed is refused; that host gets no request', async () => {
		const target = `${hostile.otherUrl}/status?image=x`;
		const result = await wait(
			[{ statusUrl: `${hostile.url}/redirect?to=${encodeURIComponent(target)}&status=302` }],
			`127.0.0.1:${port()}`,
		);
		const [json] = jsonOf(result.output('Wait'));
		expect(json.error).toMatch(
			/redirected \(HTTP 302\) to http:\/\/localhost:\d+\/status\?…, which is not allowed \(allowed: x402\.dopamint\.ai, 127\.0\.0\.1:\d+\)/,
		);
		expect(hostile.requests.map((r) => r.path.split('?')[0])).toEqual(['/redirect']);
	});

	it.each([
		'file:///etc/passwd',
		'data:application/json,{"status":"completed"}',
		'ftp://127.0.0.1/x',
	])('a redirect to %s is refused', async (to) => {
		const result = await wait(
			[{ statusUrl: `${hostile.url}/redirect?to=${encodeURIComponent(to)}&status=307` }],
			'127.0.0.1',
		);
		expect(jsonOf(result.output('Wait'))[0].error).toMatch(
			/redirected \(HTTP 307\) to .*which is not allowed/,
		);
	});

	it('an image URL redirecting off the allow-list is refused before anything is downloaded', async () => {
		const image = `${hostile.url}/redirect?to=${encodeURIComponent(`${hostile.otherUrl}/huge?mb=1&type=image`)}`;
		const result = await wait(
			[{ statusUrl: `${hostile.url}/status?image=${encodeURIComponent(image)}` }],
			`127.0.0.1:${port()}`,
		);
		expect(jsonOf(result.output('Wait'))[0].error).toMatch(
			/redirected \(HTTP 302\) to http:\/\/localhost:\d+\/huge\?…, which is not allowed/,
		);
		expect(hostile.sent.get('/huge')).toBeUndefined();
	});

	it('a redirect whose every hop is allowed is followed', async () => {
		const job = fakeJob();
		const result = await wait(
			[{ statusUrl: `${hostile.url}/redirect?to=${encodeURIComponent(job.statusUrl)}` }],
			'127.0.0.1',
		);
		expect(jsonOf(result.output('Wait'))[0]).toMatchObject({ status: 'completed' });
		expect(result.output('Wait')[0].binary?.data?.mimeType).toBe('image/png');
	});
});

describe('item data cannot widen the allow-list', () => {
	it("the incoming item's endpoint field adds no host", async () => {
		const statusUrl = `${hostile.url}/status?image=x`;
		const result = await wait([{ statusUrl, endpoint: `${hostile.url}/api` }], '');
		expect(jsonOf(result.output('Wait'))[0].error).toMatch(
			/^Status URL: host "127\.0\.0\.1:\d+" is not allowed \(allowed: x402\.dopamint\.ai\)/,
		);
		expect(hostile.requests).toHaveLength(0);
	});

	it('a bare host allows any port of it; host:port only that port', async () => {
		const job = fakeJob();
		const gatewayPort = new URL(sandbox.gateway.url).port;
		const bare = await wait([job], '127.0.0.1');
		expect(jsonOf(bare.output('Wait'))[0]).toMatchObject({ status: 'completed' });
		const otherPort = await wait(
			[fakeJob()],
			`127.0.0.1:${Number(gatewayPort) === 1 ? 2 : Number(gatewayPort) - 1}`,
		);
		expect(jsonOf(otherPort.output('Wait'))[0].error).toMatch(
			/^Status URL: host "127\.0\.0\.1:\d+" is not allowed/,
		);
		const exact = await wait([fakeJob()], `127.0.0.1:${gatewayPort}`);
		expect(jsonOf(exact.output('Wait'))[0]).toMatchObject({ status: 'completed' });
	});

	it('an Allowed Hosts entry that is not a host name is refused, naming the field', async () => {
		const result = await wait([fakeJob()], 'user:secret@127.0.0.1');
		const [json] = jsonOf(result.output('Wait'));
		expect(json.error).toMatch(/^Allowed Hosts: an entry contains a user name or password/);
		expect(JSON.stringify(json)).not.toContain('secret');
	});
});

describe('no credentials in URLs', () => {
	it('a Status URL with credentials is refused and not echoed', async () => {
		const job = fakeJob();
		const result = await wait(
			[{ statusUrl: job.statusUrl.replace('http://', 'http://bob:s3cret-token@') }],
			'127.0.0.1',
		);
		expect(jsonOf(result.output('Wait'))[0].error).toMatch(
			/^Status URL: the URL .* contains a user name or password/,
		);
		// The user's own input item holds it; nothing this node outputs or logs does.
		expect(JSON.stringify(result.run.data.resultData.runData.Wait)).not.toContain('s3cret-token');
		expect(sandbox.gateway.counts.status).toBe(0);
	});
});

describe('size limits', () => {
	it('an image above 50 MB fails its item and the download stops early', async () => {
		const image = `${hostile.url}/huge?mb=1024&type=image`;
		const result = await wait(
			[{ statusUrl: `${hostile.url}/status?image=${encodeURIComponent(image)}` }],
			'127.0.0.1',
		);
		expect(jsonOf(result.output('Wait'))[0].error).toMatch(/is larger than 50 MB; it was dropped/);
		// Of the 1 GB on offer, the limit and what the socket buffers took were ever sent.
		expect(hostile.sent.get('/huge')).toBeLessThan(50 * MB + socketBuffersMax());
	});

	it('a status answer above 5 MB fails the poll and is not read further', async () => {
		const result = await wait([{ statusUrl: `${hostile.url}/huge?mb=100` }], '127.0.0.1', {
			maxWaitMinutes: 0.05,
		});
		const [json] = jsonOf(result.output('Wait'));
		expect(String(json.error)).toMatch(/larger than 5 MB; it was dropped/);
		// The node stops reading at 5 MB; what the server wrote past that sat in the kernel's socket
		// buffers (on loopback, up to the tcp_rmem + tcp_wmem maxima), so the 100 MB were never read.
		const polls = hostile.requests.length;
		const sent = hostile.sent.get('/huge') ?? 0;
		expect(sent).toBeLessThan(polls * (5 * MB + socketBuffersMax()));
		expect(sent).toBeLessThan(100 * MB);
	});
});

describe('total deadlines, not idle timeouts', () => {
	it.each(['trickle', 'silent'])(
		'a %s status server ends the item within Max Wait + 30 s (Max Wait 3 s)',
		async (kind) => {
			const started = Date.now();
			const result = await wait([{ statusUrl: `${hostile.url}/${kind}` }], '127.0.0.1', {
				maxWaitMinutes: 0.05,
			});
			const elapsed = Date.now() - started;
			expect(elapsed).toBeLessThan(3_000 + 30_000);
			const [json] = jsonOf(result.output('Wait'));
			expect(json.error).toMatch(/^The job was still running after 0\.05 minute\(s\)/);
		},
		45_000,
	);

	it('a trickling image download ends by its deadline', async () => {
		const image = `${hostile.url}/trickle`;
		const started = Date.now();
		const result = await wait(
			[{ statusUrl: `${hostile.url}/status?image=${encodeURIComponent(image)}` }],
			'127.0.0.1',
			{ maxWaitMinutes: 0.05 },
		);
		expect(Date.now() - started).toBeLessThan(3_000 + 30_000 + 2_000);
		expect(jsonOf(result.output('Wait'))[0].error).toMatch(
			/No complete answer from http:\/\/127\.0\.0\.1:\d+\/trickle within/,
		);
	}, 45_000);
});

const MB = 1024 * 1024;

/** The largest a loopback connection's kernel buffers grow (receive + send), from /proc. */
function socketBuffersMax(): number {
	const max = (file: string) => {
		try {
			return Number(readFileSync(file, 'utf8').trim().split(/\s+/)[2]) || 16 * MB;
		} catch {
			return 16 * MB;
		}
	};
	return max('/proc/sys/net/ipv4/tcp_rmem') + max('/proc/sys/net/ipv4/tcp_wmem');
}
