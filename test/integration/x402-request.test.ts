/**
 * X402 Request in n8n's engine against the sandbox (a real local chain with USDC, the official
 * facilitator, an x402 gateway): any HTTP request, paid when the server asks, with every guarantee
 * the payment core gives Generate (the shared controls, paid once, receipts), a free answer passed
 * through, a file answer as binary, Get Price signing nothing, and as an AI tool paying only
 * listed hosts.
 */
import type { IConnections, INode } from 'n8n-workflow';
import {
	connectInLine,
	ENGINE_AGENT_TYPE,
	ITEMS_TYPE,
	node,
	REQUEST_TOOL_TYPE,
	REQUEST_TYPE,
	runWorkflow,
	TRIGGER_TYPE,
	WAIT_TYPE,
} from '../../harness/engine';
import { startSandbox, type Sandbox } from '../../sandbox';
import { expectNoKey, jsonOf, walletCredential } from '../helpers';

let sandbox: Sandbox;
beforeAll(async () => {
	sandbox = await startSandbox({ chain: { payers: 3 }, gateway: { jobDurationMs: 50 } });
});
afterAll(async () => await sandbox?.close());
beforeEach(() => sandbox.gateway.reset());

const PAY_TO = '0x5054acbbdd6aed95231cbe833f7bf1db7c248bff';
const credentials = (payer = 0, extra: Record<string, string> = {}) => ({
	x402WalletApi: walletCredential(sandbox, payer, extra),
});
const transfers = async () => (await sandbox.chain.transfers(PAY_TO)).length;

function requestFlow(
	parameters: INode['parameters'],
	items: Array<Record<string, unknown>> = [{}],
	extra: Partial<INode> = {},
) {
	return {
		nodes: [
			node('Start', TRIGGER_TYPE),
			node('Items', ITEMS_TYPE, { items: JSON.stringify(items) }),
			node('Request', REQUEST_TYPE, parameters, {
				credentials: { x402WalletApi: { id: '1', name: 'w' } },
				...extra,
			}),
		],
		connections: connectInLine('Start', 'Items', 'Request'),
	};
}

const imagePost = (options: INode['parameters'] = {}, operation = 'sendRequest') => ({
	operation,
	method: 'POST',
	url: sandbox.gateway.endpoint,
	sendBody: true,
	contentType: 'json',
	specifyBody: 'keypair',
	bodyParameters: { parameters: [{ name: 'prompt', value: '={{ $json.prompt }}' }] },
	options,
});

it('Send Request pays a 402 once per item and answers status, headers, body and the receipt', async () => {
	const before = await transfers();
	const result = await runWorkflow(
		requestFlow(imagePost({ maxPriceUsdc: 0.06, expectedPayTo: PAY_TO }), [
			{ prompt: 'one' },
			{ prompt: 'two' },
		]),
		{ credentials: credentials(0) },
	);
	expect(result.error?.message ?? 'success').toBe('success');
	const out = jsonOf(result.output('Request'));
	expect(out).toHaveLength(2);
	for (const item of out) {
		expect(item.statusCode).toBe(200);
		expect((item.body as Record<string, unknown>).jobId).toEqual(expect.any(String));
		expect(item.payment).toMatchObject({
			amountUsdc: '0.0527',
			payTo: PAY_TO,
			settlement: 'charged',
			transactionOnChain: 'success',
		});
		expect(Object.keys(item.headers as object)).not.toContain('set-cookie');
	}
	expect(await transfers()).toBe(before + 2);
	// The body went as the fields said, in the paid request too.
	expect(sandbox.gateway.paymentHeaders).toHaveLength(2);
	expectNoKey(result.run, sandbox.payers[0].key);
});

