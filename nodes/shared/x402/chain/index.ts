/** The chain area: what the rest of the package reads from the chain, and how. */

export { chargeOf, ChargeReads, type ChargeRead, type NonceCharge } from './charged';
export type { LogQuery } from './logs';
export { byPosition } from './logs';
export {
	chainReader,
	type AuthorizationUse,
	type ChainReader,
	type TransactionStatus,
} from './reader';
export { RpcError, type BlockStamp } from './rpc';
export {
	addressTopic,
	authorizationNonce,
	SELECTORS,
	TOPICS,
	transferOut,
	type ChainLog,
	type Transfer,
} from './usdc';
