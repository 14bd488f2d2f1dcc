/**
 * A hostile or broken server on loopback, for the hardening tests and the benchmark
 * (development only): it redirects anywhere,
 * trickles, never answers, or sends far more than asked. It records every request it gets
 * (with headers, to catch a leaked payment header) and how many bytes it managed to send
 * before the client hung up. Every loop is bounded and stops when the client goes away.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HostileRequest {
	method: string;
	path: string;
	headers: http.IncomingHttpHeaders;
}

export interface Hostile {
	/** http://127.0.0.1:PORT */
	url: string;
	/** The same server under the name "localhost": another host for allow-list purposes. */
	otherUrl: string;
	requests: HostileRequest[];
	/** Bytes written per path before the client closed the connection. */
	sent: Map<string, number>;
	close(): Promise<void>;
}

const CHUNK = Buffer.alloc(64 * 1024, 0x61);
const PNG_HEAD = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * Routes:
 *  /redirect?to=URL&status=302     a redirect to URL
 *  /trickle                         200, then one byte every 2 s (at most 60 bytes)
 *  /silent                          accepts and never answers
 *  /huge?mb=N&type=json|image       streams N MB (at most 2048) as fast as the client reads
 *  /status?image=URL                a finished job whose image is URL
 *  /status?result=URL               a finished fal-style job whose result is at URL
 *  anything else                    404
 */
export async function startHostile(): Promise<Hostile> {
	const requests: HostileRequest[] = [];
	const sent = new Map<string, number>();
	const open = new Set<http.ServerResponse>();
	const server = http.createServer((req, res) => {
		const url = new URL(req.url ?? '/', 'http://x');
		requests.push({
			method: req.method ?? 'GET',
			path: url.pathname + url.search,
			headers: req.headers,
		});
		open.add(res);
		res.on('close', () => open.delete(res));
		const count = (n: number) => sent.set(url.pathname, (sent.get(url.pathname) ?? 0) + n);
		switch (url.pathname) {
			case '/redirect':
				res.writeHead(Number(url.searchParams.get('status') ?? 302), {
					location: url.searchParams.get('to') ?? '/',
				});
				return res.end();
			case '/trickle': {
				res.writeHead(200, { 'content-type': 'application/json' });
				let left = 60;
				const tick = (): void => {
					if (res.destroyed || left-- <= 0) {
						res.end();
						return;
					}
					res.write(' ');
					count(1);
					setTimeout(tick, 2_000).unref();
				};
				return tick();
			}
			case '/silent':
				return undefined; // never answers
			case '/huge': {
				const total = Math.min(2048, Number(url.searchParams.get('mb') ?? 100)) * 1024 * 1024;
				const image = url.searchParams.get('type') === 'image';
				res.writeHead(200, { 'content-type': image ? 'image/png' : 'application/json' });
				let written = 0;
				const pump = () => {
					if (written === 0) {
						const head = image ? PNG_HEAD : Buffer.from('{"status":"processing","pad":"');
						res.write(head);
						written += head.length;
						count(head.length);
					}
					while (written < total && !res.destroyed) {
						written += CHUNK.length;
						count(CHUNK.length);
						if (!res.write(CHUNK)) return void res.once('drain', pump);
					}
					if (!res.destroyed) res.end(image ? '' : '"}');
				};
				return pump();
			}
			case '/status': {
				const image = url.searchParams.get('image');
				const result = url.searchParams.get('result');
				res.writeHead(200, { 'content-type': 'application/json' });
				if (result)
					return res.end(
						JSON.stringify({ status: 'COMPLETED', request_id: 'hostile', response_url: result }),
					);
				return res.end(
					JSON.stringify({
						jobId: 'hostile',
						status: 'completed',
						images: [{ url: image, content_type: 'image/png' }],
					}),
				);
			}
			default:
				res.writeHead(404, { 'content-type': 'application/json' });
				return res.end('{"error":"not found"}');
		}
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	return {
		url: `http://127.0.0.1:${port}`,
		otherUrl: `http://localhost:${port}`,
		requests,
		sent,
		async close() {
			for (const res of open) res.destroy();
			server.closeAllConnections();
			await new Promise<void>((resolve) => server.close(() => resolve()));
		},
	};
}
