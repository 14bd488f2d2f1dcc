const path = require('path');
const { task, src, dest, parallel } = require('gulp');

// tsc copies no assets: node icons and codex files, and credential icons, go to dist/ here.
function copyNodeAssets() {
	return src(path.resolve('nodes', '**', '*.{png,svg,json}'), { encoding: false }).pipe(
		dest(path.resolve('dist', 'nodes')),
	);
}

function copyCredentialAssets() {
	return src(path.resolve('credentials', '**', '*.{png,svg}'), { encoding: false }).pipe(
		dest(path.resolve('dist', 'credentials')),
	);
}

task('build:icons', parallel(copyNodeAssets, copyCredentialAssets));
