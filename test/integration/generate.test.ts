/**
 * Nano-Banana Generate in n8n's real engine (WorkflowExecute), paying the
 * sandbox gateway on the local chain.
 */
import { imageSize } from 'image-size';
import { startSandbox, type Sandbox } from '../../sandbox';
import { runWorkflow } from '../../harness/engine';
import { expectNoKey, generateFlow, jsonOf, loopFlow, walletCredential } from '../helpers';

const PAY_TO = '0x5054acbbdd6aed95231cbe833f7bf1db7c248bff';
let sandbox: Sandbox;

beforeAll(async () => {
	sandbox = await startSandbox({ chain: { payers: 6 }, gateway: { jobDurationMs: 200 } });
});
afterAll(async () => await sandbox?.close());
beforeEach(() => sandbox.gateway.reset());

function run(
	flow: Parameters<typeof generateFlow>[0],
	payer = 0,
	credential: Record<string, string | number | boolean> = {},
) {
	return runWorkflow(generateFlow(flow), {
		credentials: { x402WalletApi: walletCredential(sandbox, payer, credential) },
	});
}

const transfersTo = async () => (await sandbox.chain.transfers(PAY_TO)).length;

it('pays once per item and returns the job fields and the receipt', async () => {
	const before = await transfersTo();
	const balanceBefore = await sandbox.chain.usdcBalance(sandbox.payers[0].address);
	const result = await run({
		endpoint: sandbox.gateway.endpoint,
		items: [{ prompt: 'a red banana' }, { prompt: 'a blue banana' }, { prompt: 'a green banana' }],
		generate: { aspectRatio: '16:9', outputFormat: 'webp', seed: '7' },
	});
	expect(result.status).toBe('success');
	const out = jsonOf(result.output('Generate'));
	expect(out).toHaveLength(3);
	const transfers = (await sandbox.chain.transfers(PAY_TO)).slice(before);
	expect(transfers).toHaveLength(3);
	expect(balanceBefore - (await sandbox.chain.usdcBalance(sandbox.payers[0].address))).toBe(
		3n * 52_700n,
	);
	out.forEach((json, i) => {
		expect(json).toMatchObject({
			jobId: expect.any(String),
			statusUrl: expect.stringContaining(`/status/${json.jobId}`),
			message: 'Image generation started',
			timestamp: expect.any(String),
			statusCode: 200,
			endpoint: sandbox.gateway.endpoint,
			request: {
				prompt: ['a red banana', 'a blue banana', 'a green banana'][i],
				aspect_ratio: '16:9',
				output_format: 'webp',
				seed: 7,
				num_images: 1,
				sync_mode: false,
				limit_generations: false,
			},
			payment: {
				amountUsdc: '0.0527',
				amountAtomic: '52700',
				network: 'base',
				payTo: PAY_TO,
				settlement: 'charged',
			},
		});
		const payment = json.payment as Record<string, string>;
		expect(transfers.map((t) => t.tx)).toContain(payment.transaction);
		expect(sandbox.gateway.jobs.get(json.jobId as string)?.request.prompt).toBe(
			(json.request as Record<string, unknown>).prompt,
		);
	});
	expect(result.output('Generate').map((item) => item.pairedItem)).toEqual([
		{ item: 0 },
		{ item: 1 },
		{ item: 2 },
	]);
	expectNoKey(result.run, sandbox.payers[0].key);
});

