/**
 * What a caller gives the payment session and gets back: the request (any method, URL, headers,
 * body), its own limits, the call it is a try of; the answer with its receipt.
 */

import type { HttpFn, HttpMethod } from '../http';
import type { HostRule } from '../urls';
import type { Budget } from './controls';
import type { PaymentJournal } from './journal';
import type { PaymentCall } from './once/call';
import type { ItemLedger } from './once/ledger';
import type { Receipt } from './receipt';
import type { Wallet } from './wallet/credential';

/** The caller's own limits for one request; the credential's always apply too. */
export interface PaymentLimits {
	/** A cap per payment (atomic), and the name of the setting it comes from. */
	maxAtomic?: bigint;
	maxLabel?: string;
	/** Pin the recipient: refuse any offer paying someone else. */
	payTo?: string;
	/** Pay only requests to these hosts (the node's own Allowed Hosts: narrows the credential's). */
	hosts?: readonly HostRule[];
	/**
	 * Pay only hosts some list names, the node's or the credential's (a tool: a model chooses the
	 * URL). With neither, nothing is paid and the refusal says how to allow a host.
	 */
	listedHostsOnly?: boolean;
}

export interface PaidRequest {
	method?: HttpMethod;
	url: string;
	/** JSON, or a string / Buffer sent as it is (with the caller's content-type header). */
	body?: unknown;
	headers?: Record<string, string>;
	/** Deadline of each request (unpaid and paid), body included. */
	timeoutMs?: number;
	limits?: PaymentLimits;
	/**
	 * The paid call this request is a try of: its nonce is derived from the call's key. Without one
	 * (tests, the benchmark's floor) the nonce is random and the call can never be recognised again.
	 */
	call?: PaymentCall;
	/**
	 * Told once the paid answer is in, before its receipt is read from the chain: the caller may let
	 * another item start (the reads of the items waiting go together).
	 */
	answered?: () => void;
	/**
	 * Any answer, streamed: a 2xx body comes back as a byte stream (a Buffer from a transport
	 * without streams) of any content type, at most `maxBytes`, read within the deadline; without
	 * it the paid answer must be JSON. Error answers are read whole (for their message).
	 */
	raw?: { maxBytes: number };
}

/** What a payment session is made of (session.ts). */
export interface PaymentSessionOptions {
	http: HttpFn;
	/** For read-only chain checks; defaults to `http`. Give one that survives a cancel. */
	rpcHttp?: HttpFn;
	wallet: Wallet;
	budget?: Budget;
	/** Check the USDC balance before paying (needs the RPC; skipped if it fails). */
	checkBalance?: boolean;
	/** What this execution already signed, per call (n8n's node context in the nodes). */
	ledger?: ItemLedger;
	/** Told before a payment header leaves and when its verdict is known. */
	journal?: PaymentJournal;
	now?: () => number;
}

export interface PaidAnswer {
	status: number;
	headers: Record<string, string>;
	body: unknown;
	/** Absent when the service answered without asking for payment. */
	receipt?: Receipt;
}
