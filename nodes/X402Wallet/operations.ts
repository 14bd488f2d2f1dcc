/**
 * The X402 Wallet node's operations: the wallet's truth read from the chain (balances, the USDC
 * it sent, whether one payment was charged). Nothing here signs or pays.
 */

import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { InputError, resultOf } from '../shared/errors';
import { n8nHttp } from '../shared/http';
import { MAX_PAYMENTS_PERIOD_DAYS, PAYMENT_LOOKBACK_BLOCKS } from '../shared/limits';
import { isLocalUrl } from '../shared/urls';
import { oneOf } from '../shared/validate';
import { formatEth, formatUsdc, parseUsdc } from '../shared/x402/protocol/money';
import {
	authorizationNonce,
	chainReader,
	transferOut,
	type ChainReader,
} from '../shared/x402/chain/reader';
import { isoFromSeconds } from '../shared/x402/protocol/payment';
import { payerAddress } from '../shared/x402/signer';
import {
	DailyLimit,
	dailyLimitJson,
	listPayments,
	type Payment,
} from '../shared/x402/wallet/history';
import { walletFromCredential, type Wallet } from '../shared/x402/wallet/credential';
import { balanceNote } from '../shared/x402/wallet/facts';

export interface WalletRun {
	wallet: Wallet;
	address: `0x${string}`;
	reader: ChainReader;
}

export async function setUpWallet(context: IExecuteFunctions): Promise<WalletRun> {
	const wallet = walletFromCredential(
		(await context.getCredentials('x402WalletApi')) as IDataObject,
	);
	const address = await payerAddress(wallet);
	const reader = await chainReader(n8nHttp(context), wallet.network, wallet.rpcUrl);
	return { wallet, address, reader };
}

const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

export async function getBalance(
	context: IExecuteFunctions,
	run: WalletRun,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const price = parseUsdc(context.getNodeParameter('priceUsdc', itemIndex, 0.0527) as number);
	if (price === undefined)
		throw new InputError('Price per Image (USDC)', 'must be a number of 0 or more', 'E.g. 0.0527.');
	const { wallet, address, reader } = run;
	const json: IDataObject = {
		address,
		network: wallet.network.label,
		fundingNote: `To fund it, send USDC on ${wallet.network.label} to ${address}; no ETH is needed (the service pays the gas of x402 payments).`,
	};
	try {
		const [usdc, eth] = await Promise.all([
			reader.usdcBalance(address),
			reader.ethBalance(address),
		]);
		json.usdcBalance = formatUsdc(usdc);
		json.ethBalance = formatEth(eth);
		json.priceUsdc = formatUsdc(price);
		json.imagesCovered = price > 0n ? Number(usdc / price) : null;
	} catch {
		return [{ json: { ...json, usdcBalance: null, balanceNote: balanceNote(wallet) } }];
	}
	if (wallet.dailyLimitAtomic !== undefined) {
		// The same reading and the same fields as Generate's Dry Run.
		const limit = new DailyLimit(wallet.dailyLimitAtomic, wallet.network, async () => ({
			reader,
			address,
		}));
		json.dailyLimit = dailyLimitJson(
			await resultOf(limit.facts()).then((r) => (r.ok ? r.value : (r.error as Error))),
			price > 0n ? price : undefined,
		);
	}
	return [{ json }];
}

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

function paymentJson(run: WalletRun, p: Payment): IDataObject {
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

export async function getPayments(
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
	const total = (list: Payment[]) => formatUsdc(list.reduce((s, p) => s + p.amountAtomic, 0n));
	const group = (key: (p: Payment) => string) => {
		const groups = new Map<string, Payment[]>();
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

export async function checkPayment(
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
	try {
		const [used, tip] = await Promise.all([
			run.reader.authorizationUsed(run.address, nonce as `0x${string}`),
			run.reader.latestBlock(),
		]);
		if (used) {
			const use = await run.reader
				.findAuthorizationUse(run.address, nonce as `0x${string}`, PAYMENT_LOOKBACK_BLOCKS)
				.catch(() => undefined);
			return [
				{
					json: {
						...base,
						status: 'charged',
						transaction: use?.transaction ?? null,
						paidAt: use?.paidAt ?? null,
						payTo: use?.payTo ?? null,
						amountUsdc: use?.amountAtomic !== undefined ? formatUsdc(use.amountAtomic) : null,
						explanation: `Charged: the token contract marks this authorization used${use ? ` (transaction ${use.transaction})` : ''}. It can never be charged again.`,
					},
				},
			];
		}
		if (validBefore === undefined)
			return [
				{
					json: {
						...base,
						status: 'not charged',
						canStillBeCharged: null,
						explanation:
							'Not charged as of now. Give Valid Before (from the receipt) to know whether it still can be; an authorization is never valid for more than 600 s after it was signed.',
					},
				},
			];
		// The chain decides with its own clock: an authorization settles only before validBefore.
		if (tip.timestamp >= validBefore)
			return [
				{
					json: {
						...base,
						status: 'not charged',
						canStillBeCharged: false,
						explanation: `Not charged, and it can no longer be: the authorization expired at ${isoFromSeconds(validBefore)}.`,
					},
				},
			];
		return [
			{
				json: {
					...base,
					status: 'not charged yet',
					canStillBeCharged: true,
					explanation: `Not charged yet: the signed authorization can still be settled until ${isoFromSeconds(validBefore)}. Check again after that time.`,
				},
			},
		];
	} catch (error) {
		return [{ json: { ...base, status: 'unknown', explanation: unknownText(error) } }];
	}
}

function unknownText(error: unknown): string {
	return `Unknown: the RPC did not answer (${error instanceof Error ? error.message : String(error)}). Try again, or set a steadier RPC URL in the credential.`;
}