it('a batch of 20: own prompts, order and pairing kept, bounded concurrency, budget honoured, ~1 request per image', async () => {
	sandbox.gateway.options.latencyMs = 100;
	try {
		const before = await transfersTo();
		const items = Array.from({ length: 20 }, (_, i) => ({
			prompt: `banana number ${i}`,
			ratio: i % 2 ? '9:16' : '1:1',
		}));
		const result = await run(
			{
				endpoint: sandbox.gateway.endpoint,
				items,
				generate: {
					aspectRatio: '={{ $json.ratio }}',
					options: { concurrency: 4, budgetUsdc: 0.527 },
				},
				generateExtra: { onError: 'continueRegularOutput' },
			},
			1,
		);
		expect(result.status).toBe('success');
		const out = result.output('Generate');
		expect(out).toHaveLength(20);
		expect(out.map((item) => item.pairedItem)).toEqual(items.map((_, i) => ({ item: i })));
		const paid = out.filter((item) => item.json.jobId);
		const refused = out.filter((item) => item.json.error);
		expect(paid).toHaveLength(10); // 10 x 0.0527 = 0.527
		expect(refused).toHaveLength(10);
		for (const item of paid) {
			const i = (item.pairedItem as { item: number }).item;
			expect(item.json.request).toMatchObject({
				prompt: `banana number ${i}`,
				aspect_ratio: items[i].ratio,
			});
		}
		for (const item of refused) {
			expect(item.json).toMatchObject({
				errorKind: 'policy',
				rule: 'budget',
				settlement: 'not charged',
				signed: false,
			});
			expect(item.json.error).toMatch(/"budget" rule/);
		}
		expect((await sandbox.chain.transfers(PAY_TO)).slice(before)).toHaveLength(10);
		expect(sandbox.gateway.maxInFlight).toBeLessThanOrEqual(4);
		expect(sandbox.gateway.maxInFlight).toBeGreaterThan(1);
		// Signed and sent only for the 10 within budget; one unpaid request for the quote.
		expect(sandbox.gateway.counts).toMatchObject({ unpaid: 1, paid: 10 });
		expect(sandbox.gateway.counts.generate / paid.length).toBeLessThanOrEqual(1.1);
	} finally {
		sandbox.gateway.options.latencyMs = 0;
	}
});

it('Dry Run pays nothing and returns the quote', async () => {
	const balance = await sandbox.chain.usdcBalance(sandbox.payers[2].address);
	const result = await run(
		{ endpoint: sandbox.gateway.endpoint, generate: { options: { dryRun: true } } },
		2,
	);
	expect(result.status).toBe('success');
	const [json] = jsonOf(result.output('Generate'));
	expect(json).toMatchObject({
		dryRun: true,
		paymentRequired: true,
		wouldPay: true,
		quote: {
			priceUsdc: '0.0527',
			priceAtomic: '52700',
			network: 'base',
			payTo: PAY_TO,
			asset: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913',
			maxTimeoutSeconds: 300,
			x402Version: 1,
		},
		limits: { maxPriceUsdc: '0.1', credentialCapUsdc: '0.1', network: 'base' },
	});
	// What the credential test finds, where a user sees it: who pays, what it holds, how many images that is.
	const whole = balance / 1_000_000n;
	const fraction = (balance % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '') || '0';
	expect(json.wallet).toEqual({
		address: sandbox.payers[2].address,
		network: 'Base',
		usdcBalance: `${whole}.${fraction}`,
		imagesCovered: Number(balance / 52_700n),
	});
	expect(Number(balance / 52_700n)).toBeGreaterThan(0);
	expect(sandbox.gateway.paymentHeaders).toHaveLength(0);
	expect(await sandbox.chain.usdcBalance(sandbox.payers[2].address)).toBe(balance);
});

it('Dry Run with an RPC that does not answer still names the paying address, and says why the balance is missing', async () => {
	const result = await run(
		{ endpoint: sandbox.gateway.endpoint, generate: { options: { dryRun: true } } },
		2,
		{ rpcUrl: 'http://127.0.0.1:9/' },
	);
	const [json] = jsonOf(result.output('Generate'));
	expect(json).toMatchObject({
		wouldPay: true,
		wallet: { address: sandbox.payers[2].address, network: 'Base', usdcBalance: null },
	});
	expect((json.wallet as Record<string, string>).balanceNote).toMatch(
		/^The balance could not be read: the RPC at 127\.0\.0\.1:9 did not answer/,
	);
});

