/**
 * `npm run sandbox`: the local money path on loopback until Ctrl-C.
 * Prints the gateway URL, the RPC URL and a funded throwaway key.
 */
import { startSandbox } from './index';

async function main() {
	const jobSeconds = Number(process.env.SANDBOX_JOB_SECONDS ?? 3);
	const sandbox = await startSandbox({ gateway: { jobDurationMs: jobSeconds * 1000 } });
	const payer = sandbox.payers[0];
	const balance = await sandbox.chain.usdcBalance(payer.address);
	process.stdout.write(
		[
			'nano-banana sandbox is running (local chain, chainId 8453; no real money).',
			`  Endpoint URL (Generate node option): ${sandbox.gateway.endpoint}`,
			`  Allowed Hosts (Wait for Job option): ${new URL(sandbox.gateway.endpoint).hostname}`,
			`  RPC URL (credential):                ${sandbox.chain.rpcUrl}`,
			`  Test private key (credential):       ${payer.key}`,
			`  Payer address:                       ${payer.address} (${Number(balance) / 1e6} USDC)`,
			'  This key is generated now and dies with the sandbox. Ctrl-C to stop.',
			'',
		].join('\n'),
	);
	const stop = async () => {
		await sandbox.close();
		process.exit(0);
	};
	process.on('SIGINT', () => void stop());
	process.on('SIGTERM', () => void stop());
}

main().catch((error: Error) => {
	process.stderr.write(`sandbox failed: ${error.message}\n`);
	process.exit(1);
});
