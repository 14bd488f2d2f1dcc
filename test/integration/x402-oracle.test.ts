/**
 * The package's own x402 "exact" client against the official one (@x402/core + @x402/evm,
 * dev dependencies used as test oracles): for the same quote, key, nonce and time, both
 * produce the same payment payload, field by field, for x402 v1 and v2; and the official
 * facilitator verifies and settles the package's payload on the local chain.
 */
import { x402Client, x402HTTPClient } from '@x402/core/client';
import { registerExactEvmScheme } from '@x402/evm/exact/client';
import { privateKeyToAccount } from 'viem/accounts';
import { startSandbox, type Sandbox } from '../../sandbox';
import { createFacilitator } from '../../sandbox/facilitator';
import type { HttpResponse } from '../../nodes/shared/http';
import { parseQuote, type Quote, type Requirement } from '../../nodes/shared/x402/protocol/wire';
import { Controls, priceCap } from '../../nodes/shared/x402/controls';
import { Signer } from '../../nodes/shared/x402/signer';
import { randomNonce } from '../../nodes/shared/x402/once/nonce';
import { walletFromCredential, type Wallet } from '../../nodes/shared/x402/wallet/credential';
import { walletCredential } from '../helpers';

const PAY_TO = '0x5054acbbdd6aed95231cbe833f7bf1db7c248bff';
const USDC = '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913';
const NONCE_BYTES = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 11) % 256);
const NONCE = `0x${Buffer.from(NONCE_BYTES).toString('hex')}` as const;
const NOW_MS = Date.UTC(2026, 10, 25, 12, 0, 0);

let sandbox: Sandbox;
beforeAll(async () => {
	sandbox = await startSandbox({ chain: { payers: 2 } });
});
afterAll(async () => await sandbox?.close());
afterEach(() => jest.restoreAllMocks());

const requirementV1 = {
	scheme: 'exact',
	network: 'base',
	maxAmountRequired: '52700',
	resource: 'https://x402.dopamint.ai/api/ai/generations/images/nano-banana',
	description: 'Generate an image with nano-banana',
	mimeType: 'application/json',
	payTo: PAY_TO,
	maxTimeoutSeconds: 300,
	asset: USDC,
	extra: { name: 'USD Coin', version: '2' },
};
const requirementV2 = {
	scheme: 'exact',
	network: 'eip155:8453',
	amount: '52700',
	payTo: PAY_TO,
	maxTimeoutSeconds: 300,
	asset: USDC,
	extra: { name: 'USD Coin', version: '2' },
};
const paymentRequired = {
	v1: { x402Version: 1, error: 'X-PAYMENT header is required', accepts: [requirementV1] },
	v2: {
		x402Version: 2,
		error: 'Payment required',
		resource: {
			url: 'https://x402.dopamint.ai/api/ai/generations/images/nano-banana',
			description: 'Generate an image',
			mimeType: 'application/json',
		},
		accepts: [requirementV2],
		extensions: { bazaar: { info: { input: { type: 'http' } } } },
	},
};

function response402(version: 'v1' | 'v2'): HttpResponse {
	const body = paymentRequired[version];
	if (version === 'v1') return { status: 402, headers: {}, body, url: requirementV1.resource };
	return {
		status: 402,
		headers: { 'payment-required': Buffer.from(JSON.stringify(body)).toString('base64') },
		body: {},
		url: '',
	};
}

/** The official client's headers for the same quote, with its clock and random source pinned. */
async function officialHeaders(
	version: 'v1' | 'v2',
	key: `0x${string}`,
): Promise<Record<string, string>> {
	jest.spyOn(Date, 'now').mockReturnValue(NOW_MS);
	jest
		.spyOn(globalThis.crypto, 'getRandomValues')
		.mockImplementation(<T extends ArrayBufferView | null>(array: T): T => {
			(array as unknown as Uint8Array).set(NONCE_BYTES);
			return array;
		});
	const client = new x402Client();
	registerExactEvmScheme(client, { signer: privateKeyToAccount(key), networks: ['eip155:8453'] });
	const payload = await client.createPaymentPayload(paymentRequired[version] as never);
	jest.restoreAllMocks();
	return new x402HTTPClient(client).encodePaymentSignatureHeader(payload);
}

async function ownHeaders(version: 'v1' | 'v2', key: `0x${string}`) {
	const wallet = walletFromCredential({ ...walletCredential(sandbox, 0), privateKey: key });
	const quote = parseQuote(
		response402(version),
		'https://x402.dopamint.ai/api/ai/generations/images/nano-banana',
		NOW_MS,
	);
	const requirement = await offerOf(quote, wallet);
	const signer = await Signer.load(wallet);
	return await signer.sign(quote, requirement, wallet, NOW_MS, NONCE);
}

const decode = (value: string) =>
	JSON.parse(Buffer.from(value, 'base64').toString('utf8')) as Record<string, unknown>;

describe.each([
	['v1', 'X-PAYMENT'],
	['v2', 'PAYMENT-SIGNATURE'],
] as const)('x402 %s', (version, headerName) => {
	it(`the ${headerName} header equals the official client's, field by field and byte for byte`, async () => {
		const key = sandbox.payers[0].key;
		const official = await officialHeaders(version, key);
		const own = await ownHeaders(version, key);
		expect(Object.keys(own.headers)).toEqual([headerName]);
		expect(Object.keys(official)).toEqual([headerName]);
		const ours = decode(own.headers[headerName]);
		const theirs = decode(official[headerName]);
		expect(ours).toEqual(theirs);
		const authorization = (ours.payload as { authorization: Record<string, string> }).authorization;
		expect(authorization).toEqual((theirs.payload as { authorization: unknown }).authorization);
		expect(authorization.nonce).toBe(NONCE);
		expect(Number(authorization.validBefore)).toBe(NOW_MS / 1000 + 300);
		expect((ours.payload as { signature: string }).signature).toBe(
			(theirs.payload as { signature: string }).signature,
		);
		// Same JSON, key order included: the header strings are identical.
		expect(own.headers[headerName]).toBe(official[headerName]);
	});

	it('the official facilitator verifies and settles the package payload on the local chain', async () => {
		const { facilitator } = createFacilitator(sandbox.chain);
		const key = sandbox.payers[1].key;
		const wallet = walletFromCredential({ ...walletCredential(sandbox, 1) });
		const quote = parseQuote(response402(version), requirementV1.resource, Date.now());
		const signed = await (
			await Signer.load(wallet)
		).sign(quote, await offerOf(quote, wallet), wallet, Date.now(), randomNonce());
		const payload = decode(signed.headers[headerName]);
		const requirement = version === 'v1' ? requirementV1 : requirementV2;
		const before = await sandbox.chain.usdcBalance(privateKeyToAccount(key).address);
		const verified = await facilitator.verify(payload as never, requirement as never);
		expect(verified).toMatchObject({ isValid: true });
		const settled = await facilitator.settle(payload as never, requirement as never);
		expect(settled).toMatchObject({
			success: true,
			transaction: expect.stringMatching(/^0x[0-9a-f]{64}$/),
		});
		expect(before - (await sandbox.chain.usdcBalance(privateKeyToAccount(key).address))).toBe(
			52_700n,
		);
	});
});

/** The offer the paying run would choose (the credential cap the only control). */
async function offerOf(quote: Quote, wallet: Wallet): Promise<Requirement> {
	const choice = await new Controls(wallet.network, [priceCap(wallet.capAtomic, 'cap')]).choose(
		quote,
	);
	if (!choice.offer || choice.refusal) throw choice.refusal ?? new Error('no offer');
	return choice.offer;
}