it("Dry Run on an empty wallet says it would not pay, in the paying run's words, and where to send USDC", async () => {
	const { privateKeyToAccount, generatePrivateKey } = await import('viem/accounts');
	const key = generatePrivateKey();
	const credentials = {
		x402WalletApi: { ...walletCredential(sandbox, 0), privateKey: key },
	};
	const result = await runWorkflow(
		generateFlow({ endpoint: sandbox.gateway.endpoint, generate: { options: { dryRun: true } } }),
		{ credentials },
	);
	const [json] = jsonOf(result.output('Generate'));
	const address = privateKeyToAccount(key).address;
	expect(json.wallet).toEqual({
		address,
		network: 'Base',
		usdcBalance: '0.0',
		imagesCovered: 0,
		fundingNote: `Send USDC on Base to ${address} before running without Dry Run.`,
	});
	expect(json.wouldPay).toBe(false);
	const paying = await runWorkflow(
		generateFlow({
			endpoint: sandbox.gateway.endpoint,
			generateExtra: { continueOnFail: true },
		}),
		{ credentials },
	);
	const [refused] = jsonOf(paying.output('Generate'));
	expect(refused).toMatchObject({ rule: 'balance', signed: false });
	expect(json.refusal).toBe(refused.error);
	expect(json.checks).toEqual(
		expect.arrayContaining([{ rule: 'balance', ok: false, refusal: refused.error }]),
	);
	expect(sandbox.gateway.paymentHeaders).toHaveLength(0);
	expectNoKey([result.run, paying.run], key);
});

it('Dry Run with Budget per Execution below the price says what the paying run says: refused', async () => {
	const options = { budgetUsdc: 0.05 };
	const dry = await run(
		{ endpoint: sandbox.gateway.endpoint, generate: { options: { ...options, dryRun: true } } },
		2,
	);
	const [json] = jsonOf(dry.output('Generate'));
	const paying = await run(
		{
			endpoint: sandbox.gateway.endpoint,
			generate: { options },
			generateExtra: { continueOnFail: true },
		},
		2,
	);
	const [refused] = jsonOf(paying.output('Generate'));
	expect(refused).toMatchObject({ rule: 'budget', signed: false });
	expect(json).toMatchObject({
		wouldPay: false,
		refusal: refused.error,
		limits: { budgetUsdc: '0.05', spentThisExecutionUsdc: '0.0' },
	});
	expect(json.checks).toEqual([
		{ rule: 'max price', ok: true },
		{ rule: 'budget', ok: false, refusal: refused.error },
		{ rule: 'balance', ok: true },
	]);
	expect(sandbox.gateway.paymentHeaders).toHaveLength(0);
});

it('Dry Run says when the price would be refused', async () => {
	const result = await run(
		{
			endpoint: sandbox.gateway.endpoint,
			generate: { options: { dryRun: true, maxPriceUsdc: 0.05 } },
		},
		2,
	);
	const [json] = jsonOf(result.output('Generate'));
	expect(json).toMatchObject({
		wouldPay: false,
		refusal: expect.stringMatching(
			/"max price" rule: the service asks 0\.0527 USDC, the limit is 0\.05 USDC/,
		),
	});
	expect(sandbox.gateway.paymentHeaders).toHaveLength(0);
});

