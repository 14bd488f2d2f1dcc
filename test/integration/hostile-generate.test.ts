/**
 * Generate against a hostile or broken x402 gateway, on the local chain: short-lived
 * signatures, the token domain from our table, no payment header off the Endpoint URL's
 * host, Retry On Fail that cannot pay twice, reports that are never lost, receipts that
 * say who claims what, a balance check that does not count loops twice, endpoints that
 * hang, trickle or flood, and prompts that could mislead.
 * Every case that could move money counts the transfers on the chain.
 */
import { recoverTypedDataAddress } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { startSandbox, type Sandbox } from '../../sandbox';
import { runWorkflow } from '../../harness/engine';
import { NanoBananaError } from '../../nodes/shared/errors';
import { PaymentError } from '../../nodes/shared/x402/protocol/payment';
import { fetchHttp } from '../../nodes/shared/transports';
import { MAX_VALIDITY_SECONDS } from '../../nodes/shared/limits';
import { PaymentSession } from '../../nodes/shared/x402/session';
import { Budget } from '../../nodes/shared/x402/controls';
import { walletFromCredential } from '../../nodes/shared/x402/wallet/credential';
import { expectNoKey, generateFlow, jsonOf, loopFlow, walletCredential } from '../helpers';
import { startHostile, type Hostile } from '../../sandbox/hostile';

const PAY_TO = '0x5054acbbdd6aed95231cbe833f7bf1db7c248bff';
let sandbox: Sandbox;
let hostile: Hostile;

beforeAll(async () => {
	sandbox = await startSandbox({ chain: { payers: 8 } });
	hostile = await startHostile();
});
afterAll(async () => {
	await hostile?.close();
	await sandbox?.close();
});
beforeEach(() => {
	sandbox.gateway.reset();
	hostile.requests.length = 0;
});

const transfers = async () => (await sandbox.chain.transfers(PAY_TO)).length;
const credentials = () => ({ x402WalletApi: walletCredential(sandbox, 0) });
const port = () => new URL(hostile.url).port;
const session = (payer = 0, extra: Record<string, string | number | boolean> = {}) =>
	new PaymentSession({
		http: fetchHttp(),
		wallet: walletFromCredential(walletCredential(sandbox, payer, extra)),
		budget: new Budget(1_000_000n),
	});

async function failure(promise: Promise<unknown>): Promise<NanoBananaError> {
	try {
		await promise;
	} catch (error) {
		for (const payer of sandbox.payers) expectNoKey(error, payer.key);
		return error as NanoBananaError;
	}
	throw new Error('expected a failure');
}

function decodeHeader(header: string) {
	return JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as {
		payload: { signature: `0x${string}`; authorization: Record<string, string> };
	};
}

describe('a signed authorization is short-lived, whatever the server asks', () => {
	it.each([3_600, 315_360_000, 1e13, 1e30])(
		'refuses a quote valid %d seconds under the "validity" rule, signing nothing',
		async (seconds) => {
			sandbox.gateway.faults.quoteOverrides = { maxTimeoutSeconds: seconds };
			const before = await transfers();
			const error = await failure(
				session().pay({ url: sandbox.gateway.endpoint, body: { prompt: 'long-lived' } }),
			);
			expect(error.kind).toBe('policy');
			expect(error.details.rule).toBe('validity');
			expect(error.message).toMatch(
				/^Payment refused by the "validity" rule: .* the most this package signs is 600 seconds\. Nothing was signed or paid\.$/,
			);
			expect(error.signed).toBe(false);
			expect(sandbox.gateway.counts.paid).toBe(0);
			expect(await transfers()).toBe(before);
		},
	);

	it.each([[-300], [0], ['300'], [null], [12.5]])(
		'refuses maxTimeoutSeconds %p before signing',
		async (value) => {
			sandbox.gateway.faults.quoteOverrides = { maxTimeoutSeconds: value };
			const error = await failure(
				session().pay({ url: sandbox.gateway.endpoint, body: { prompt: 'absurd' } }),
			);
			expect(error.kind).toBe('quote');
			expect(error.message).toMatch(
				/maxTimeoutSeconds is not a positive whole number of seconds\. Nothing was signed or paid\./,
			);
			expect(sandbox.gateway.counts.paid).toBe(0);
		},
	);

	it("signs Dopamint's 300 s as asked, and never more than the ceiling", async () => {
		const started = Math.floor(Date.now() / 1000);
		await session().pay({ url: sandbox.gateway.endpoint, body: { prompt: 'short' } });
		const { authorization } = decodeHeader(sandbox.gateway.paymentHeaders[0]).payload;
		const validity = Number(authorization.validBefore) - started;
		expect(validity).toBeGreaterThanOrEqual(299);
		expect(validity).toBeLessThanOrEqual(301);
		expect(validity).toBeLessThanOrEqual(MAX_VALIDITY_SECONDS);
	});
});

