/**
 * Pay and submit: one item's paid call to the image endpoint, and its output shaped from the
 * job and the receipt (turned into n8n's JSON once, here at the edge).
 */

import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { downloadImage, imageMeta } from '../../../shared/binary';
import { parseGenerateAnswer, type GenerateAnswer } from '../../../shared/dopamint';
import { excerptOf } from '../../../shared/http';
import type { Slot } from '../../../shared/items';
import { findImages } from '../../../shared/jobs/shapes';
import { redactText } from '../../../shared/urls';
import type { PaymentCall } from '../../../shared/x402/once';
import { GatewayError } from '../../../shared/x402/protocol/answers';
import { PaymentError } from '../../../shared/x402/protocol/payment';
import { attemptOf, type Receipt } from '../../../shared/x402/receipt';
import type { ItemRequest } from '../item';
import { payOnce } from '../../../shared/paidRun';
import type { GenerateRun } from '../setup';

export async function execute(
	context: IExecuteFunctions,
	run: GenerateRun,
	item: ItemRequest,
	itemIndex: number,
	slot: Slot,
): Promise<INodeExecutionData[]> {
	const call = run.calls.callFor(itemIndex, item.idempotencyKey);
	// Two items of one call in this run (the same Idempotency Key twice, a tool asked twice the
	// same), or a call Retry On Fail runs again: paid once, the others answered from the first.
	return await payOnce(run, call, async () => await payAndShape(context, run, item, call, slot));
}

async function payAndShape(
	context: IExecuteFunctions,
	run: GenerateRun,
	item: ItemRequest,
	call: PaymentCall,
	slot: Slot,
): Promise<INodeExecutionData[]> {
	const answer = await run.session.pay({
		url: item.endpoint,
		body: item.body,
		timeoutMs: item.timeoutMs,
		limits: item.limits,
		call,
		// The paid answer is in: another item may start while the chain is read for the receipt.
		answered: () => slot.release(),
	});
	const receipt = answer.receipt;
	const job = parseGenerateAnswer(answer.body);
	if (!job) {
		const excerpt = excerptOf(answer.body);
		if (!receipt) {
			throw new GatewayError(
				`The service answered without a job id and without asking for payment: ${excerpt}`,
				{ hint: 'Check that the Endpoint URL is an x402 image endpoint.' },
			);
		}
		throw new PaymentError({
			reason: `The service answered the paid request without a job id: ${excerpt}`,
			attempt: attemptOf(receipt),
			settlement: receipt.settlement,
			checkedAt: receipt.checkedAt,
		});
	}
	// Paid and answered: a retry of this call in this execution gives this answer again instead of
	// paying, even when an image download below fails.
	const paid = (outputs: IDataObject[]) => {
		if (receipt) run.session.once.answered(call, attemptOf(receipt), outputs);
	};
	paid([
		{
			jobId: job.jobId,
			statusUrl: redactText(job.statusUrl),
			payment: receipt ? receiptJson(receipt) : null,
		},
	]);
	// Sync Mode's images are downloaded holding a concurrency slot again.
	const outputs = await slot.within(
		async () => await shapeOutput(context, run, item, job, receipt),
	);
	paid(outputs.map((o) => o.json));
	return outputs;
}

async function shapeOutput(
	context: IExecuteFunctions,
	run: GenerateRun,
	item: ItemRequest,
	job: GenerateAnswer,
	receipt: Receipt | undefined,
): Promise<INodeExecutionData[]> {
	if (run.tool) {
		// AI agents drop binary: give them the essentials in JSON.
		const images = findImages(job.raw).map((img) => redactText(img.url));
		return [
			{
				json: {
					jobId: job.jobId,
					statusUrl: redactText(job.statusUrl),
					...(images.length ? { imageUrls: images } : {}),
					costUsdc: receipt?.amountUsdc ?? '0',
					settlement: receipt?.settlement ?? null,
					transaction: receipt?.transaction ?? null,
					next: images.length
						? 'The image is ready at imageUrls.'
						: 'Call the Wait for Job tool with this statusUrl to get the image when it is ready.',
				},
			},
		];
	}
	const base: IDataObject = {
		jobId: job.jobId,
		statusUrl: redactText(job.statusUrl),
		message: job.message,
		timestamp: job.timestamp,
		statusCode: job.statusCode,
		endpoint: item.endpoint,
		request: { ...item.body },
		payment: receipt ? receiptJson(receipt) : null,
	};
	const images = item.body.sync_mode ? findImages(job.raw) : [];
	if (!images.length) return [{ json: base }];
	const out: INodeExecutionData[] = [];
	for (const [index, ref] of images.entries()) {
		try {
			const image = await downloadImage(context, run.http, ref, {
				allowedHosts: item.imageHosts,
				baseName: `nano-banana-${job.jobId}-${index}`,
				timeoutMs: item.timeoutMs,
			});
			out.push({
				json: { ...base, image: imageMeta(index, image) },
				binary: { [item.binaryField]: image.binary },
			});
		} catch (error) {
			// The image is paid for: never lose the item over a download problem.
			out.push({
				json: {
					...base,
					image: {
						index,
						url: redactText(ref.url).slice(0, 2_000),
						downloadError: (error as Error).message,
					},
				},
			});
		}
	}
	return out;
}

/** The receipt as n8n JSON: every field as it is. */
function receiptJson(receipt: Receipt): IDataObject {
	return { ...receipt };
}