describe('invalid fields fail their item, name the field, and pay nothing', () => {
	it.each([
		[
			'empty prompt (from an expression)',
			{ prompt: '={{ $json.missing }}' },
			{},
			/^Prompt: is empty/,
		],
		[
			'bad aspect ratio',
			{ aspectRatio: '={{ "7:3" }}' },
			{},
			/^Aspect Ratio: "7:3" is not allowed.*/,
		],
		[
			'bad output format',
			{ outputFormat: '={{ "gif" }}' },
			{},
			/^Output Format: "gif" is not allowed/,
		],
		['negative seed', { seed: '-3' }, {}, /^Seed: "-3" is not a plain whole number/],
		['text seed', { seed: 'lucky' }, {}, /^Seed: "lucky" is not a plain whole number/],
		['two images', { numImages: 2 }, {}, /^Number of Images: 2 is not allowed/],
		[
			'sync mode not a boolean',
			{ syncMode: '={{ "maybe" }}' },
			{},
			/^Sync Mode: must be true or false/,
		],
		[
			'endpoint not http',
			{},
			{ endpointUrl: 'ftp://example.com/x' },
			/^Endpoint URL: only http\(s\) URLs are requested, not ftp:/,
		],
		[
			'recipient not an address',
			{},
			{ expectedPayTo: '0x1234' },
			/^Expected Recipient: "0x1234" is not an address/,
		],
		[
			'max price above the credential cap',
			{},
			{ maxPriceUsdc: 0.5 },
			/^Max Price per Image \(USDC\): 0\.5 is above the credential's Max Payment per Request of 0\.1/,
		],
		[
			'timeout out of range',
			{},
			{ requestTimeoutSeconds: 5000 },
			/^Request Timeout \(Seconds\): must be between 1 and 900/,
		],
		[
			'concurrency out of range',
			{},
			{ concurrency: 500 },
			/^Concurrency: must be a whole number from 1 to 50, got 500/,
		],
		[
			'negative budget',
			{},
			{ budgetUsdc: -1 },
			/^Budget per Execution \(USDC\): must be a number of 0 or more/,
		],
		[
			'binary field with spaces',
			{},
			{ binaryPropertyName: 'my image' },
			/^Binary Field: "my image" is not a valid field name/,
		],
	])('%s', async (_case, params, options, message) => {
		const result = await run(
			{
				endpoint: sandbox.gateway.endpoint,
				generate: { ...params, options },
				generateExtra: { onError: 'continueRegularOutput' },
			},
			2,
		);
		const [json] = jsonOf(result.output('Generate'));
		expect(json.error).toMatch(message);
		expect(json).toMatchObject({ errorKind: 'input', settlement: 'not charged', signed: false });
		expect(json.hint).toEqual(expect.any(String));
		expect(sandbox.gateway.counts.generate).toBe(0);
	});

	it('without Continue On Fail the node fails with the field in the message', async () => {
		const result = await run(
			{ endpoint: sandbox.gateway.endpoint, generate: { aspectRatio: '={{ "square" }}' } },
			2,
		);
		expect(result.status).toBe('error');
		expect(result.error?.message).toMatch(/^Aspect Ratio: "square" is not allowed/);
		expect(result.error?.description).toMatch(/Use one of: 21:9, 16:9/);
		expect(sandbox.gateway.counts.generate).toBe(0);
	});

	it('a malformed key in the credential fails every item, names the field, never shows the key', async () => {
		const key = sandbox.payers[2].key;
		const result = await run(
			{
				endpoint: sandbox.gateway.endpoint,
				items: [{ prompt: 'a' }, { prompt: 'b' }],
				generateExtra: { onError: 'continueRegularOutput' },
			},
			2,
			{
				privateKey: `${key}ff`,
			},
		);
		const out = jsonOf(result.output('Generate'));
		expect(out).toHaveLength(2);
		for (const json of out) expect(json.error).toMatch(/^Private Key: has 66 hex characters/);
		expect(sandbox.gateway.counts.generate).toBe(0);
		expectNoKey(result.run, key);
	});
});

describe('policy refusals through the node pay nothing and name the rule', () => {
	it.each([
		[
			'max price',
			{ maxPriceUsdc: 0.05 },
			{},
			/"max price" rule: the service asks 0\.0527 USDC, the limit is 0\.05 USDC/,
		],
		[
			'recipient',
			{ expectedPayTo: '0x000000000000000000000000000000000000dEaD' },
			{},
			/"recipient" rule/,
		],
		[
			'network',
			{},
			{ network: 'base-sepolia' },
			/"network" rule: the service wants payment on "base", the credential pays on "base-sepolia"/,
		],
		[
			'credential cap',
			{},
			{ maxPaymentUsdc: 0.01 },
			/"max price" rule: .*limit is 0\.01 USDC \(Max Payment per Request in the credential\)/,
		],
	])('%s', async (_rule, options, credential, message) => {
		const balance = await sandbox.chain.usdcBalance(sandbox.payers[2].address);
		const result = await run(
			{
				endpoint: sandbox.gateway.endpoint,
				generate: { options },
				generateExtra: { onError: 'continueRegularOutput' },
			},
			2,
			credential,
		);
		const [json] = jsonOf(result.output('Generate'));
		expect(json.error).toMatch(message);
		expect(json).toMatchObject({ errorKind: 'policy', settlement: 'not charged', signed: false });
		expect(sandbox.gateway.paymentHeaders).toHaveLength(0);
		expect(await sandbox.chain.usdcBalance(sandbox.payers[2].address)).toBe(balance);
	});
});