it("signs the token's EIP-712 domain from the package's table, not the server's extra", async () => {
	sandbox.gateway.faults.quoteOverrides = { extra: { name: 'Evil Coin', version: '9' } };
	const before = await transfers();
	const answer = await session(1).pay({
		url: sandbox.gateway.endpoint,
		body: { prompt: 'domain' },
	});
	expect(answer.receipt?.settlement).toBe('charged');
	expect(await transfers()).toBe(before + 1);
	const { signature, authorization } = decodeHeader(sandbox.gateway.paymentHeaders[0]).payload;
	const message = {
		from: authorization.from as `0x${string}`,
		to: authorization.to as `0x${string}`,
		value: BigInt(authorization.value),
		validAfter: BigInt(authorization.validAfter),
		validBefore: BigInt(authorization.validBefore),
		nonce: authorization.nonce as `0x${string}`,
	};
	const types = {
		TransferWithAuthorization: [
			{ name: 'from', type: 'address' },
			{ name: 'to', type: 'address' },
			{ name: 'value', type: 'uint256' },
			{ name: 'validAfter', type: 'uint256' },
			{ name: 'validBefore', type: 'uint256' },
			{ name: 'nonce', type: 'bytes32' },
		],
	} as const;
	const recover = async (name: string, version: string) =>
		await recoverTypedDataAddress({
			domain: {
				name,
				version,
				chainId: 8453,
				verifyingContract: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913',
			},
			types,
			primaryType: 'TransferWithAuthorization',
			message,
			signature,
		});
	expect((await recover('USD Coin', '2')).toLowerCase()).toBe(
		sandbox.payers[1].address.toLowerCase(),
	);
	expect((await recover('Evil Coin', '9')).toLowerCase()).not.toBe(
		sandbox.payers[1].address.toLowerCase(),
	);
});

describe('a payment header goes only to the Endpoint URL', () => {
	it('a redirect on the paid request is not followed: the other host gets nothing, the error names it', async () => {
		sandbox.gateway.faults.paidRedirect = `${hostile.url}/collect`;
		const before = await transfers();
		const error = await failure(
			session(2).pay({ url: sandbox.gateway.endpoint, body: { prompt: 'redirected' } }),
		);
		expect(error).toBeInstanceOf(PaymentError);
		expect(error.message).toContain(
			`answered with a redirect (HTTP 307) to ${hostile.url}/collect; payment and chain requests never follow redirects`,
		);
		expect((error as PaymentError).settlement).toBe('not charged');
		expect(error.message).toMatch(
			/was NOT taken as of .*; the signed authorization stays valid until \d{4}-/,
		);
		expect(hostile.requests).toHaveLength(0);
		expect(await transfers()).toBe(before);
	});

	it('a redirect on the unpaid request fails before anything is signed', async () => {
		sandbox.gateway.faults.unpaidRedirect = `${hostile.url}/quote`;
		const error = await failure(
			session(2).pay({ url: sandbox.gateway.endpoint, body: { prompt: 'redirected' } }),
		);
		expect(error.signed).toBe(false);
		expect(error.message).toMatch(
			/redirect \(HTTP 307\) to http:\/\/127\.0\.0\.1:\d+\/quote; payment and chain requests never follow redirects\. Nothing was signed or paid\./,
		);
		expect(hostile.requests).toHaveLength(0);
		expect(sandbox.gateway.counts.paid).toBe(0);
	});
});

