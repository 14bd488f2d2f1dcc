/** Get Payments: the USDC the wallet sent in a period (each payment, or a summary). */

import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { InputError } from '../../shared/errors';
import { MAX_PAYMENTS_PERIOD_DAYS } from '../../shared/limits';
import { isLocalUrl } from '../../shared/urls';
import { oneOf } from '../../shared/validate';
import { formatUsdc } from '../../shared/x402/protocol/money';
import { listPayments, type DatedTransfer } from '../../shared/x402/wallet/history';
import { iso, type WalletRun } from './setup';

/** The period asked for, in unix seconds: at most MAX_PAYMENTS_PERIOD_DAYS, starting within them. */
function periodOf(context: IExecuteFunctions, itemIndex: number): { from: number; to: number } {
	const now = Math.floor(Date.now() / 1000);
	const period = oneOf(context.getNodeParameter('period', itemIndex, 'last24h'), 'Period', [
		'last24h',
		'last7d',
		'custom',
	]);
	if (period === 'last24h') return { from: now - 86_400, to: now };
	if (period === 'last7d') return { from: now - 7 * 86_400, to: now };
	const date = (field: string, label: string, fallback?: number): number => {
		const raw = context.getNodeParameter(field, itemIndex, '') as unknown;
		if ((raw === '' || raw === null || raw === undefined) && fallback !== undefined)
			return fallback;
		const ms = raw instanceof Date ? raw.getTime() : Date.parse(String(raw));
		if (!Number.isFinite(ms))
			throw new InputError(label, `"${String(raw)}" is not a date`, 'Pick a date and time.');
		return Math.floor(ms / 1000);
	};
	const from = date('from', 'From');
	const to = Math.min(date('to', 'To', now), now);
	const oldest = now - MAX_PAYMENTS_PERIOD_DAYS * 86_400;
	if (from < oldest)
		throw new InputError(
			'From',
			`is more than ${MAX_PAYMENTS_PERIOD_DAYS} days ago`,
			`Pick a start within the last ${MAX_PAYMENTS_PERIOD_DAYS} days (older payments: a block explorer).`,
		);
	if (to <= from) throw new InputError('To', 'is not after From', 'Pick an end after the start.');
	return { from, to };
}

function paymentJson(run: WalletRun, p: DatedTransfer): IDataObject {
	return {
		time: iso(p.time),
		payTo: p.to,
		amountUsdc: formatUsdc(p.amountAtomic),
		amountAtomic: p.amountAtomic.toString(),
		transaction: p.transaction,
		explorerUrl: isLocalUrl(run.wallet.rpcUrl)
			? null
			: `${run.wallet.network.explorerTxUrl}${p.transaction}`,
		x402: p.nonce !== undefined,
		nonce: p.nonce ?? null,
		blockNumber: Number(p.blockNumber),
	};
}

export async function execute(
	context: IExecuteFunctions,
	run: WalletRun,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const { from, to } = periodOf(context, itemIndex);
	const output = oneOf(context.getNodeParameter('output', itemIndex, 'payments'), 'Output', [
		'payments',
		'summary',
	]);
	const payments = await listPayments(run.reader, run.wallet.network, run.address, from, to);
	if (output === 'payments') return payments.map((p) => ({ json: paymentJson(run, p) }));
	const total = (list: DatedTransfer[]) =>
		formatUsdc(list.reduce((s, p) => s + p.amountAtomic, 0n));
	const group = (key: (p: DatedTransfer) => string) => {
		const groups = new Map<string, DatedTransfer[]>();
		for (const p of payments) groups.set(key(p), [...(groups.get(key(p)) ?? []), p]);
		return [...groups].map(([k, list]) => ({ key: k, count: list.length, totalUsdc: total(list) }));
	};
	return [
		{
			json: {
				address: run.address,
				network: run.wallet.network.label,
				from: iso(from),
				to: iso(to),
				count: payments.length,
				totalUsdc: total(payments),
				x402Count: payments.filter((p) => p.nonce !== undefined).length,
				byPayee: group((p) => p.to).map(({ key, ...g }) => ({ payTo: key, ...g })),
				byDay: group((p) => iso(p.time).slice(0, 10)).map(({ key, ...g }) => ({ day: key, ...g })),
			},
		},
	];
}
