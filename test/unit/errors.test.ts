import { NodeApiError, NodeOperationError, type INode } from 'n8n-workflow';
import { errorItemJson, InputError, inWords, JobError } from '../../nodes/shared/errors';
import { toNodeError } from '../../nodes/shared/nodeErrors';
import { PaymentError } from '../../nodes/shared/x402/protocol/payment';
import { PolicyError } from '../../nodes/shared/x402/controls';

const node: INode = {
	id: '1',
	name: 'Generate',
	type: 'n8n-nodes-nano-banana.nanoBananaGenerate',
	typeVersion: 1,
	position: [0, 0],
	parameters: {},
};
const attempt = {
	payer: '0x0000000000000000000000000000000000000001',
	payTo: '0x5054acbbdd6aed95231cbe833f7bf1db7c248bff',
	network: 'base',
	asset: '0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913',
	amountAtomic: '52700',
	amountUsdc: '0.0527',
	nonce: `0x${'ab'.repeat(32)}`,
	validBefore: '1900000000',
	x402Version: 1,
};

describe('the error mapper', () => {
	it.each([
		'read ECONNRESET',
		'connect ETIMEDOUT 1.2.3.4:443',
		'getaddrinfo ENOTFOUND x402.dopamint.ai',
		'connect ECONNREFUSED 127.0.0.1:9',
	])(
		'keeps the payment verdict in the message n8n shows after "%s" (n8n would otherwise say "retry")',
		(cause) => {
			const mapped = toNodeError(
				node,
				new PaymentError({
					reason: `The paid request failed: ${cause}`,
					attempt,
					settlement: 'charged',
				}),
				0,
			);
			expect(mapped).toBeInstanceOf(NodeOperationError);
			expect(mapped.message).toMatch(
				/^The paid request failed: .*The payment of 0\.0527 USDC WAS taken/,
			);
			expect(mapped.message).not.toMatch(/retry/i);
			expect(mapped.description).toMatch(/not retried automatically|Do not re-run/);
		},
	);

	it('says network codes in words', () => {
		expect(inWords('read ECONNRESET, getaddrinfo ENOTFOUND host')).toBe(
			'read connection reset by the server, name lookup host not found host',
		);
		expect(inWords('HTTP 500 from the service')).toBe('HTTP 500 from the service');
	});

	it('maps HTTP-status errors to NodeApiError with the code, others to NodeOperationError', () => {
		const api = toNodeError(
			node,
			new JobError('The job was not found (HTTP 404)', { hint: 'Check the URL', httpStatus: 404 }),
			3,
		);
		expect(api).toBeInstanceOf(NodeApiError);
		expect(api.message).toBe('The job was not found (HTTP 404)');
		expect((api as NodeApiError).httpCode).toBe('404');
		expect(api.description).toBe('Check the URL');
		const op = toNodeError(
			node,
			new PolicyError(
				'max price',
				undefined,
				'the service asks 0.0527 USDC, the limit is 0.01 USDC',
				'0.01',
			),
			1,
		);
		expect(op).toBeInstanceOf(NodeOperationError);
		expect(op.message).toBe(
			'Payment refused by the "max price" rule: the service asks 0.0527 USDC, the limit is 0.01 USDC. Nothing was signed or paid.',
		);
	});

	it('error items say what happened to the money only where the node was paying', () => {
		const refused = new PolicyError('budget', undefined, 'over the budget', '0.1');
		expect(errorItemJson(refused)).toMatchObject({
			errorKind: 'policy',
			settlement: 'not charged',
			signed: false,
			rule: 'budget',
		});
		expect(
			errorItemJson(new PaymentError({ reason: 'failed', attempt, settlement: 'unknown' })),
		).toMatchObject({ signed: true, settlement: 'unknown', nonce: attempt.nonce });
		// An input error says nothing of money by itself; from the paying node (Generate) it says nothing was signed.
		const input = new InputError('Status URL', 'is empty');
		expect(errorItemJson(input)).not.toHaveProperty('settlement');
		expect(errorItemJson(input)).not.toHaveProperty('signed');
		expect(errorItemJson(input, { paying: true })).toMatchObject({
			settlement: 'not charged',
			signed: false,
			errorKind: 'input',
			field: 'Status URL',
		});
		expect(errorItemJson(new JobError('The job failed: nsfw'))).not.toHaveProperty('settlement');
	});
});