it('Get Price sends the request unpaid: the offers, the one it would pay, every check; nothing signed', async () => {
	const before = await transfers();
	const result = await runWorkflow(requestFlow(imagePost({ maxPriceUsdc: 0.05 }, 'getPrice')), {
		credentials: credentials(1),
	});
	const [price] = jsonOf(result.output('Request'));
	expect(price).toMatchObject({
		method: 'POST',
		paymentRequired: true,
		wouldPay: false,
		refusal: expect.stringMatching(
			/"max price" rule: the service asks 0\.0527 USDC, the limit is 0\.05 USDC \(Max Price per Request\)/,
		),
		chosen: null,
	});
	expect(price.offers).toEqual([expect.objectContaining({ priceUsdc: '0.0527', payTo: PAY_TO })]);
	// Every limit's verdict, the refused one first as the paying run meets it.
	expect(price.checks).toEqual([
		{ rule: 'max price', ok: false, refusal: price.refusal },
		{ rule: 'max price', ok: true },
		{ rule: 'budget', ok: true },
		{ rule: 'balance', ok: true },
	]);
	const fine = jsonOf(
		(
			await runWorkflow(requestFlow(imagePost({}, 'getPrice')), { credentials: credentials(1) })
		).output('Request'),
	)[0];
	expect(fine).toMatchObject({ wouldPay: true, priceUsdc: '0.0527', payTo: PAY_TO });
	expect(sandbox.gateway.paymentHeaders).toHaveLength(0);
	expect(await transfers()).toBe(before);
});

it('a free answer passes through unpaid (payment null); a file answer comes out as binary', async () => {
	const job = sandbox.gateway.addJob({
		request: { prompt: 'x', output_format: 'png' },
		durationMs: 0,
	});
	const status = await runWorkflow(
		requestFlow({
			method: 'GET',
			url: `${sandbox.gateway.url}/api/ai/generations/status/${job.id}`,
		}),
		{ credentials: credentials(0) },
	);
	const [answer] = jsonOf(status.output('Request'));
	expect(answer).toMatchObject({ statusCode: 200, payment: null });
	expect(JSON.stringify(answer.body)).toContain(job.id);
	const imageUrl = JSON.stringify(answer.body).match(/https?:[^"]+\/images\/[^"]+/)?.[0];
	expect(imageUrl).toBeDefined();
	const image = await runWorkflow(requestFlow({ method: 'GET', url: imageUrl }), {
		credentials: credentials(0),
	});
	const [file] = image.output('Request');
	expect(file.binary?.data?.mimeType).toBe('image/png');
	expect(file.json).toMatchObject({ statusCode: 200, body: null, payment: null });
});

it('every request field is validated before anything is sent, naming the field', async () => {
	const attempt = async (parameters: INode['parameters']) => {
		const result = await runWorkflow(requestFlow(parameters, [{}], { continueOnFail: true }), {
			credentials: credentials(0),
		});
		return String(jsonOf(result.output('Request'))[0].error);
	};
	expect(await attempt({ method: 'GET', url: '={{ $json.missing }}' })).toMatch(/^URL: is empty/);
	expect(await attempt({ method: 'GET', url: 'ftp://x.example/' })).toMatch(/^URL: only http\(s\)/);
	expect(
		await attempt({
			method: 'GET',
			url: sandbox.gateway.endpoint,
			sendHeaders: true,
			headerParameters: { parameters: [{ name: 'X-PAYMENT', value: 'forged' }] },
		}),
	).toMatch(/^Header Parameters: "X-PAYMENT" is written by this node/);
	expect(
		await attempt({
			method: 'POST',
			url: sandbox.gateway.endpoint,
			sendBody: true,
			contentType: 'json',
			specifyBody: 'json',
			jsonBody: '{not json',
		}),
	).toMatch(/^JSON: is not valid JSON/);
	expect(sandbox.gateway.counts.unpaid).toBe(0);
});