describe('messages match the verdict', () => {
	it('charged: the service took the payment, and the message says so', async () => {
		sandbox.gateway.faults.noJobId = true;
		const result = await runWorkflow(
			generateFlow({
				endpoint: sandbox.gateway.endpoint,
				generateExtra: { onError: 'continueRegularOutput' },
			}),
			{
				credentials: { x402WalletApi: walletCredential(sandbox, 3) },
			},
		);
		const [json] = jsonOf(result.output('Generate'));
		expectNoKey(result.run, sandbox.payers[3].key);
		expect(json).toMatchObject({ signed: true, settlement: 'charged' });
		expect(json.error).toMatch(
			/^The service answered the paid request without a job id: .*The payment of 0\.0527 USDC WAS taken/,
		);
	});

	it('not charged: always with "valid until"', async () => {
		sandbox.gateway.faults.beforeSettle = 'error';
		const error = (await failure(
			session(3).pay({ url: sandbox.gateway.endpoint, body: { prompt: 'x' } }),
		)) as PaymentError;
		expect(error.settlement).toBe('not charged');
		expect(error.paid).toBe(false);
		expect(error.message).toMatch(
			/was NOT taken as of \d{4}-.*; the signed authorization stays valid until \d{4}-\d\d-\d\dT/,
		);
		expect(error.message).not.toMatch(/took the payment|WAS taken/);
	});

	it('unknown (RPC unreachable): "the payment may have been taken"', async () => {
		sandbox.gateway.faults.afterSettle = 'error';
		const error = (await failure(
			session(3, { rpcUrl: `${hostile.url}/nothing-here` }).pay({
				url: sandbox.gateway.endpoint,
				body: { prompt: 'x' },
			}),
		)) as PaymentError;
		expect(error.settlement).toBe('unknown');
		expect(error.paid).toBeUndefined();
		expect(error.message).toMatch(
			/The payment of 0\.0527 USDC may have been taken: it could not be checked on-chain\./,
		);
	});
});

it('a paid answer above 5 MB is dropped and reported with its verdict', async () => {
	sandbox.gateway.faults.afterSettle = 'huge';
	const error = (await failure(
		session(4).pay({ url: sandbox.gateway.endpoint, body: { prompt: 'huge' } }),
	)) as PaymentError;
	expect(error).toBeInstanceOf(PaymentError);
	expect(error.message).toMatch(
		/^The paid request failed: The answer of http:\/\/127\.0\.0\.1:\d+\/api\/.* is larger than 5 MB; it was dropped\. The payment of 0\.0527 USDC WAS taken/,
	);
	expect(error.settlement).toBe('charged');
});

it('the receipt says who claims what: a forged settlement header is not taken for a payment', async () => {
	sandbox.gateway.faults.forgeSettlement = true;
	const before = await transfers();
	const answer = await session(4).pay({
		url: sandbox.gateway.endpoint,
		body: { prompt: 'forged' },
	});
	expect(answer.receipt).toMatchObject({
		serverSettlement: 'success',
		transaction: `0x${'ab'.repeat(32)}`,
		transactionOnChain: 'not found',
		settlement: 'not charged',
		explorerUrl: null,
	});
	expect(await transfers()).toBe(before);
	// A real one, for contrast: both the chain and the server agree.
	sandbox.gateway.reset();
	const real = await session(4).pay({ url: sandbox.gateway.endpoint, body: { prompt: 'real' } });
	expect(real.receipt).toMatchObject({
		serverSettlement: 'success',
		transactionOnChain: 'success',
		settlement: 'charged',
	});
	// The sandbox chain is not Base's public chain: no basescan link that would lead nowhere.
	expect(real.receipt?.explorerUrl).toBeNull();
});

