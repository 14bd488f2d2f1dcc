/**
 * The official x402 v1 resource server (x402-express's payment middleware) on loopback. It talks to
 * a facilitator over HTTP, as in production: here a facilitator endpoint on the same server in
 * front of the sandbox's facilitator (the official @x402/core + @x402/evm code), settling on the
 * local chain. Code no one here wrote, for X402 Request to pay with x402 v1. Development only.
 *
 *   GET  /v1/report   0.01 USDC (network "base"), JSON
 */
import express from 'express';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { paymentMiddleware } from 'x402-express';
import type { Facilitator } from './facilitator';
import type { OfficialServer } from './official';

export async function startOfficialV1Server(
	facilitator: Facilitator,
	payTo = '0x000000000000000000000000000000000000bEEF',
): Promise<OfficialServer> {
	const app = express();
	const http = createServer((req, res) => void app(req, res));
	await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
	const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
	app.use(express.json());
	// The facilitator's HTTP API (verify, settle, supported) over the sandbox's in-process one.
	type Body = { paymentPayload: never; paymentRequirements: never };
	app.post('/facilitator/verify', (req, res) => {
		const { paymentPayload, paymentRequirements } = req.body as Body;
		void facilitator.verify(paymentPayload, paymentRequirements).then((r) => res.json(r));
	});
	app.post('/facilitator/settle', (req, res) => {
		const { paymentPayload, paymentRequirements } = req.body as Body;
		void facilitator.settle(paymentPayload, paymentRequirements).then((r) => res.json(r));
	});
	app.get('/facilitator/supported', (_req, res) => {
		void Promise.resolve(facilitator.getSupported()).then((r) => res.json(r));
	});
	app.use(
		paymentMiddleware(
			payTo as `0x${string}`,
			{ 'GET /v1/report': { price: '$0.01', network: 'base' } },
			{ url: `${url}/facilitator` as `${string}://${string}` },
		),
	);
	app.get('/v1/report', (_req, res) => void res.json({ report: 'paid with x402 v1' }));
	return {
		url,
		payTo,
		close: async () => await new Promise<void>((resolve) => http.close(() => resolve())),
	};
}
