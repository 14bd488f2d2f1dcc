/// <reference lib="dom" />
/**
 * `npm run test:ui`: the package as a person meets it in the real n8n editor (n8n@2.41.1,
 * the same cached app as test:e2e), driven in headless Chromium (Debian's package,
 * installed when missing; playwright-core drives it, nothing downloads a browser).
 *
 * As a user it: sets up the owner account; installs the package through Settings →
 * Community nodes → Install (from a local registry serving the packed package); restarts
 * n8n as a normal instance; searches the node picker from the empty canvas; adds Generate;
 * creates the wallet credential in the credential dialog; runs a Dry Run (wallet facts), a
 * refused payment, and a paid one (receipt), pins Generate's output; adds Wait for Job from
 * Generate's + handle; runs it and views the image in the binary tab. Screenshots of every
 * step go to test-results/ui/. The last line is `ui: N passed, N failed`.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startSandbox, type Sandbox } from '../sandbox';
import {
	allowCustomRegistry,
	freePort,
	installN8n,
	must,
	N8nRest,
	n8nEnv,
	node24,
	OWNER,
	ROOT,
	startN8n,
	startRegistry,
	tempHome,
	type N8nProcess,
} from '../harness/app/host';

const N8N_VERSION = '2.41.1';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const OUT = path.join(ROOT, 'test-results', 'ui');
const PACKAGE = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
	name: string;
	version: string;
};
const PROMPT = 'A ripe banana wearing sunglasses on a beach at sunset, studio product photo';

const say = (line: string) => process.stdout.write(`ui: ${line}\n`);

/** Debian's chromium, installed with apt-get when missing (as root), never a browser download. */
async function ensureChromium(): Promise<void> {
	if (existsSync(CHROMIUM)) return;
	if (process.getuid?.() !== 0)
		throw new Error(
			`${CHROMIUM} is missing: install Debian's chromium package (sudo apt-get install -y chromium) or set CHROMIUM_PATH`,
		);
	say("installing Debian's chromium package (first run only)");
	await must('apt-get', ['update', '-qq']);
	await must(
		'apt-get',
		['install', '-y', '-qq', '--no-install-recommends', 'chromium', 'fonts-dejavu-core'],
		{ env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } },
	);
}

interface Check {
	name: string;
	ok: boolean;
}

class Journey {
	readonly checks: Check[] = [];
	private shots = 0;
	constructor(readonly page: Page) {}

	check(name: string, ok: boolean, detail?: unknown) {
		this.checks.push({ name, ok });
		say(
			`${ok ? 'ok  ' : 'FAIL'} ${name}${ok || detail === undefined ? '' : `: ${String(typeof detail === 'string' ? detail : JSON.stringify(detail)).slice(0, 800)}`}`,
		);
		return ok;
	}

	async shot(name: string): Promise<string> {
		const file = path.join(OUT, `${String(++this.shots).padStart(2, '0')}-${name}.png`);
		await this.page.screenshot({ path: file });
		return file;
	}

	async text(selector: string): Promise<string> {
		return await this.page.locator(selector).first().innerText();
	}

	/** Fills an n8n parameter input and leaves it, so its hint does not cover what comes next. */
	async fill(parameter: string, value: string) {
		const input = this.page
			.locator(
				`[data-test-id="parameter-input-${parameter}"] input, [data-test-id="parameter-input-${parameter}"] textarea`,
			)
			.first();
		await input.fill(value);
		await input.evaluate((e) => (e as HTMLElement).blur());
		await this.page.waitForTimeout(300);
	}

	/** Options → Add Option → <name>. */
	async addOption(name: string) {
		const add = this.page.locator('[data-test-id="collection-parameter-add"]').last();
		await add.scrollIntoViewIfNeeded();
		await add.click();
		await this.page
			.locator('[data-test-id="collection-parameter-option"]', { hasText: name })
			.click();
		await this.page.waitForTimeout(400);
	}

