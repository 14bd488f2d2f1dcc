/**
 * The sandbox's stand-in for an image model: a picture a person recognises as
 * "the image for this prompt", drawn as SVG from the prompt's words (sky, scene,
 * a banana with what the prompt gives it) with the prompt as its caption.
 * Deterministic for a prompt, a seed and a size. Development only.
 */

interface Palette {
	sky: [string, string];
	sun?: string;
}

const has = (prompt: string, ...words: string[]) => words.some((w) => prompt.includes(w));

function palette(p: string): Palette {
	if (has(p, 'space', 'astronaut', 'earth', 'galaxy', 'moon'))
		return { sky: ['#02030a', '#101a3a'] };
	if (has(p, 'night', 'neon', 'tokyo', 'city')) return { sky: ['#0b0b2a', '#3a1650'] };
	if (has(p, 'sunset', 'sunrise', 'dusk', 'golden hour'))
		return { sky: ['#2b1a55', '#ff8a3d'], sun: '#ffd15c' };
	if (has(p, 'misty', 'jungle', 'forest', 'watercolor', 'watercolour'))
		return { sky: ['#dfeee6', '#a9c9b4'] };
	if (has(p, 'studio', 'product', 'car')) return { sky: ['#2a2d34', '#5b616e'] };
	return { sky: ['#5fa8ff', '#cfe8ff'], sun: '#fff3b0' };
}

/** Deterministic pseudo-random numbers from a seed (xorshift). */
function random(seed: number) {
	let x = (seed * 2654435761) >>> 0 || 1;
	return () => {
		x ^= x << 13;
		x >>>= 0;
		x ^= x >>> 17;
		x ^= x << 5;
		x >>>= 0;
		return x / 0x100000000;
	};
}

