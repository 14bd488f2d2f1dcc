/**
 * Send Request: one item's request, paid when the server answers 402 (within every limit, once
 * per call), and its answer as an item: status, headers, body or file, and the receipt.
 */

import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { excerptOf } from '../../shared/http';
import type { Slot } from '../../shared/items';
import { payOnce, type PaidRun } from '../../shared/paidRun';
import type { PaymentCall } from '../../shared/x402/once';
import { attemptOf, type Receipt } from '../../shared/x402/receipt';
import type { PaidAnswer } from '../../shared/x402/session';
import type { RequestItem } from './request';
import { bodyOf, headersJson, TOOL_BODY_CHARS } from './response';

export async function execute(
	context: IExecuteFunctions,
	run: PaidRun,
	item: RequestItem,
	itemIndex: number,
	slot: Slot,
): Promise<INodeExecutionData[]> {
	const call = run.calls.callFor(itemIndex, item.idempotencyKey);
	// Two items of one call in this run, or a call Retry On Fail runs again: paid once, the others
	// answered from the first.
	return await payOnce(run, call, async () => await sendAndShape(context, run, item, call, slot));
}

async function sendAndShape(
	context: IExecuteFunctions,
	run: PaidRun,
	item: RequestItem,
	call: PaymentCall,
	slot: Slot,
): Promise<INodeExecutionData[]> {
	const limits = { ...item.request.limits, ...(run.tool ? { listedHostsOnly: true } : {}) };
	const answer = await run.session.pay({
		...item.request,
		limits,
		call,
		// The paid answer is in: another item may start while the chain is read for the receipt.
		answered: () => slot.release(),
	});
	const receipt = answer.receipt;
	if (receipt)
		run.session.once.answered(call, attemptOf(receipt), [
			{ statusCode: answer.status, payment: { ...receipt } },
		]);
	const out = await shape(context, run, item, answer, receipt);
	if (receipt) run.session.once.answered(call, attemptOf(receipt), [out.json]);
	return [out];
}

async function shape(
	context: IExecuteFunctions,
	run: PaidRun,
	item: RequestItem,
	answer: PaidAnswer,
	receipt: Receipt | undefined,
): Promise<INodeExecutionData> {
	const payment = receipt ? ({ ...receipt } as IDataObject) : null;
	let read: Awaited<ReturnType<typeof bodyOf>>;
	try {
		read = await bodyOf(context, answer, item.responseFormat, item.binaryField, item.request.url);
	} catch (error) {
		// The answer may be paid for: never lose the item over storing its file.
		read = { body: null, note: `The answer could not be stored: ${(error as Error).message}` };
	}
	if (run.tool) {
		// A model reads text: a bounded excerpt of the body, the receipt's essentials, what next.
		const text =
			read.binary !== undefined
				? `(a file of ${answer.headers['content-type'] ?? 'unknown type'}, not shown to a model)`
				: excerptOf(read.body, TOOL_BODY_CHARS);
		return {
			json: {
				statusCode: answer.status,
				body: text,
				costUsdc: receipt?.amountUsdc ?? '0',
				settlement: receipt?.settlement ?? null,
				transaction: receipt?.transaction ?? null,
				next: receipt
					? 'Paid once; do not call again for the same request unless a new one is wanted.'
					: 'The server did not ask for payment.',
			},
		};
	}
	return {
		json: {
			statusCode: answer.status,
			headers: headersJson(answer.headers),
			body: read.body as IDataObject,
			...(read.note ? { note: read.note } : {}),
			payment,
		},
		...(read.binary ? { binary: read.binary } : {}),
	};
}