	/** Runs the open node ("Execute step") and waits for its run to end. */
	async executeStep(): Promise<'success' | 'error'> {
		await this.page.click('[data-test-id="node-execute-button"]');
		// The previous run's status stays on screen until the new run clears it.
		await this.page
			.waitForSelector(
				'[data-test-id="node-run-status-success"], [data-test-id="node-error-message"]',
				{ state: 'detached', timeout: 10_000 },
			)
			.catch(() => undefined);
		const done = await Promise.race([
			this.page
				.waitForSelector('[data-test-id="node-run-status-success"]', { timeout: 90_000 })
				.then(() => 'success' as const),
			this.page
				.waitForSelector('[data-test-id="node-error-message"]', { timeout: 90_000 })
				.then(() => 'error' as const),
		]);
		await this.page.waitForTimeout(600);
		return done;
	}

	/** The node picker's search results, as "name — description" lines. */
	async searchPicker(term: string): Promise<string[]> {
		await this.page.fill('[data-test-id="node-creator-search-bar"]', term);
		await this.page.waitForTimeout(800);
		// A node with operations (X402 Wallet) is listed as an action item.
		return await this.page
			.locator('[data-test-id="node-creator-node-item"], [data-test-id="node-creator-action-item"]')
			.evaluateAll((items) =>
				items.map(
					(i) =>
						`${(i.querySelector('[data-test-id="node-creator-item-name"]') as HTMLElement)?.innerText ?? ''} — ${(i.querySelector('[data-test-id="node-creator-item-description"]') as HTMLElement)?.innerText ?? ''} [icon ${(i.querySelector('img') as HTMLImageElement)?.getAttribute('src') ?? 'none'}]`,
				),
			);
	}
}

async function launch(): Promise<Browser> {
	return await chromium.launch({
		executablePath: CHROMIUM,
		args: [
			'--no-sandbox',
			'--disable-gpu',
			'--disable-quic',
			'--no-first-run',
			'--disable-background-networking',
			'--disable-component-update',
			'--disable-sync',
		],
	});
}

