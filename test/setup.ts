// ganache's bundled asm.js (an optional fast path) fails to link on recent V8 and
// falls back to plain JS; V8 reports that as a process warning. Keep it out of the
// test output; every other warning still prints.
const original = process.listeners('warning');
process.removeAllListeners('warning');
process.on('warning', (warning) => {
	if (/Linking failure in asm\.js/.test(warning.message)) return;
	for (const listener of original) listener(warning);
});