describe('as an AI tool', () => {
	const toolFlow = (options: INode['parameters']) => ({
		nodes: [
			node('Start', TRIGGER_TYPE),
			node('Agent', ENGINE_AGENT_TYPE, {
				calls: JSON.stringify([
					{ tool: 'Paid API', id: 'call_1', args: { prompt: 'a banana for a model' } },
				]),
			}),
			node(
				'Paid API',
				REQUEST_TOOL_TYPE,
				{
					method: 'POST',
					url: sandbox.gateway.endpoint,
					sendBody: true,
					contentType: 'json',
					specifyBody: 'keypair',
					bodyParameters: {
						parameters: [
							{ name: 'prompt', value: "={{ $fromAI('prompt', 'What to ask for', 'string') }}" },
						],
					},
					options,
				},
				{ credentials: { x402WalletApi: { id: '1', name: 'w' } } },
			),
		],
		connections: <IConnections>{
			...connectInLine('Start', 'Agent'),
			'Paid API': { ai_tool: [[{ node: 'Agent', type: 'ai_tool', index: 0 }]] },
		},
	});
	const answerOf = (result: Awaited<ReturnType<typeof runWorkflow>>) => {
		const [call] = jsonOf(result.output('Agent'));
		const answer = typeof call.answer === 'string' ? JSON.parse(call.answer) : call.answer;
		return (answer as Array<Record<string, unknown>>)[0];
	};

	it('pays nothing when no list names the host, and says how to allow it', async () => {
		const before = await transfers();
		const answer = answerOf(await runWorkflow(toolFlow({}), { credentials: credentials(2) }));
		expect(answer).toMatchObject({ rule: 'host', signed: false });
		expect(String(answer.hint)).toMatch(/Allowed Hosts/);
		expect(await transfers()).toBe(before);
	});

	it("pays a host on the node's Allowed Hosts, and answers compactly", async () => {
		const before = await transfers();
		const answer = answerOf(
			await runWorkflow(toolFlow({ allowedHosts: '127.0.0.1' }), { credentials: credentials(2) }),
		);
		expect(Object.keys(answer).sort()).toEqual([
			'body',
			'costUsdc',
			'next',
			'settlement',
			'statusCode',
			'transaction',
		]);
		expect(answer).toMatchObject({ statusCode: 200, costUsdc: '0.0527', settlement: 'charged' });
		expect(String(answer.body)).toContain('jobId');
		expect(await transfers()).toBe(before + 1);
	});

	it('a money setting filled by the model is refused before anything is sent', async () => {
		const answer = answerOf(
			await runWorkflow(
				toolFlow({
					allowedHosts: '127.0.0.1',
					maxPriceUsdc: "={{ $fromAI('max', 'max', 'number') }}",
				}),
				{ credentials: credentials(2) },
			),
		);
		expect(String(answer.error)).toMatch(/Max Price per Request/);
		expect(sandbox.gateway.counts.unpaid).toBe(0);
	});
});