describe("n8n's Retry On Fail never signs twice for one item in one execution", () => {
	const retry = { retryOnFail: true, maxTries: 3, waitBetweenTries: 0 };

	it('one item, a server that settles then answers 500: one transfer over three tries, the report says it was paid', async () => {
		sandbox.gateway.faults.afterSettle = 'error';
		const before = await transfers();
		const result = await runWorkflow(
			generateFlow({ endpoint: sandbox.gateway.endpoint, generateExtra: retry }),
			{ credentials: { x402WalletApi: walletCredential(sandbox, 5) } },
		);
		expect(result.status).toBe('error');
		expect(await transfers()).toBe(before + 1);
		expect(sandbox.gateway.counts.paid).toBe(1);
		expect(result.error?.message).toMatch(
			/already signed for in an earlier try of this execution \(Retry On Fail\), so it is not signed or sent again\. The payment of 0\.0527 USDC WAS taken/,
		);
		// 2. the facts reach the person even without Continue On Fail
		expect(result.error?.description).toMatch(/Payer: 0x[0-9a-fA-F]{40}/);
		expect(result.error?.description).toMatch(/Pay to: 0x5054acbbdd6aed95231cbe833f7bf1db7c248bff/);
		expect(result.error?.description).toMatch(/Amount: 0\.0527 USDC \(52700 atomic\) on base/);
		expect(result.error?.description).toMatch(/Nonce: 0x[0-9a-f]{64}/);
		expect(result.error?.description).toMatch(
			/Valid until: \d{4}-\d\d-\d\dT.* \(validBefore \d+\)/,
		);
		expect(result.error?.description).toMatch(/Settlement: charged/);
		expectNoKey(result.run, sandbox.payers[5].key);
	});

	it('a paid item is not paid again when a later item fails the node: its answer is given again', async () => {
		sandbox.gateway.faults.afterSettle = 'error';
		sandbox.gateway.faults.onlyPrompt = 'second';
		const before = await transfers();
		const result = await runWorkflow(
			generateFlow({
				endpoint: sandbox.gateway.endpoint,
				items: [{ prompt: 'first' }, { prompt: 'second' }],
				generate: { options: { concurrency: 1, budgetUsdc: 0.2 } },
				generateExtra: retry,
			}),
			{ credentials: { x402WalletApi: walletCredential(sandbox, 5) } },
		);
		expect(result.status).toBe('error');
		expectNoKey(result.run, sandbox.payers[5].key);
		expect(sandbox.gateway.counts.paid).toBe(2);
		expect(await transfers()).toBe(before + 2);
	});

	it('with Continue On Fail too: the first try pays, the retries report', async () => {
		sandbox.gateway.faults.afterSettle = 'error';
		sandbox.gateway.faults.onlyPrompt = 'first';
		const before = await transfers();
		const result = await runWorkflow(
			generateFlow({
				endpoint: sandbox.gateway.endpoint,
				items: [{ prompt: 'first' }, { prompt: 'second' }],
				generateExtra: { ...retry, onError: 'continueRegularOutput' },
			}),
			{ credentials: { x402WalletApi: walletCredential(sandbox, 6) } },
		);
		expect(result.status).toBe('success');
		const [first, second] = jsonOf(result.output('Generate'));
		expect(first).toMatchObject({ signed: true, settlement: 'charged' });
		expect(second.jobId).toEqual(expect.any(String));
		expect(sandbox.gateway.counts.paid).toBe(2);
		expect(await transfers()).toBe(before + 2);
	});
});

it('a report survives a validBefore that is not a date', () => {
	const attempt = {
		payer: '0x0000000000000000000000000000000000000001',
		payTo: PAY_TO,
		network: 'base',
		asset: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913',
		amountAtomic: '52700',
		amountUsdc: '0.0527',
		nonce: `0x${'cd'.repeat(32)}`,
		validBefore: '1000000000000000000000000000000',
		x402Version: 1,
	};
	const error = new PaymentError({
		reason: 'The paid request failed',
		attempt,
		settlement: 'not charged',
		checkedAt: '2026-11-25T00:00:00.000Z',
	});
	expect(error.message).toMatch(/stays valid until 1000000000000000000000000000000\./);
	expect(error.details).toMatchObject({
		signed: true,
		payer: attempt.payer,
		payTo: PAY_TO,
		amountUsdc: '0.0527',
		nonce: attempt.nonce,
		validBefore: attempt.validBefore,
		settlement: 'not charged',
	});
	expect(error.facts()).toContain('Nonce: 0xcdcd');
});

