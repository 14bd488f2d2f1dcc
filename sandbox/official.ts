/**
 * The official x402 v2 resource server (@x402/express's payment middleware over @x402/core's
 * x402ResourceServer, @x402/evm's exact scheme) on loopback, settling through the sandbox's
 * facilitator on the local chain: code no one here wrote, for X402 Request to pay. Development only.
 *
 *   GET  /report   0.01 USDC, JSON
 *   POST /echo     0.02 USDC, echoes the JSON body it was paid for
 *   GET  /free     no payment
 *   GET  /mpp/report   0.01 USDC, its 402 carrying an MPP challenge too (WWW-Authenticate: Payment)
 *   GET  /with-id      0.01 USDC, declaring the payment-identifier extension as required
 *   GET  /members      0.01 USDC, or free to a wallet that paid before and signs in (sign-in-with-x)
 *   GET  /me           a sign-in only (sign-in-with-x, no payment offered): answers who signed in
 *   GET  /jobs/:id     a finished job's status, sign-in only: `?image=<url>` is its image
 *   POST /job-start    0.01 USDC: starts a "job" and answers its statusUrl (a /jobs/ URL, `?image=` passed on)
 *   GET  /file         0.01 USDC: an 8 MB file (image/png bytes), more than any JSON answer may be
 *   GET  /mpp-only     a 402 with an MPP challenge and no x402 offer
 */
import { x402ResourceServer, type FacilitatorClient } from '@x402/core/server';
import { registerExactEvmScheme } from '@x402/evm/exact/server';
import { paymentMiddleware } from '@x402/express';
import {
	declarePaymentIdentifierExtension,
	extractPaymentIdentifier,
	PAYMENT_IDENTIFIER,
	paymentIdentifierResourceServerExtension,
} from '@x402/extensions/payment-identifier';
import {
	createSIWxResourceServerExtension,
	declareSIWxExtension,
	InMemorySIWxStorage,
} from '@x402/extensions/sign-in-with-x';
import express from 'express';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Facilitator } from './facilitator';

export interface OfficialServer {
	url: string;
	payTo: string;
	close(): Promise<void>;
}

export async function startOfficialServer(
	facilitator: Facilitator,
	payTo = '0x000000000000000000000000000000000000bEEF',
): Promise<OfficialServer> {
	const client: FacilitatorClient = {
		verify: async (payload, requirements) => await facilitator.verify(payload, requirements),
		settle: async (payload, requirements) => await facilitator.settle(payload, requirements),
		getSupported: async () =>
			(await facilitator.getSupported()) as Awaited<ReturnType<FacilitatorClient['getSupported']>>,
	};
	// The sign-in extension needs the server's origin: listen first, then build the app.
	const app = express();
	const http = createServer((req, res) => void app(req, res));
	await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
	const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
	const server = registerExactEvmScheme(new x402ResourceServer(client))
		.registerExtension(paymentIdentifierResourceServerExtension)
		.registerExtension(
			createSIWxResourceServerExtension({ origin: url, storage: new InMemorySIWxStorage() }),
		);
	const network = 'eip155:8453' as const;
	const signIn = declareSIWxExtension({ network, statement: 'Sign in to the sandbox' });
	app.use(express.json());
	const challenge =
		'Payment id="mpp-1", realm="sandbox", method="tempo", intent="charge", request="e30"';
	app.use('/mpp', (_req, res, next) => {
		res.setHeader('WWW-Authenticate', challenge);
		next();
	});
	app.get('/mpp-only', (_req, res) => {
		res.setHeader('WWW-Authenticate', challenge);
		res.status(402).json({});
	});
	app.use(
		paymentMiddleware(
			{
				'GET /report': {
					accepts: { scheme: 'exact', price: '$0.01', network, payTo },
					description: 'A paid report',
					mimeType: 'application/json',
				},
				'GET /with-id': {
					accepts: { scheme: 'exact', price: '$0.01', network, payTo },
					description: 'A paid report that needs a payment id',
					mimeType: 'application/json',
					extensions: { [PAYMENT_IDENTIFIER]: declarePaymentIdentifierExtension(true) },
				},
				'GET /members': {
					accepts: { scheme: 'exact', price: '$0.01', network, payTo },
					description: 'Members only: pay once, then sign in',
					mimeType: 'application/json',
					extensions: signIn,
				},
				'GET /me': {
					accepts: [],
					description: 'Who you are',
					mimeType: 'application/json',
					extensions: signIn,
				},
				'GET /file': {
					accepts: { scheme: 'exact', price: '$0.01', network, payTo },
					description: 'A large paid file',
					mimeType: 'image/png',
				},
				'POST /job-start': {
					accepts: { scheme: 'exact', price: '$0.01', network, payTo },
					description: 'Starts a job; poll its statusUrl with a sign-in',
					mimeType: 'application/json',
				},
				'GET /jobs/*': {
					accepts: [],
					description: 'A job status only its wallet reads',
					mimeType: 'application/json',
					extensions: signIn,
				},
				'GET /mpp/report': {
					accepts: { scheme: 'exact', price: '$0.01', network, payTo },
					description: 'A paid report, also offered through MPP',
					mimeType: 'application/json',
				},
				'POST /echo': {
					accepts: { scheme: 'exact', price: '$0.02', network, payTo },
					description: 'Echoes what it was paid for',
					mimeType: 'application/json',
				},
			},
			server,
		),
	);
	app.get('/report', (_req, res) => void res.json({ report: 'the paid answer' }));
	app.get('/with-id', (req, res) => {
		// What the official extension code reads from the payment this request was paid with.
		const header = req.header('payment-signature') ?? '';
		const payload = JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as never;
		res.json({ paymentId: extractPaymentIdentifier(payload) ?? null });
	});
	app.get('/members', (_req, res) => void res.json({ members: 'welcome' }));
	app.get('/me', (req, res) => {
		const header = req.header('sign-in-with-x') ?? '';
		const signedIn = JSON.parse(Buffer.from(header, 'base64').toString('utf8') || '{}') as {
			address?: string;
		};
		res.json({ address: signedIn.address ?? null });
	});
	app.get('/file', (_req, res) => {
		res.type('png').send(Buffer.alloc(8 * 1024 * 1024, 7));
	});
	app.post('/job-start', (req, res) => {
		const image = typeof req.query.image === 'string' ? req.query.image : '';
		const id = `job-${Date.now()}`;
		res.json({ jobId: id, statusUrl: `${url}/jobs/${id}?image=${encodeURIComponent(image)}` });
	});
	app.get('/jobs/:id', (req, res) => {
		const image = typeof req.query.image === 'string' ? req.query.image : '';
		res.json({ status: 'COMPLETED', jobId: req.params.id, images: [{ url: image }] });
	});
	app.get('/mpp/report', (_req, res) => void res.json({ report: 'paid through x402' }));
	app.post('/echo', (req, res) => void res.json({ echo: req.body as unknown }));
	app.get('/free', (_req, res) => void res.json({ free: true }));
	return {
		url,
		payTo,
		close: async () => await new Promise<void>((resolve) => http.close(() => resolve())),
	};
}