describe('against the official x402 v2 server (@x402/express), code no one here wrote', () => {
	it('pays a GET and a POST with its body, once each, and reads the settlement it answers', async () => {
		const official = await sandbox.startOfficialServer();
		try {
			const paidTo = async () =>
				(await sandbox.chain.transfers(official.payTo.toLowerCase())).length;
			const before = await paidTo();
			const result = await runWorkflow(
				requestFlow({
					method: 'GET',
					url: `${official.url}/report`,
					options: { expectedPayTo: official.payTo, maxPriceUsdc: 0.05 },
				}),
				{ credentials: credentials(1) },
			);
			const [report] = jsonOf(result.output('Request'));
			expect(report).toMatchObject({
				statusCode: 200,
				body: { report: 'the paid answer' },
				payment: {
					x402Version: 2,
					amountUsdc: '0.01',
					settlement: 'charged',
					serverSettlement: 'success',
					transactionOnChain: 'success',
				},
			});
			const echo = await runWorkflow(
				requestFlow({
					method: 'POST',
					url: `${official.url}/echo`,
					sendBody: true,
					contentType: 'json',
					specifyBody: 'json',
					jsonBody: '{"ask": "for this"}',
				}),
				{ credentials: credentials(1) },
			);
			const [echoed] = jsonOf(echo.output('Request'));
			expect(echoed).toMatchObject({
				body: { echo: { ask: 'for this' } },
				payment: { amountUsdc: '0.02', settlement: 'charged' },
			});
			const free = await runWorkflow(requestFlow({ method: 'GET', url: `${official.url}/free` }), {
				credentials: credentials(1),
			});
			expect(jsonOf(free.output('Request'))[0]).toMatchObject({
				body: { free: true },
				payment: null,
			});
			// A 402 offering MPP beside x402 is paid through its x402 offer; MPP alone is refused, named.
			const both = await runWorkflow(
				requestFlow({ method: 'GET', url: `${official.url}/mpp/report` }),
				{ credentials: credentials(1) },
			);
			expect(jsonOf(both.output('Request'))[0]).toMatchObject({
				body: { report: 'paid through x402' },
				payment: { amountUsdc: '0.01', settlement: 'charged' },
			});
			const mppOnly = await runWorkflow(
				requestFlow({ method: 'GET', url: `${official.url}/mpp-only` }, [{}], {
					continueOnFail: true,
				}),
				{ credentials: credentials(1) },
			);
			expect(jsonOf(mppOnly.output('Request'))[0]).toMatchObject({
				error: expect.stringMatching(
					/offered only an MPP challenge \(WWW-Authenticate: Payment\), another protocol this package does not pay\. Nothing was signed or paid\.$/,
				),
				signed: false,
			});
			// A paid file larger than any JSON answer may be comes out whole as binary (streamed in).
			const file = await runWorkflow(requestFlow({ method: 'GET', url: `${official.url}/file` }), {
				credentials: credentials(1),
			});
			const [stored] = file.output('Request');
			expect(stored.binary?.data).toMatchObject({ mimeType: 'image/png', fileName: 'file' });
			expect(stored.json).toMatchObject({ body: null, payment: { settlement: 'charged' } });
			expect(Buffer.from(stored.binary?.data.data ?? '', 'base64').length).toBe(8 * 1024 * 1024);
			// payment-identifier declared as required by the official server: paid, the id read by its code.
			const withId = await runWorkflow(
				requestFlow({ method: 'GET', url: `${official.url}/with-id` }),
				{ credentials: credentials(1) },
			);
			const [identified] = jsonOf(withId.output('Request'));
			expect(identified.payment).toMatchObject({ settlement: 'charged' });
			expect((identified.body as { paymentId: string }).paymentId).toMatch(/^pay_[0-9a-f]{32}$/);
			// sign-in-with-x: a route that only asks who you are lets the wallet in, paying nothing; a
			// members' route is paid once, then the same wallet signs in and pays no more.
			const me = await runWorkflow(requestFlow({ method: 'GET', url: `${official.url}/me` }), {
				credentials: credentials(1),
			});
			expect(jsonOf(me.output('Request'))[0]).toMatchObject({
				statusCode: 200,
				body: { address: sandbox.payers[1].address },
				payment: null,
			});
			const members = async () =>
				jsonOf(
					(
						await runWorkflow(requestFlow({ method: 'GET', url: `${official.url}/members` }), {
							credentials: credentials(1),
						})
					).output('Request'),
				)[0];
			const joined = await members();
			expect(joined).toMatchObject({
				body: { members: 'welcome' },
				payment: { settlement: 'charged' },
			});
			const back = await members();
			expect(back).toMatchObject({ body: { members: 'welcome' }, payment: null });
			expect(await paidTo()).toBe(before + 6);
			// Wait for Job polls a status URL that asks for a sign-in: with the credential it signs in
			// (and never pays), without one the item says to add it.
			const job = sandbox.gateway.addJob({
				request: { prompt: 'x', output_format: 'png' },
				durationMs: 0,
			});
			const imageUrl = `${sandbox.gateway.url}/images/${job.id}/0.png`;
			const statusUrl = `${official.url}/jobs/${job.id}?image=${encodeURIComponent(imageUrl)}`;
			const waitFlow = (withCredential: boolean) => ({
				nodes: [
					node('Start', TRIGGER_TYPE),
					node(
						'Wait',
						WAIT_TYPE,
						{ statusUrl, pollIntervalSeconds: 0.2, options: { allowedHosts: '127.0.0.1' } },
						{
							...(withCredential ? { credentials: { x402WalletApi: { id: '1', name: 'w' } } } : {}),
							continueOnFail: true,
						},
					),
				],
				connections: connectInLine('Start', 'Wait'),
			});
			const waited = await runWorkflow(waitFlow(true), { credentials: credentials(1) });
			const [image] = waited.output('Wait');
			expect(image.binary?.data?.mimeType).toBe('image/png');
			const refused = await runWorkflow(waitFlow(false), { credentials: credentials(1) });
			expect(String(jsonOf(refused.output('Wait'))[0].error)).toMatch(
				/asks for a wallet sign-in \(sign-in-with-x\) to be read, and Wait for Job has no credential to sign in with/,
			);
			expect(await paidTo()).toBe(before + 6);
			expectNoKey([result.run, echo.run, free.run, both.run], sandbox.payers[1].key);
		} finally {
			await official.close();
		}
	});
});