it('the balance check counts only what has not left the wallet: a 0.2 USDC wallet pays three looped images', async () => {
	const key = generatePrivateKey();
	const address = privateKeyToAccount(key).address;
	await sandbox.chain.fund(address, 200_000n);
	const before = await transfers();
	const items = [{ prompt: 'loop one' }, { prompt: 'loop two' }, { prompt: 'loop three' }];
	const result = await runWorkflow(
		loopFlow({
			items,
			batchSize: 1,
			generateOptions: { endpointUrl: sandbox.gateway.endpoint, budgetUsdc: 1 },
		}),
		{ credentials: { x402WalletApi: { ...walletCredential(sandbox, 0), privateKey: key } } },
	);
	expect(result.error?.message).toBeUndefined();
	expect(result.status).toBe('success');
	expect(await transfers()).toBe(before + 3);
	expect(await sandbox.chain.usdcBalance(address)).toBe(200_000n - 3n * 52_700n);
	// A fourth would not fit: the check still refuses what the wallet cannot cover.
	const fourth = await runWorkflow(
		generateFlow({ endpoint: sandbox.gateway.endpoint, items: [{ prompt: 'a' }, { prompt: 'b' }] }),
		{
			credentials: { x402WalletApi: { ...walletCredential(sandbox, 0), privateKey: key } },
		},
	);
	expect(fourth.error?.message).toMatch(
		/^Payment refused by the "balance" rule: insufficient USDC: the wallet held 0\.0419 USDC when this run started/,
	);
	expect(await transfers()).toBe(before + 3);
});

describe('a hostile or broken endpoint', () => {
	it('Sync Mode images in Generate follow the same rule: the paid item stays, the foreign host gets nothing', async () => {
		sandbox.gateway.faults.syncImageUrl = `${sandbox.gateway.url}/redirect-me`;
		const foreign = `${hostile.otherUrl}/huge?mb=1&type=image`;
		// The gateway has no /redirect-me; point the image at the hostile redirector instead.
		sandbox.gateway.faults.syncImageUrl = `${hostile.url}/redirect?to=${encodeURIComponent(foreign)}`;
		const result = await runWorkflow(
			generateFlow({
				endpoint: sandbox.gateway.endpoint,
				generate: { syncMode: true, options: { allowedHosts: `127.0.0.1:${port()}` } },
			}),
			{ credentials: credentials() },
		);
		expect(result.status).toBe('success');
		const [json] = jsonOf(result.output('Generate'));
		expect(json.jobId).toEqual(expect.any(String));
		expect((json.image as Record<string, unknown>).downloadError).toMatch(/which is not allowed/);
		expect(hostile.sent.get('/huge')).toBeUndefined();
		expect(sandbox.gateway.counts.settled).toBe(1);
		expectNoKey(result.run, sandbox.payers[0].key);
	});
	it('an Endpoint URL with user:pass@ is refused naming the field, nothing is sent, the password is never echoed', async () => {
		const endpoint = sandbox.gateway.endpoint.replace('http://', 'http://alice:hunter2@');
		const result = await runWorkflow(
			generateFlow({ endpoint, generateExtra: { onError: 'continueRegularOutput' } }),
			{ credentials: credentials() },
		);
		const [json] = jsonOf(result.output('Generate'));
		expect(json.error).toMatch(
			/^Endpoint URL: the URL http:\/\/127\.0\.0\.1:\d+\/api\/.* contains a user name or password/,
		);
		expect(json).toMatchObject({ signed: false, settlement: 'not charged' });
		expect(JSON.stringify(result.run)).not.toContain('hunter2');
		expect(sandbox.gateway.counts.generate).toBe(0);
	});
	it('an endpoint answering more than 5 MB fails before anything is signed', async () => {
		const result = await runWorkflow(
			generateFlow({
				endpoint: `${hostile.url}/huge?mb=100`,
				generateExtra: { onError: 'continueRegularOutput' },
			}),
			{ credentials: credentials() },
		);
		const [json] = jsonOf(result.output('Generate'));
		expectNoKey(result.run, sandbox.payers[0].key);
		expect(json.error).toMatch(/larger than 5 MB; it was dropped\. Nothing was signed or paid\./);
	});
	it('Generate against a server that never answers fails within Request Timeout, signing nothing', async () => {
		const started = Date.now();
		const result = await runWorkflow(
			generateFlow({
				endpoint: `${hostile.url}/silent`,
				generate: { options: { requestTimeoutSeconds: 2 } },
				generateExtra: { onError: 'continueRegularOutput' },
			}),
			{ credentials: credentials() },
		);
		expect(Date.now() - started).toBeLessThan(6_000);
		const [json] = jsonOf(result.output('Generate'));
		expect(json.error).toMatch(
			/No complete answer from .*\/silent within 2 s .*Nothing was signed or paid\./,
		);
		expect(json).toMatchObject({ signed: false, settlement: 'not charged' });
	});
	it('Generate against a trickling server fails within Request Timeout too', async () => {
		const started = Date.now();
		const result = await runWorkflow(
			generateFlow({
				endpoint: `${hostile.url}/trickle`,
				generate: { options: { requestTimeoutSeconds: 3 } },
				generateExtra: { onError: 'continueRegularOutput' },
			}),
			{ credentials: credentials() },
		);
		expect(Date.now() - started).toBeLessThan(7_000);
		expect(jsonOf(result.output('Generate'))[0].error).toMatch(/within 3 s/);
	});
});

