/** The one mapper from the package's errors to the n8n errors a node throws. */

import type { INode, JsonObject } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import { inWords, NanoBananaError } from './errors';

/** Maps any error to the n8n error a node throws or puts in its error item. */
export function toNodeError(
	node: INode,
	error: unknown,
	itemIndex: number,
): NodeApiError | NodeOperationError {
	if (error instanceof NodeApiError || error instanceof NodeOperationError) return error;
	if (error instanceof NanoBananaError) {
		if (
			error.httpStatus !== undefined &&
			(error.kind === 'gateway' || error.kind === 'http' || error.kind === 'job')
		) {
			return new NodeApiError(node, { ...error.details, message: error.message } as JsonObject, {
				message: error.message,
				description: error.hint,
				httpCode: String(error.httpStatus),
				itemIndex,
			});
		}
		const facts = error.facts();
		const description = facts ? `${error.hint ?? ''}\n\n${facts}` : error.hint;
		return new NodeOperationError(node, error.message, { description, itemIndex });
	}
	const message = error instanceof Error ? error.message : String(error);
	return new NodeOperationError(node, inWords(message), { itemIndex });
}
