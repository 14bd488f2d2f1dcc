/**
 * Pay and submit: one item's paid call to the image endpoint, and its output shaped from the
 * job and the receipt (turned into n8n's JSON once, here at the edge).
 */

import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { downloadImage, imageMeta } from '../../../shared/binary';
import { parseGenerateAnswer, type GenerateAnswer } from '../../../shared/dopamint';
import { excerptOf } from '../../../shared/http';
import { findImages } from '../../../shared/jobs/shapes';
import { redactText } from '../../../shared/urls';
import { GatewayError } from '../../../shared/x402/answers';
import type { PaidRequest } from '../../../shared/x402/session';
import { PaymentError } from '../../../shared/x402/protocol/payment';
import { attemptOf, type Receipt } from '../../../shared/x402/receipt';
import type { GenerateRun, ItemRequest } from '../run';

export async function execute(
	context: IExecuteFunctions,
	run: GenerateRun,
	item: ItemRequest,
	itemIndex: number,
): Promise<INodeExecutionData[]> {
	const call = run.calls.callFor(itemIndex, item.idempotencyKey);
	const request: PaidRequest = {
		url: item.endpoint,
		body: item.body,
		timeoutMs: item.timeoutMs,
		limits: item.limits,
		call,
	};
	// Two items of one call in this run (the same Idempotency Key twice, a tool asked twice the
	// same): the second waits for the first and is answered from the ledger, never paid again.
	const before = run.inProgress.get(call.key);
	const mine = (async () => {
		if (before) await before.catch(() => undefined);
		return await payAndShape(context, run, item, request);
	})();
	run.inProgress.set(call.key, mine);
	return await mine;
}

async function payAndShape(
	context: IExecuteFunctions,
	run: GenerateRun,
	item: ItemRequest,
	request: PaidRequest,
): Promise<INodeExecutionData[]> {
	const paymentKey = request.call?.key ?? '';
	const earlier = run.ledger.get(paymentKey);
	if (earlier?.state === 'done') {
		// Retry On Fail re-ran the node (or this run asked for the same call twice): it was paid and
		// answered before.
		return earlier.outputs.map((json) => ({ json: { ...json, fromEarlierTry: true } }));
	}
	const answer = await run.session.pay(request);
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
	// paying.
	if (receipt)
		run.ledger.set(paymentKey, {
			state: 'done',
			attempt: attemptOf(receipt),
			outputs: [
				{ jobId: job.jobId, statusUrl: redactText(job.statusUrl), payment: receiptJson(receipt) },
			],
		});
	const outputs = await shapeOutput(context, run, item, job, receipt);
	if (receipt)
		run.ledger.set(paymentKey, {
			state: 'done',
			attempt: attemptOf(receipt),
			outputs: outputs.map((o) => o.json),
		});
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