it('Continue On Fail keeps pairing and says whether money was taken', async () => {
	sandbox.gateway.faults.afterSettle = 'error';
	sandbox.gateway.faults.onlyPrompt = 'unlucky';
	const before = await transfersTo();
	const result = await run(
		{
			endpoint: sandbox.gateway.endpoint,
			items: [{ prompt: 'fine' }, { prompt: 'unlucky' }, { prompt: 'also fine' }],
			generate: { options: { concurrency: 1 } },
			generateExtra: { onError: 'continueRegularOutput' },
		},
		3,
	);
	expect(result.status).toBe('success');
	const out = result.output('Generate');
	expect(out.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
	expect(out[0].json.jobId).toEqual(expect.any(String));
	expect(out[2].json.jobId).toEqual(expect.any(String));
	expect(out[1].json).toMatchObject({
		errorKind: 'payment',
		signed: true,
		settlement: 'charged',
		amountUsdc: '0.0527',
		payTo: PAY_TO,
		nonce: expect.stringMatching(/^0x[0-9a-f]{64}$/),
	});
	expect(out[1].json.error).toMatch(/HTTP 500 to the paid request.*WAS taken/);
	expect((await sandbox.chain.transfers(PAY_TO)).slice(before)).toHaveLength(3);
	expect(sandbox.gateway.counts.paid).toBe(3); // the failed one was not retried
});

it('without Continue On Fail, a failure stops new items and says what was already paid', async () => {
	sandbox.gateway.faults.beforeSettle = 'error';
	sandbox.gateway.faults.onlyPrompt = 'second';
	const result = await run(
		{
			endpoint: sandbox.gateway.endpoint,
			items: [{ prompt: 'first' }, { prompt: 'second' }, { prompt: 'third' }, { prompt: 'fourth' }],
			generate: { options: { concurrency: 1 } },
		},
		3,
	);
	expect(result.status).toBe('error');
	expect(result.error?.message).toMatch(/HTTP 500 to the paid request.*was NOT taken/);
	expect(result.error?.description).toMatch(
		/1 other item\(s\) of this run were paid and submitted \(jobs: [\w-]+\)/,
	);
	expect(sandbox.gateway.counts.paid).toBe(2); // 'third' and 'fourth' never started
});

it('Sync Mode outputs the image as binary, one item per image', async () => {
	const result = await run(
		{
			endpoint: sandbox.gateway.endpoint,
			generate: {
				syncMode: true,
				aspectRatio: '3:2',
				outputFormat: 'jpeg',
				options: { binaryPropertyName: 'picture' },
			},
		},
		4,
	);
	expect(result.status).toBe('success');
	const [item] = result.output('Generate');
	// The sandbox draws 3:2 at 126 x 84 (SANDBOX_IMAGE_SIZE=128 in tests); the size is read from the bytes.
	expect(item.json).toMatchObject({
		jobId: expect.any(String),
		image: { index: 0, mimeType: 'image/jpeg', width: 126, height: 84 },
		payment: { amountUsdc: '0.0527' },
	});
	expect(item.binary?.picture).toMatchObject({
		mimeType: 'image/jpeg',
		fileName: expect.stringMatching(/\.jpeg$/),
	});
	const bytes = Buffer.from(item.binary!.picture.data, 'base64');
	expect(bytes.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
	expect(imageSize(bytes)).toMatchObject({ width: 126, height: 84 });
});

it('a cancel during a paid request ends promptly and still reports that payment with its on-chain verdict', async () => {
	sandbox.gateway.faults.afterSettle = 'hang';
	let cancel: () => void = () => {};
	const running = runWorkflow(generateFlow({ endpoint: sandbox.gateway.endpoint }), {
		credentials: { x402WalletApi: walletCredential(sandbox, 4) },
		onStart: (r) => (cancel = r.cancel),
	});
	while (sandbox.gateway.counts.settled === 0) await new Promise((r) => setTimeout(r, 50));
	const cancelledAt = Date.now();
	cancel();
	const result = await running;
	expect(Date.now() - cancelledAt).toBeLessThan(2_000);
	expect(result.status).toBe('canceled');
	const taskError = result.run.data.resultData.runData.Generate?.[0]?.error as
		| { description?: string }
		| undefined;
	expect(taskError?.description).toMatch(
		/Payments in flight when it was canceled: item 0: 0\.0527 USDC to 0x5054acbbdd6aed95231cbe833f7bf1db7c248bff, payer 0x[0-9a-fA-F]{40}, nonce 0x[0-9a-f]{64}, charged/,
	);
	expect(sandbox.gateway.counts.paid).toBe(1);
});

it('the budget spans every run of the node in one execution (a loop cannot reset it)', async () => {
	const before = (await sandbox.chain.transfers(PAY_TO)).length;
	const items = Array.from({ length: 6 }, (_, i) => ({ prompt: `looped ${i}` }));
	const result = await runWorkflow(
		loopFlow({
			items,
			batchSize: 2,
			generateOptions: { endpointUrl: sandbox.gateway.endpoint, budgetUsdc: 0.2 },
			generateExtra: { onError: 'continueRegularOutput' },
		}),
		{ credentials: { x402WalletApi: walletCredential(sandbox, 5) } },
	);
	expect(result.status).toBe('success');
	expect(result.run.data.resultData.runData.Generate).toHaveLength(3); // three loop iterations
	const done = result.run.data.resultData.runData.Loop.at(-1)?.data?.main?.[1] ?? [];
	expect(done).toHaveLength(6);
	expect(done.filter((item) => item.json.jobId)).toHaveLength(3); // 3 x 0.0527 = 0.1581 <= 0.2
	expect(done.filter((item) => item.json.rule === 'budget')).toHaveLength(3);
	expect((await sandbox.chain.transfers(PAY_TO)).slice(before)).toHaveLength(3);
});

it('a budget-refused item passes through Wait for Job unchanged while the paid one yields its image', async () => {
	const before = await transfersTo();
	const result = await runWorkflow(
		generateFlow({
			endpoint: sandbox.gateway.endpoint,
			items: [{ prompt: 'paid banana' }, { prompt: 'over budget banana' }],
			generate: { options: { budgetUsdc: 0.06, concurrency: 1 } },
			generateExtra: { onError: 'continueRegularOutput' },
			wait: {},
		}),
		{ credentials: { x402WalletApi: walletCredential(sandbox, 5) } },
	);
	expect(result.status).toBe('success');
	const out = result.output('Wait');
	expect(out).toHaveLength(2);
	expect(out[0].binary?.data?.mimeType).toBe('image/png');
	expect(out[1].json).toMatchObject({ rule: 'budget', signed: false, settlement: 'not charged' });
	expect(out[1].binary).toBeUndefined();
	expect(out.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
	expect((await sandbox.chain.transfers(PAY_TO)).length - before).toBe(1);
});

it("the credential's Allowed Recipients and Allowed Hosts for Payments bound every workflow: outside them nothing is signed", async () => {
	const attempt = async (credential: Record<string, string>, dryRun = false) => {
		const result = await run(
			{
				endpoint: sandbox.gateway.endpoint,
				generate: { options: dryRun ? { dryRun: true } : {} },
				generateExtra: { continueOnFail: true },
			},
			3,
			credential,
		);
		return jsonOf(result.output('Generate'))[0];
	};
	const before = await transfersTo();
	const otherPayee = await attempt({
		allowedRecipients: '0x0000000000000000000000000000000000000001',
	});
	expect(otherPayee).toMatchObject({ rule: 'recipient', signed: false });
	expect(String(otherPayee.error)).toMatch(/not among the credential's Allowed Recipients/);
	const otherHost = await attempt({ allowedPayHosts: 'x402.dopamint.ai' });
	expect(otherHost).toMatchObject({ rule: 'host', signed: false });
	const dry = await attempt({ allowedPayHosts: 'x402.dopamint.ai' }, true);
	expect(dry).toMatchObject({ wouldPay: false, refusal: otherHost.error });
	expect(sandbox.gateway.paymentHeaders).toHaveLength(0);
	expect(await transfersTo()).toBe(before);
	// Inside both: paid as usual.
	const paid = await attempt({ allowedRecipients: PAY_TO, allowedPayHosts: '127.0.0.1' });
	expect(paid.jobId).toBeDefined();
	expect(await transfersTo()).toBe(before + 1);
});