function scene(p: string, w: number, h: number, rand: () => number): string {
	const horizon = h * 0.68;
	const parts: string[] = [];
	if (has(p, 'space', 'astronaut', 'earth', 'galaxy')) {
		for (let i = 0; i < 90; i++)
			parts.push(
				`<circle cx="${(rand() * w).toFixed(1)}" cy="${(rand() * h).toFixed(1)}" r="${(rand() * 1.6 + 0.4).toFixed(2)}" fill="#fff" opacity="${(rand() * 0.6 + 0.4).toFixed(2)}"/>`,
			);
		const r = w * 0.55;
		parts.push(`<circle cx="${w * 0.5}" cy="${h + r * 0.55}" r="${r}" fill="url(#earth)"/>`);
		parts.push(
			`<path d="M${w * 0.3},${h * 0.93} q${w * 0.08},-${h * 0.08} ${w * 0.16},-${h * 0.02} t${w * 0.12},${h * 0.03}" stroke="#3f9d4a" stroke-width="${h * 0.04}" fill="none" stroke-linecap="round"/>`,
		);
		return parts.join('');
	}
	if (has(p, 'city', 'tokyo', 'street', 'neon')) {
		let x = 0;
		while (x < w) {
			const bw = w * (0.06 + rand() * 0.08);
			const bh = h * (0.25 + rand() * 0.45);
			parts.push(
				`<rect x="${x.toFixed(1)}" y="${(horizon - bh).toFixed(1)}" width="${bw.toFixed(1)}" height="${bh.toFixed(1)}" fill="#14142e"/>`,
			);
			for (let wy = horizon - bh + 10; wy < horizon - 12; wy += 18)
				for (let wx = x + 6; wx < x + bw - 8; wx += 14)
					if (rand() < 0.45)
						parts.push(
							`<rect x="${wx.toFixed(1)}" y="${wy.toFixed(1)}" width="6" height="9" fill="#ffd36b" opacity="0.8"/>`,
						);
			x += bw + 4;
		}
		parts.push(`<rect x="0" y="${horizon}" width="${w}" height="${h - horizon}" fill="#101018"/>`);
		parts.push(
			`<rect x="0" y="${horizon + 4}" width="${w}" height="${(h - horizon) * 0.5}" fill="#ff2fb4" opacity="0.12"/>`,
		);
		if (has(p, 'rain', 'rainy'))
			for (let i = 0; i < 160; i++) {
				const rx = rand() * w;
				const ry = rand() * h;
				parts.push(
					`<line x1="${rx.toFixed(1)}" y1="${ry.toFixed(1)}" x2="${(rx - 4).toFixed(1)}" y2="${(ry + 16).toFixed(1)}" stroke="#9fc3ff" stroke-width="1" opacity="0.5"/>`,
				);
			}
		return parts.join('');
	}
	if (has(p, 'jungle', 'forest', 'tree')) {
		parts.push(`<rect x="0" y="${horizon}" width="${w}" height="${h - horizon}" fill="#6f9a6a"/>`);
		for (let i = 0; i < 9; i++) {
			const tx = (i + 0.5) * (w / 9) + (rand() - 0.5) * 30;
			const th = h * (0.25 + rand() * 0.2);
			parts.push(
				`<rect x="${(tx - 5).toFixed(1)}" y="${(horizon - th).toFixed(1)}" width="10" height="${th.toFixed(1)}" fill="#6b4f2a" opacity="0.7"/>`,
			);
			parts.push(
				`<ellipse cx="${tx.toFixed(1)}" cy="${(horizon - th).toFixed(1)}" rx="${(w * 0.07).toFixed(1)}" ry="${(h * 0.06).toFixed(1)}" fill="#3f7f4f" opacity="0.75"/>`,
			);
		}
		parts.push(`<rect x="0" y="0" width="${w}" height="${h}" fill="#ffffff" opacity="0.18"/>`);
		return parts.join('');
	}
	if (has(p, 'beach', 'sea', 'ocean', 'island')) {
		parts.push(
			`<rect x="0" y="${horizon * 0.92}" width="${w}" height="${horizon * 0.16}" fill="#2f6fa8"/>`,
		);
		for (let i = 0; i < 6; i++)
			parts.push(
				`<rect x="${(w * (0.1 + rand() * 0.7)).toFixed(1)}" y="${(horizon * (0.95 + i * 0.02)).toFixed(1)}" width="${(w * 0.15).toFixed(1)}" height="2" fill="#ffd9a0" opacity="0.6"/>`,
			);
		parts.push(
			`<path d="M0,${horizon * 1.06} Q${w * 0.5},${horizon * 0.98} ${w},${horizon * 1.08} L${w},${h} L0,${h} Z" fill="#f2cf8f"/>`,
		);
		return parts.join('');
	}
	parts.push(
		`<ellipse cx="${w / 2}" cy="${h * 0.86}" rx="${w * 0.42}" ry="${h * 0.05}" fill="#000" opacity="0.25"/>`,
	);
	return parts.join('');
}

/** A banana (with sunglasses, a helmet or wheels when the prompt asks) centred on (cx, cy), `s` wide. */
function banana(p: string, cx: number, cy: number, s: number): string {
	const body = `<path d="M${-s * 0.5},${-s * 0.12} C${-s * 0.35},${s * 0.32} ${s * 0.35},${s * 0.32} ${s * 0.5},${-s * 0.12} C${s * 0.3},${s * 0.1} ${-s * 0.3},${s * 0.1} ${-s * 0.5},${-s * 0.12} Z" fill="url(#peel)" stroke="#8a6a12" stroke-width="${s * 0.012}"/>`;
	const tips = `<path d="M${s * 0.5},${-s * 0.12} l${s * 0.05},${-s * 0.06}" stroke="#5b4a1a" stroke-width="${s * 0.035}" stroke-linecap="round"/><circle cx="${-s * 0.5}" cy="${-s * 0.12}" r="${s * 0.018}" fill="#3d2f10"/>`;
	const extras: string[] = [];
	if (has(p, 'sunglasses', 'glasses'))
		extras.push(
			`<g fill="#111"><ellipse cx="${-s * 0.12}" cy="${s * 0.08}" rx="${s * 0.07}" ry="${s * 0.045}"/><ellipse cx="${s * 0.06}" cy="${s * 0.08}" rx="${s * 0.07}" ry="${s * 0.045}"/></g><path d="M${-s * 0.05},${s * 0.075} h${s * 0.04}" stroke="#111" stroke-width="${s * 0.015}"/>`,
		);
	if (has(p, 'astronaut'))
		extras.push(
			`<circle cx="${-s * 0.03}" cy="${s * 0.07}" r="${s * 0.14}" fill="#bfe3ff" opacity="0.35" stroke="#e8e8e8" stroke-width="${s * 0.02}"/>`,
		);
	if (has(p, 'car'))
		extras.push(
			`<circle cx="${-s * 0.3}" cy="${s * 0.2}" r="${s * 0.07}" fill="#222" stroke="#999" stroke-width="${s * 0.015}"/><circle cx="${s * 0.3}" cy="${s * 0.2}" r="${s * 0.07}" fill="#222" stroke="#999" stroke-width="${s * 0.015}"/>`,
		);
	const glow = has(p, 'neon') ? ` filter="url(#glow)"` : '';
	return `<g transform="translate(${cx.toFixed(1)},${cy.toFixed(1)}) rotate(-8)"${glow}>${body}${tips}${extras.join('')}</g>`;
}

