import type { HttpResponse } from '../http';
import { isLocalUrl } from '../urls';
import type { ChargeReads, TransactionStatus } from './chain';
import type { Wallet } from './wallet/credential';
import type { PaymentAttempt, Settlement } from './protocol/payment';
import { parseSettlementClaim } from './protocol/wire';

/**
 * The receipt of a paid answer. It says who claims what: the server's settlement header
 * is a claim (`serverSettlement`, `transaction`); the token contract's word on the signed
 * authorization (`settlement`) and whether the claimed transaction exists
 * (`transactionOnChain`) come from the chain, where the RPC answers.
 */
export interface Receipt {
	x402Version: number;
	network: string;
	asset: string;
	amountAtomic: string;
	amountUsdc: string;
	payer: string;
	payTo: string;
	nonce: string;
	validBefore: string;
	/**
	 * The chain's word: the authorization is used ("charged"), unused ("not charged"), or the RPC did
	 * not answer ("unknown").
	 */
	settlement: Settlement;
	/** The server's claim in its settlement header: success, failure, or no readable header. */
	serverSettlement: 'success' | 'failure' | 'none';
	/** The transaction hash the server claims; null when it names none. */
	transaction: string | null;
	/** Whether that transaction is on the chain; null when no transaction was claimed. */
	transactionOnChain: TransactionStatus | 'unknown' | null;
	/** A block explorer link, unless the chain shows the claimed transaction does not exist. */
	explorerUrl: string | null;
	checkedAt: string;
	quoteReused: boolean;
}

export async function buildReceipt(
	response: HttpResponse,
	attempt: PaymentAttempt,
	charges: ChargeReads,
	/** Its RPC: a local one means a local chain, which no public explorer shows. */
	wallet: Pick<Wallet, 'network' | 'rpcUrl'>,
	quoteReused: boolean,
): Promise<Receipt> {
	const claim = parseSettlementClaim(response);
	const transaction =
		claim?.transaction && /^0x[0-9a-fA-F]{64}$/.test(claim.transaction) ? claim.transaction : null;
	const read = await charges.read(
		attempt.payer as `0x${string}`,
		attempt.nonce as `0x${string}`,
		transaction,
	);
	return {
		...attempt,
		settlement: read.settlement,
		serverSettlement: claim ? (claim.success ? 'success' : 'failure') : 'none',
		transaction,
		transactionOnChain: read.transactionOnChain,
		explorerUrl:
			transaction && read.transactionOnChain !== 'not found' && !isLocalUrl(wallet.rpcUrl)
				? `${wallet.network.explorerTxUrl}${transaction}`
				: null,
		checkedAt: read.checkedAt,
		quoteReused,
	};
}

/** The payment facts of a receipt (what was signed), as a failure report needs them. */
export function attemptOf(r: Receipt): PaymentAttempt {
	return {
		x402Version: r.x402Version,
		network: r.network,
		asset: r.asset,
		amountAtomic: r.amountAtomic,
		amountUsdc: r.amountUsdc,
		payer: r.payer,
		payTo: r.payTo,
		nonce: r.nonce,
		validBefore: r.validBefore,
	};
}
