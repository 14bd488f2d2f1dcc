/**
 * Check Payment: was one payment charged? By nonce (the chain's one answer, chain/charged.ts, with
 * the chain's clock against Valid Before) or by transaction.
 */

import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { InputError } from '../../shared/errors';
import { PAYMENT_LOOKBACK_BLOCKS } from '../../shared/limits';
import { oneOf } from '../../shared/validate';
import { authorizationNonce, chargeOf, transferOut } from '../../shared/x402/chain';
import { formatUsdc } from '../../shared/x402/protocol/money';
import { isoFromSeconds } from '../../shared/x402/protocol/payment';
import type { WalletRun } from './setup';

/** Unix seconds from a receipt's validBefore (seconds) or a date. */
function validBeforeOf(raw: unknown): number | undefined {
	if (raw === '' || raw === null || raw === undefined) return undefined;
	if (typeof raw === 'number' || /^\d+$/.test(String(raw).trim())) return Number(raw);
	const ms = Date.parse(String(raw));
	if (!Number.isFinite(ms))
		throw new InputError(
			'Valid Before',
			`"${String(raw).slice(0, 80)}" is neither unix seconds nor a date`,
			"Map validBefore from Generate's receipt, or leave it empty.",
		);
	return Math.floor(ms / 1000);
}

export async function execute(
	context: IExecuteFunctions,
	run: WalletRun,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const by = oneOf(context.getNodeParameter('checkBy', itemIndex, 'nonce'), 'Check By', [
		'nonce',
		'transaction',
	]);
	const checkedAt = new Date().toISOString();
	if (by === 'transaction') {
		const hash = String(context.getNodeParameter('transaction', itemIndex, '') ?? '').trim();
		if (!/^0x[0-9a-fA-F]{64}$/.test(hash))
			throw new InputError(
				'Transaction',
				'must be 0x and 64 hex characters',
				"Map transaction from Generate's receipt, or paste a transaction hash.",
			);
		const base = { checkedBy: 'transaction', transaction: hash, checkedAt };
		let found;
		try {
			found = await run.reader.transactionLogs(hash);
		} catch (error) {
			return [{ json: { ...base, status: 'unknown', explanation: unknownText(error) } }];
		}
		if (!found)
			return [
				{
					json: {
						...base,
						status: 'not found',
						explanation: `No transaction ${hash} on ${run.wallet.network.label} (yet).`,
					},
				},
			];
		const token = run.wallet.network.usdc.address;
		const transfer = found.logs
			.map((l) => transferOut(l, run.address, token))
			.find((t) => t !== undefined);
		if (found.status === 'reverted' || !transfer)
			return [
				{
					json: {
						...base,
						status: 'not charged',
						canStillBeCharged: false,
						explanation:
							found.status === 'reverted'
								? 'The transaction failed (reverted): no USDC moved.'
								: 'The transaction moved no USDC from this wallet.',
					},
				},
			];
		const nonce = found.logs
			.map((l) => authorizationNonce(l, run.address))
			.find((n) => n !== undefined);
		return [
			{
				json: {
					...base,
					status: 'charged',
					payTo: transfer.to,
					amountUsdc: formatUsdc(transfer.amountAtomic),
					nonce: nonce ?? null,
					blockNumber: Number(found.blockNumber),
					explanation: `Charged: ${formatUsdc(transfer.amountAtomic)} USDC left this wallet in this transaction.`,
				},
			},
		];
	}
	const nonce = String(context.getNodeParameter('nonce', itemIndex, '') ?? '').trim();
	if (!/^0x[0-9a-fA-F]{64}$/.test(nonce))
		throw new InputError(
			'Nonce',
			'must be 0x and 64 hex characters',
			"Map nonce from Generate's receipt (payment.nonce) or from its error item.",
		);
	const validBefore = validBeforeOf(context.getNodeParameter('validBefore', itemIndex, ''));
	const base = {
		checkedBy: 'nonce',
		nonce,
		payer: run.address,
		...(validBefore !== undefined ? { validUntil: isoFromSeconds(validBefore) } : {}),
		checkedAt,
	};
	const charge = await chargeOf(
		async () => run.reader,
		run.address,
		nonce as `0x${string}`,
		PAYMENT_LOOKBACK_BLOCKS,
	);
	const said = (status: string, explanation: string, more: IDataObject = {}) => [
		{ json: { ...base, status, ...more, explanation } },
	];
	if (charge.settlement === 'unknown' || charge.chainTime === undefined)
		return said('unknown', unknownText());
	if (charge.settlement === 'charged') {
		const use = charge.use;
		return said(
			'charged',
			`Charged: the token contract marks this authorization used${use ? ` (transaction ${use.transaction})` : ''}. It can never be charged again.`,
			{
				transaction: use?.transaction ?? null,
				paidAt: use?.paidAt ?? null,
				payTo: use?.payTo ?? null,
				amountUsdc: use?.amountAtomic !== undefined ? formatUsdc(use.amountAtomic) : null,
			},
		);
	}
	if (validBefore === undefined)
		return said(
			'not charged',
			'Not charged as of now. Give Valid Before (from the receipt) to know whether it still can be; an authorization is never valid for more than 600 s after it was signed.',
			{ canStillBeCharged: null },
		);
	// The chain decides with its own clock: an authorization settles only before validBefore.
	if (charge.chainTime >= validBefore)
		return said(
			'not charged',
			`Not charged, and it can no longer be: the authorization expired at ${isoFromSeconds(validBefore)}.`,
			{ canStillBeCharged: false },
		);
	return said(
		'not charged yet',
		`Not charged yet: the signed authorization can still be settled until ${isoFromSeconds(validBefore)}. Check again after that time.`,
		{ canStillBeCharged: true },
	);
}

function unknownText(error?: unknown): string {
	const why =
		error === undefined ? '' : ` (${error instanceof Error ? error.message : String(error)})`;
	return `Unknown: the RPC did not answer${why}. Try again, or set a steadier RPC URL in the credential.`;
}