function escapeXml(text: string): string {
	return text.replace(
		/[<>&"']/g,
		(c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] as string,
	);
}

/** Breaks the caption into at most `lines` lines of about `width` characters. */
function wrap(text: string, width: number, lines: number): string[] {
	const out: string[] = [];
	let line = '';
	for (const word of text.split(/\s+/).filter(Boolean)) {
		if ((line + ' ' + word).trim().length > width && line) {
			out.push(line);
			line = word;
		} else line = (line + ' ' + word).trim();
	}
	if (line) out.push(line);
	if (out.length > lines) {
		out.length = lines;
		out[lines - 1] = `${out[lines - 1].slice(0, width - 1)}…`;
	}
	return out;
}

/** The picture for a prompt, as an SVG document of exactly width × height. */
export function pictureSvg(prompt: string, width: number, height: number, seed = 0): string {
	const p = prompt.toLowerCase();
	const rand = random(seed + prompt.length * 7919);
	const { sky, sun } = palette(p);
	const s = Math.min(width, height) * 0.62;
	const bananaY = has(p, 'space', 'astronaut') ? height * 0.42 : height * 0.55;
	const fontSize = Math.max(9, Math.round(Math.min(width, height) * 0.045));
	const caption = wrap(prompt, Math.max(12, Math.floor(width / (fontSize * 0.55))), 2);
	const captionTop = height - fontSize * (caption.length * 1.3 + 0.8);
	return [
		`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
		'<defs>',
		`<linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="${sky[0]}"/><stop offset="1" stop-color="${sky[1]}"/></linearGradient>`,
		'<linearGradient id="peel" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#fff27a"/><stop offset="0.6" stop-color="#ffd21f"/><stop offset="1" stop-color="#d9a400"/></linearGradient>',
		'<radialGradient id="earth" cx="0.4" cy="0.3" r="0.8"><stop offset="0" stop-color="#4fa3ff"/><stop offset="1" stop-color="#0b3c8a"/></radialGradient>',
		'<filter id="glow"><feGaussianBlur stdDeviation="6" result="b"/><feMerge><feMergeNode in="b"/><feMergeNode in="SourceGraphic"/></feMerge></filter>',
		'</defs>',
		`<rect width="${width}" height="${height}" fill="url(#sky)"/>`,
		sun
			? `<circle cx="${width * 0.78}" cy="${height * 0.3}" r="${Math.min(width, height) * 0.12}" fill="${sun}" opacity="0.9"/>`
			: '',
		scene(p, width, height, rand),
		has(p, 'banana') || !has(p, 'space', 'city', 'jungle', 'beach')
			? banana(p, width * 0.5, bananaY, s)
			: '',
		`<rect x="0" y="${captionTop.toFixed(1)}" width="${width}" height="${(height - captionTop).toFixed(1)}" fill="#000" opacity="0.45"/>`,
		...caption.map(
			(line, i) =>
				`<text x="${fontSize * 0.8}" y="${(captionTop + fontSize * (1.2 + i * 1.3)).toFixed(1)}" font-family="DejaVu Sans, Liberation Sans, Arial, sans-serif" font-size="${fontSize}" fill="#fff">${escapeXml(line)}</text>`,
		),
		'</svg>',
	].join('');
}