async function main() {
	if (!existsSync(path.join(ROOT, 'dist/nodes/NanoBananaGenerate/NanoBananaGenerate.node.js')))
		throw new Error('run `npm run build` first (npm run test:ui does)');
	const started = Date.now();
	await ensureChromium();
	const runtime = await node24(say);
	const n8nDir = await installN8n(N8N_VERSION, runtime, say);
	rmSync(OUT, { recursive: true, force: true });
	mkdirSync(OUT, { recursive: true });

	const sandbox: Sandbox = await startSandbox({
		chain: { payers: 1 },
		gateway: { jobDurationMs: 2_000 },
	});
	const registry = await startRegistry(say);
	const home = tempHome('n8n-ui-');
	const payer = sandbox.payers[0];
	const key = randomBytes(24).toString('hex');
	const port = await freePort();
	let app: N8nProcess | undefined;
	let browser: Browser | undefined;
	let journey: Journey | undefined;
	try {
		browser = await launch();
		const page = await (
			await browser.newContext({ viewport: { width: 1400, height: 900 } })
		).newPage();
		journey = new Journey(page);
		const j = journey;
		const transfers = async () => (await sandbox.chain.transfers()).length;

		// 1. A new instance: the owner account, then the package through Settings → Community nodes.
		// The installer reads a custom registry only with a licence feature; n8n's own E2E switch grants it here.
		app = await startN8n(
			n8nDir,
			runtime,
			n8nEnv(home, {
				N8N_ENCRYPTION_KEY: key,
				N8N_COMMUNITY_PACKAGES_REGISTRY: registry.url,
				E2E_TESTS: 'true',
			}),
			{ port },
		);
		await allowCustomRegistry(new N8nRest(app.url));
		await page.goto(`${app.url}/setup`);
		for (const field of ['email', 'firstName', 'lastName', 'password'] as const)
			await page.fill(`[data-test-id="${field}"] input`, OWNER[field]);
		await j.shot('owner-setup');
		await page.click('[data-test-id="form-submit-button"]');
		await page.waitForURL((url) => !url.pathname.startsWith('/setup'), { timeout: 30_000 });
		// n8n itself must say setup is done (its public settings), not just the browser having moved on.
		const settings = (await (await fetch(`${app.url}/rest/settings`)).json()) as {
			data?: { userManagement?: { showSetupOnFirstLoad?: boolean } };
		};
		j.check(
			'the owner account is set up through the setup screen (n8n no longer asks for setup)',
			settings.data?.userManagement?.showSetupOnFirstLoad === false,
			settings.data?.userManagement,
		);

		await page.goto(`${app.url}/settings/community-nodes`);
		await page.getByRole('button', { name: 'Install a community node' }).click();
		await page.fill(
			'input[data-test-id="package-name-input"], [data-test-id="package-name-input"] input',
			PACKAGE.name,
		);
		await page.click('[data-test-id="user-agreement-checkbox"]');
		await j.shot('install-dialog');
		await page.click('[data-test-id="install-community-package-button"]');
		await page.waitForSelector('[data-test-id="community-package-card"]', { timeout: 120_000 });
		const card = await j.text('[data-test-id="community-package-card"]');
		await j.shot('installed');
		j.check(
			`Settings → Community nodes installs ${PACKAGE.name} and lists v${PACKAGE.version} with its four nodes`,
			card.includes(PACKAGE.name) &&
				card.includes(`v${PACKAGE.version}`) &&
				card.includes('Nano-Banana Generate') &&
				card.includes('Wait for Job') &&
				card.includes('X402 Wallet') &&
				card.includes('X402 Request'),
			card,
		);

		// 2. Restarted as a normal instance (no E2E mode): the installed package loads like in production.
		await app.stop();
		app = await startN8n(n8nDir, runtime, n8nEnv(home, { N8N_ENCRYPTION_KEY: key }), { port });
		// The browser's session survives the restart; sign in again only if n8n asks.
		await page.goto(`${app.url}/home/workflows`);
		await page.waitForTimeout(1500);
		if (new URL(page.url()).pathname.startsWith('/signin')) {
			await page.fill(
				'[data-test-id="emailOrLdapLoginId"] input, [data-test-id="email"] input',
				OWNER.email,
			);
			await page.fill('[data-test-id="password"] input', OWNER.password);
			await page.click('[data-test-id="form-submit-button"]');
			await page.waitForURL((url) => !url.pathname.startsWith('/signin'), { timeout: 30_000 });
		}

		// 3. Found by search from the empty canvas, with icon and description; added connected to a trigger.
		await page.goto(`${app.url}/workflow/new`);
		await page.click('[data-test-id="canvas-plus-button"]');
		const fromCanvas = await j.searchPicker('nano');
		await j.shot('search-empty-canvas');
		j.check(
			'empty canvas: "nano" finds Nano-Banana Generate and Wait for Job with their icons and descriptions',
			fromCanvas.some(
				(l) =>
					l.startsWith('Nano-Banana Generate — Generate an image') && l.includes('nanoBanana.svg'),
			) &&
				fromCanvas.some(
					(l) => l.startsWith('Wait for Job — Poll a job') && l.includes('waitForJob.svg'),
				),
			fromCanvas,
		);
		const marketer = await j.searchPicker('text to image');
		j.check(
			'empty canvas: "text to image" (an alias) finds Nano-Banana Generate',
			marketer.some((l) => l.startsWith('Nano-Banana Generate')),
			marketer,
		);
		// The picker fills its results in steps: wait for the node before reading them.
		const findNode = async (term: string, name: string) => {
			await page.fill('[data-test-id="node-creator-search-bar"]', term);
			await page
				.locator('[data-test-id="node-creator-action-item"]', { hasText: name })
				.first()
				.waitFor({ timeout: 10_000 })
				.catch(() => undefined);
			return await j.searchPicker(term);
		};
		const findWallet = async (term: string) => await findNode(term, 'X402 Wallet');
		const byName = await findWallet('x402');
		await j.shot('search-wallet-node');
		const spend = await findWallet('spending');
		j.check(
			'empty canvas: "x402" and "spending" (an alias) find X402 Wallet with its icon',
			[byName, spend].every((found) =>
				found.some((l) => l.startsWith('X402 Wallet') && l.includes('x402Wallet.svg')),
			),
			{ byName, spend },
		);
		const requestFound: Record<string, string[]> = {};
		for (const term of ['x402', 'paid request', 'http'])
			requestFound[term] = await findNode(term, 'X402 Request');
		await j.shot('search-request-node');
		j.check(
			'empty canvas: "x402", "paid request" and "http" find X402 Request with its icon',
			Object.values(requestFound).every((found) =>
				found.some((l) => l.startsWith('X402 Request') && l.includes('x402Request.svg')),
			),
			requestFound,
		);
		await j.searchPicker('nano');
		await page
			.locator('[data-test-id="node-creator-node-item"]', {
				// By its name: a description may mention the other node.
				has: page.locator('[data-test-id="node-creator-item-name"]', {
					hasText: 'Nano-Banana Generate',
				}),
			})
			.click();
		const addButton = page.getByRole('button', { name: 'Add to workflow' });
		if (await addButton.isVisible().catch(() => false)) await addButton.click();
		await page.waitForSelector('[data-test-id="ndv"]', { timeout: 15_000 });
		await j.shot('generate-panel');

		// 4. The credential, through the credential dialog.
		await page.getByRole('button', { name: /Connect to X402 Wallet/i }).click();
		await page.waitForSelector('[data-test-id="credential-edit-dialog"]');
		await j.fill('privateKey', payer.key);
		await j.fill('rpcUrl', sandbox.chain.rpcUrl);
		await j.shot('credential-dialog');
		j.check(
			'the credential dialog masks the private key (a password field)',
			(await page
				.locator('[data-test-id="parameter-input-privateKey"] input')
				.first()
				.getAttribute('type')) === 'password',
		);
		await page.locator('[data-test-id="credential-save-button"]').click();
		await page.waitForSelector('text=Credential successfully created', { timeout: 30_000 });
		await page
			.waitForSelector('[data-test-id="credential-edit-dialog"]', {
				state: 'detached',
				timeout: 30_000,
			})
			.catch(() => page.keyboard.press('Escape'));
		await page.waitForSelector('[data-test-id="node-credentials-select"]', { timeout: 10_000 });
		j.check(
			'the credential is created and selected in Generate',
			!(await page.getByRole('button', { name: /Connect to X402 Wallet/i }).isVisible()),
		);

		// 5. Dry Run: the wallet facts the credential test computes, where a user sees them.
		await j.fill('prompt', PROMPT);
		await j.addOption('Endpoint URL');
		await j.fill('endpointUrl', sandbox.gateway.endpoint);
		await j.addOption('Dry Run');
		await page.click('[data-test-id="parameter-input-dryRun"] .el-switch');
		const before = await transfers();
		const dry = await j.executeStep();
		await page.click('[data-test-id="radio-button-json"] >> nth=-1');
		await page.waitForTimeout(500);
		await j.shot('dry-run-wallet');
		const dryText = await j.text('[data-test-id="output-panel"]');
		j.check(
			'Dry Run shows the paying address, its USDC balance and how many images it covers; nothing moves',
			dry === 'success' &&
				dryText.includes(payer.address) &&
				/"usdcBalance":\s*"\d+\.\d+"/.test(dryText) &&
				/"imagesCovered":\s*\d+/.test(dryText) &&
				/"wouldPay":\s*true/.test(dryText) &&
				(await transfers()) === before,
			dryText.slice(0, 800),
		);

		// 6. A refused payment: the error says which rule and that nothing was paid.
		await page.click('[data-test-id="parameter-input-dryRun"] .el-switch');
		await j.addOption('Max Price per Image');
		await j.fill('maxPriceUsdc', '0.01');
		const refused = await j.executeStep();
		await j.shot('refused-payment');
		const refusal = await j.text('[data-test-id="output-panel"]');
		j.check(
			'a price above Max Price per Image is refused: the error names the rule and says nothing was paid',
			refused === 'error' &&
				refusal.includes(
					'Payment refused by the "max price" rule: the service asks 0.0527 USDC, the limit is 0.01 USDC',
				) &&
				refusal.includes('Nothing was signed or paid') &&
				(await transfers()) === before,
			refusal.slice(0, 600),
		);

		// 7. Paid: the receipt in the output, one transfer on chain; output pinned while building.
		await j.fill('maxPriceUsdc', '0.06');
		const paid = await j.executeStep();
		await page.click('[data-test-id="radio-button-json"] >> nth=-1');
		await page.waitForTimeout(500);
		await j.shot('paid-receipt');
		// The JSON view wraps long values: compare without whitespace.
		const receipt = (await j.text('[data-test-id="output-panel"]')).replace(/\s+/g, '');
		const chain = await sandbox.chain.transfers();
		const tx = chain[chain.length - 1]?.tx ?? 'none';
		j.check(
			'a paid run shows the receipt (charged, with the on-chain transaction) and moves 0.0527 USDC once',
			paid === 'success' &&
				receipt.includes('"settlement":"charged"') &&
				chain.length === before + 1 &&
				receipt.includes(`"transaction":"${tx}"`) &&
				receipt.includes('"amountUsdc":"0.0527"'),
			{ paid, transfers: chain.length - before, tx, receipt: receipt.slice(0, 400) },
		);
		// Pinned while building, as the node's notice says: later steps reuse this output instead of paying again.
		await page.locator('[data-test-id="ndv-pin-data"]').click();
		await page.waitForSelector('text=This data is pinned', { timeout: 10_000 });
		await page.click('[data-test-id="ndv-close-button"]');

		// 8. Wait for Job from Generate's + handle.
		await page.locator('[data-test-id="canvas-handle-plus"]').last().click();
		const fromHandle = await j.searchPicker('wait for job');
		await j.shot('search-plus-handle');
		j.check(
			'Generate\'s + handle: "wait for job" finds Wait for Job',
			fromHandle.some(
				(l) => l.startsWith('Wait for Job — Poll a job') && l.includes('waitForJob.svg'),
			),
			fromHandle,
		);
		await page
			.locator('[data-test-id="node-creator-node-item"]', {
				// By its name: a description may mention the other node.
				has: page.locator('[data-test-id="node-creator-item-name"]', { hasText: 'Wait for Job' }),
			})
			.click();
		if (await addButton.isVisible().catch(() => false)) await addButton.click();
		await page.waitForSelector('[data-test-id="ndv"]', { timeout: 15_000 });
		await j.addOption('Allowed Hosts');
		await j.fill('allowedHosts', '127.0.0.1');
		const waited = await j.executeStep();
		const binaryTab = page.locator('[data-test-id="radio-button-binary"]');
		if (await binaryTab.isVisible().catch(() => false)) await binaryTab.click();
		await page.click('[data-test-id="ndv-view-binary-data"]');
		const image = page.locator('img[src*="/rest/binary-data"]');
		await image.waitFor({ timeout: 15_000 });
		await page.waitForFunction(
			() =>
				Array.from(document.querySelectorAll('img')).some(
					(i) => i.src.includes('/rest/binary-data') && i.complete && i.naturalWidth > 0,
				),
			undefined,
			{ timeout: 15_000 },
		);
		const size = await image.evaluate((i) => [
			(i as HTMLImageElement).naturalWidth,
			(i as HTMLImageElement).naturalHeight,
		]);
		await j.shot('image-in-binary-tab');
		j.check(
			'Wait for Job outputs the image and the browser shows it in the binary tab (1024 × 1024 PNG decoded)',
			waited === 'success' && size[0] === 1024 && size[1] === 1024,
			size,
		);
		j.check(
			'Wait for Job after a pinned Generate pays nothing more',
			(await sandbox.chain.transfers()).length === before + 1,
		);
		await page.click('[data-test-id="ndv-close-button"]');
		await page.click('[data-test-id="zoom-to-fit"]');
		await page.waitForTimeout(800);
		await j.shot('workflow');
		const html = await page.content();
		j.check(
			'the private key appears nowhere in the page',
			!html.toLowerCase().includes(payer.key.slice(2).toLowerCase()),
		);
		// What the editor built, as n8n stored it: trigger → Generate → Wait for Job, each connected.
		await page.keyboard.press('Control+s');
		await page.waitForTimeout(1500);
		const rest = new N8nRest(app.url);
		await rest.login();
		const id = /\/workflow\/([\w-]+)/.exec(page.url())?.[1];
		const stored = await rest.call<{
			nodes?: Array<{ name: string; type: string }>;
			connections?: Record<string, { main?: Array<Array<{ node: string }>> }>;
		}>('GET', `/rest/workflows/${id}`);
		const next = (name: string) =>
			stored.data?.connections?.[name]?.main?.[0]?.map((c) => c.node) ?? [];
		const trigger =
			stored.data?.nodes?.find((n) => n.type === 'n8n-nodes-base.manualTrigger')?.name ?? '';
		j.check(
			'the saved workflow connects the trigger → Nano-Banana Generate → Wait for Job (picked on an empty canvas, Generate came with a trigger)',
			next(trigger).includes('Nano-Banana Generate') &&
				next('Nano-Banana Generate').includes('Wait for Job'),
			{ status: stored.status, connections: stored.data?.connections },
		);

		// 2. The AI agent example (examples/ai-agent.json), as a user opens it: the agent, its model,
		// both tools, and the fields the model fills ("Defined automatically by the model").
		const wallet = (
			await rest.must<Array<{ id: string; type: string }>>('GET', '/rest/credentials')
		).find((c) => c.type === 'x402WalletApi');
		const openAi = await rest.credential('OpenAI account', 'openAiApi', {
			apiKey: 'sk-not-used-here',
		});
		const example = JSON.parse(
			readFileSync(path.join(ROOT, 'examples', 'ai-agent.json'), 'utf8'),
		) as { nodes: Array<{ credentials?: Record<string, { id: string }> }> };
		for (const n of example.nodes) {
			if (n.credentials?.x402WalletApi && wallet) n.credentials.x402WalletApi.id = wallet.id;
			if (n.credentials?.openAiApi) n.credentials.openAiApi.id = openAi;
		}
		const agentWorkflow = await rest.must<{ id: string }>('POST', '/rest/workflows', {
			...example,
			active: false,
		});
		await page.goto(`${app.url}/workflow/${agentWorkflow.id}`);
		await page.waitForSelector('[data-test-id="canvas-node"]', { timeout: 30_000 });
		await page.click('[data-test-id="zoom-to-fit"]');
		await page.waitForTimeout(1000);
		const agentCanvas = await j.shot('agent-canvas');
		const onCanvas = await page
			.locator('[data-test-id="canvas-node"]')
			.evaluateAll((nodes) => nodes.map((n) => (n as HTMLElement).innerText.replace(/\s+/g, ' ')));
		j.check(
			`the AI agent example opens with the agent, its model and both tools on the canvas (${agentCanvas})`,
			['AI Agent', 'OpenAI Chat Model', 'Nano-Banana Generate', 'Wait for Job'].every((name) =>
				onCanvas.some((text) => text.includes(name)),
			),
			onCanvas,
		);
		await page
			.locator('[data-test-id="canvas-node"]', { hasText: 'Nano-Banana Generate' })
			.dblclick();
		await page.waitForSelector('[data-test-id="ndv"]', { timeout: 15_000 });
		await page.waitForTimeout(800);
		await j.shot('agent-generate-tool');
		// Prompt as the editor's "let the model define" button writes it; Aspect Ratio (an options
		// field, which the button does not offer) as a typed $fromAI expression.
		const byModel = await page.getByText('Defined automatically by the').count();
		const panel = await j.text('[data-test-id="ndv"]');
		const aspect = /\$fromAI\('aspectRatio'[^\n]*/.exec(panel)?.[0] ?? '';
		j.check(
			`the Generate tool shows Prompt "Defined automatically by the model" (${byModel}) and Aspect Ratio as a $fromAI expression`,
			byModel === 1 && aspect !== '',
			{ byModel, aspect },
		);
		await page.click('[data-test-id="ndv-close-button"]');

		// 3. X402 Wallet → Get Payments, as a user runs it after the paid image above: the payment,
		// read from the chain, in the output panel.
		const walletWorkflow = await rest.must<{ id: string }>('POST', '/rest/workflows', {
			name: 'Wallet payments',
			active: false,
			nodes: [
				{
					parameters: {},
					id: 'b1f5e0a2-0000-4000-8000-000000000001',
					name: 'Start',
					type: 'n8n-nodes-base.manualTrigger',
					typeVersion: 1,
					position: [0, 0],
				},
				{
					parameters: { operation: 'getPayments', period: 'last24h' },
					id: 'b1f5e0a2-0000-4000-8000-000000000002',
					name: 'X402 Wallet',
					type: 'n8n-nodes-nano-banana.x402Wallet',
					typeVersion: 1,
					position: [240, 0],
					credentials: { x402WalletApi: { id: wallet?.id ?? '', name: 'X402 Wallet account' } },
				},
			],
			connections: { Start: { main: [[{ node: 'X402 Wallet', type: 'main', index: 0 }]] } },
			settings: { executionOrder: 'v1' },
		});
		await page.goto(`${app.url}/workflow/${walletWorkflow.id}`);
		await page.waitForSelector('[data-test-id="canvas-node"]', { timeout: 30_000 });
		await page.locator('[data-test-id="canvas-node"]', { hasText: 'X402 Wallet' }).dblclick();
		await page.waitForSelector('[data-test-id="ndv"]', { timeout: 15_000 });
		const listed = await j.executeStep();
		const payments = await j.text('[data-test-id="ndv"]');
		await j.shot('wallet-get-payments');
		j.check(
			'X402 Wallet → Get Payments shows the 0.0527 USDC paid above, as an x402 payment with its transaction',
			listed === 'success' && /0\.0527/.test(payments) && /0x[0-9a-f]{64}/.test(payments),
			payments.slice(0, 600),
		);
		await page.click('[data-test-id="ndv-close-button"]');
	} catch (error) {
		say(`stopped: ${(error as Error).message.slice(0, 3000)}`);
		journey?.checks.push({ name: 'journey completed', ok: false });
		await journey?.shot('failure').catch(() => undefined);
		if (app) say(`n8n log tail:\n${app.log().slice(-2000)}`);
	} finally {
		await browser?.close();
		await app?.stop();
		await registry.close();
		await sandbox.close();
		rmSync(home, { recursive: true, force: true });
	}
	const checks = journey?.checks ?? [{ name: 'browser', ok: false }];
	const failed = checks.filter((c) => !c.ok).length;
	say(
		`screenshots in ${path.relative(ROOT, OUT)}/ (${Math.round((Date.now() - started) / 1000)} s)`,
	);
	process.stdout.write(`ui: ${checks.length - failed} passed, ${failed} failed\n`);
	if (failed) process.exit(1);
}

main().catch((error: Error) => {
	process.stderr.write(`ui failed: ${error.stack ?? error.message}\n`);
	process.exit(1);
});