describe('prompts and seeds that could mislead are refused, naming the field, paying nothing', () => {
	it.each([
		['a NUL', 'a banana\u0000 on a beach'],
		['an ESC', 'a banana \u001b[31m red'],
		['a right-to-left override', 'a banana \u202Eeveileb'],
		['a zero-width space', 'a\u200Bbanana'],
		['only spaces and newlines', ' \n\t '],
	])('%s in the prompt', async (_label, prompt) => {
		const result = await runWorkflow(
			generateFlow({
				endpoint: sandbox.gateway.endpoint,
				items: [{ prompt }],
				generateExtra: { onError: 'continueRegularOutput' },
			}),
			{
				credentials: credentials(),
			},
		);
		const [json] = jsonOf(result.output('Generate'));
		expect(json.error).toMatch(
			/^Prompt: (contains the invisible control character U\+[0-9A-F]{4}|is empty)/,
		);
		expect(json).toMatchObject({ signed: false });
		expect(sandbox.gateway.counts.generate).toBe(0);
		expectNoKey(result.run, sandbox.payers[0].key);
	});

	it('new lines, tabs and emoji stay allowed', async () => {
		const result = await runWorkflow(
			generateFlow({
				endpoint: sandbox.gateway.endpoint,
				items: [{ prompt: 'line one\n\tline two 👨‍👩‍👧 🍌' }],
			}),
			{ credentials: credentials() },
		);
		expect(result.status).toBe('success');
		expect(sandbox.gateway.counts.paid).toBe(1);
	});

	it.each(['0x10', '1e3', ' 12 a', '+5'])('seed %p', async (seed) => {
		const result = await runWorkflow(
			generateFlow({
				endpoint: sandbox.gateway.endpoint,
				generate: { seed },
				generateExtra: { onError: 'continueRegularOutput' },
			}),
			{
				credentials: credentials(),
			},
		);
		expect(jsonOf(result.output('Generate'))[0].error).toMatch(
			/^Seed: .* is not a plain whole number of 0 or more/,
		);
		expect(sandbox.gateway.counts.generate).toBe(0);
	});
});