describe('payment-identifier: a lost answer is asked for again with the identical payment, never a new one', () => {
	it('the answer lost after settling comes back from the server that keeps it by id: one payment, one transfer', async () => {
		const gateway = await sandbox.startGateway({
			version: 2,
			paymentIdentifier: { required: true },
		});
		gateway.faults.loseAnswerOnce = true;
		const before = await transfers();
		const result = await runWorkflow(
			requestFlow({
				method: 'POST',
				url: gateway.endpoint,
				sendBody: true,
				contentType: 'json',
				specifyBody: 'json',
				jsonBody: '{"prompt": "lost and found"}',
			}),
			{ credentials: credentials(0) },
		);
		expect(result.error?.message ?? 'success').toBe('success');
		const [item] = jsonOf(result.output('Request'));
		expect((item.body as Record<string, unknown>).jobId).toEqual(expect.any(String));
		expect(item.payment).toMatchObject({ x402Version: 2, settlement: 'charged' });
		// The same header twice, byte for byte; settled once; the second answer was the kept one.
		expect(gateway.paymentHeaders).toHaveLength(2);
		expect(gateway.paymentHeaders[1]).toBe(gateway.paymentHeaders[0]);
		expect(gateway.counts).toMatchObject({ settled: 1, replayed: 1 });
		expect(await transfers()).toBe(before + 1);
	});

	it('without the extension declared, a lost answer is not sent again: the item says what the chain says', async () => {
		const gateway = await sandbox.startGateway({ version: 2 });
		gateway.faults.loseAnswerOnce = true;
		const result = await runWorkflow(
			requestFlow(
				{
					method: 'POST',
					url: gateway.endpoint,
					sendBody: true,
					contentType: 'json',
					specifyBody: 'json',
					jsonBody: '{"prompt": "lost for good"}',
				},
				[{}],
				{ continueOnFail: true },
			),
			{ credentials: credentials(0) },
		);
		const [item] = jsonOf(result.output('Request'));
		expect(item).toMatchObject({ errorKind: 'payment', settlement: 'charged', signed: true });
		expect(gateway.paymentHeaders).toHaveLength(1);
	});
});

describe('against the official x402 v1 server (x402-express), its facilitator over HTTP', () => {
	it('pays a v1 402 once and reads the settlement it answers', async () => {
		const official = await sandbox.startOfficialV1Server();
		try {
			const before = (await sandbox.chain.transfers(official.payTo.toLowerCase())).length;
			const result = await runWorkflow(
				requestFlow({
					method: 'GET',
					url: `${official.url}/v1/report`,
					options: { expectedPayTo: official.payTo, maxPriceUsdc: 0.05 },
				}),
				{ credentials: credentials(2) },
			);
			expect(result.error?.message ?? 'success').toBe('success');
			const [item] = jsonOf(result.output('Request'));
			expect(item).toMatchObject({
				statusCode: 200,
				body: { report: 'paid with x402 v1' },
				payment: {
					x402Version: 1,
					network: 'base',
					amountUsdc: '0.01',
					settlement: 'charged',
					serverSettlement: 'success',
				},
			});
			expect((await sandbox.chain.transfers(official.payTo.toLowerCase())).length).toBe(before + 1);
		} finally {
			await official.close();
		}
	});
});
