// Schema/reader agreement check, driven by tests/schema/run.sh.
// usage: node check.js CRASHPORT SOURCE_DIR AJV WORK_DIR
// Every report (fixtures, corpus) is validated with ajv-cli against
// schema/kscrash-report.schema.json and with `crashport validate --json`. One check per report:
// it fails when the schema rejects a report the reader parsed without a warning (equivalently:
// every report the reader parses cleanly must be accepted). The mutated reports listed in
// fixtures/schema/MUTATIONS must be rejected by the schema AND draw the listed reader warning.
'use strict';
const fs = require('fs');
const path = require('path');
const cp = require('child_process');

const [crashport, src, ajv, work] = process.argv.slice(2);
const schemaFile = path.join(src, 'schema', 'kscrash-report.schema.json');
const WARN = new Set(['truncated', 'type', 'duplicate', 'utf8', 'number', 'salvaged', 'value']);
let checks = 0, failed = 0;
const notes = [];

function check(ok, what) {
	checks++;
	if (!ok) {
		failed++;
		console.log('FAIL ' + what);
	}
}

// Split a file into its top-level JSON texts (NDJSON or concatenated). A text that is not
// complete JSON (truncated, trailing comma) comes back with ok = false.
function split(buf) {
	let s = buf.toString('utf8');
	if (s.charCodeAt(0) === 0xfeff)
		s = s.slice(1);
	const out = [];
	let i = 0;
	const n = s.length;
	const ws = c => c === ' ' || c === '\n' || c === '\r' || c === '\t';
	while (i < n) {
		while (i < n && ws(s[i]))
			i++;
		if (i >= n)
			break;
		const start = i;
		if (s[i] === '{' || s[i] === '[') {
			let depth = 0, str = false;
			for (; i < n; i++) {
				const c = s[i];
				if (str) {
					if (c === '\\')
						i++;
					else if (c === '"')
						str = false;
				} else if (c === '"') {
					str = true;
				} else if (c === '{' || c === '[') {
					depth++;
				} else if (c === '}' || c === ']') {
					if (--depth === 0) {
						i++;
						break;
					}
				}
			}
		} else {
			while (i < n && !ws(s[i]) && s[i] !== '{' && s[i] !== '[')
				i++;
		}
		const text = s.slice(start, i);
		let ok = true;
		try {
			JSON.parse(text);
		} catch (e) {
			ok = false;
		}
		out.push({text, ok});
	}
	return out;
}

// Reader verdicts by report index (1-based): {warn: [codes+paths], clean}. failedAt: the file
// failed (syntax error, not a report) after this many reports.
function reader(file) {
	const r = cp.spawnSync(crashport, ['validate', '--json', file], {encoding: 'utf8', maxBuffer: 1 << 28});
	check(r.status === 0 || r.status === 1, `${file}: crashport validate exited ${r.status} ${r.signal || ''}`);
	if (r.status !== 0 && r.status !== 1)
		return {reports: [], fileError: 'crashport failed'};
	const reports = [];
	let fileError = null;
	for (const line of r.stdout.split('\n')) {
		if (!line.trim())
			continue;
		const d = JSON.parse(line);
		if (d.index === null) {
			fileError = d.findings.map(f => f.code).join(',');
			continue;
		}
		const warns = d.findings.filter(f => WARN.has(f.code)).map(f => ({code: f.code, path: f.path}));
		reports[d.index - 1] = {warns};
	}
	check(reports.length > 0 || fileError !== null, `${file}: crashport validate printed no verdict`);
	return {reports, fileError};
}

let seq = 0;
const items = []; // {label, chunkFile|null, reader verdict, expect}

function addFile(file, label, expect) {
	const chunks = split(fs.readFileSync(file));
	const rd = reader(file);
	if (expect && chunks.length !== 1)
		check(false, `${label}: a mutation file must hold exactly one report`);
	chunks.forEach((c, k) => {
		let chunkFile = null;
		if (c.ok) {
			chunkFile = path.join(work, `r${++seq}.json`);
			fs.writeFileSync(chunkFile, c.text);
		}
		items.push({label: chunks.length > 1 ? `${label} #${k + 1}` : label, chunkFile,
			    rep: rd.reports[k], fileError: rd.fileError, expect});
	});
	if (!expect && !rd.fileError && rd.reports.length !== chunks.length)
		notes.push(`${label}: reader found ${rd.reports.length} reports, the splitter ${chunks.length}`);
}

function listDir(dir, re) {
	try {
		return fs.readdirSync(dir).filter(f => re.test(f)).sort().map(f => path.join(dir, f));
	} catch (e) {
		return null;
	}
}

const fx = path.join(src, 'fixtures');
for (const f of listDir(path.join(fx, 'kscrash'), /\.(json|ndjson)$/) || [])
	addFile(f, 'fixtures/kscrash/' + path.basename(f));
for (const f of listDir(path.join(fx, 'invalid'), /\.json$/) || []) {
	const chunks = split(fs.readFileSync(f));
	if (chunks.length && chunks.every(c => c.ok)) // broken JSON is the reader's business alone
		addFile(f, 'fixtures/invalid/' + path.basename(f));
}
const mutations = {};
const manifest = path.join(fx, 'schema', 'MUTATIONS');
for (const line of fs.readFileSync(manifest, 'utf8').split('\n')) {
	const m = line.match(/^([^#\s]\S*)\s+(\S+)\s+(\S+)(?:\s+(xfail))?/);
	if (m)
		mutations[m[1]] = {code: m[2], path: m[3], xfail: !!m[4]};
}
for (const f of listDir(path.join(fx, 'schema'), /\.json$/) || []) {
	const b = path.basename(f);
	addFile(f, 'fixtures/schema/' + b, mutations[b] || 'accept');
	delete mutations[b];
}
for (const b of Object.keys(mutations))
	check(false, `fixtures/schema/MUTATIONS names ${b}, which does not exist`);

const corpus = path.join(src, '..', 'shared', 'corpus');
const ks = listDir(path.join(corpus, 'kscrash'), /\.json$/);
const apple = listDir(path.join(corpus, 'apple'), /\.kscrash\.json$/);
if (!ks && !apple)
	console.log('corpus: not found, skipped');
for (const f of ks || [])
	addFile(f, 'corpus/kscrash/' + path.basename(f));
for (const f of apple || [])
	addFile(f, 'corpus/apple/' + path.basename(f));

// One ajv-cli run over every JSON text.
const verdict = new Map();
const files = items.filter(it => it.chunkFile).map(it => it.chunkFile);
const errorsOf = new Map();
for (let i = 0; i < files.length; i += 200) {
	const part = files.slice(i, i + 200);
	const args = ['validate', '--spec=draft2020', '-c', 'ajv-formats', '--errors=text', '-s', schemaFile];
	for (const f of part)
		args.push('-d', f);
	const r = cp.spawnSync(ajv, args, {encoding: 'utf8', maxBuffer: 1 << 28});
	let last = null;
	for (const line of (r.stdout + '\n' + r.stderr).split('\n')) {
		const m = line.match(/^(\S+) (valid|invalid)$/);
		if (m) {
			verdict.set(m[1], m[2] === 'valid');
			last = m[1];
		} else if (last && line.trim() && !verdict.get(last)) {
			errorsOf.set(last, (errorsOf.get(last) || '') + line.trim());
			last = null;
		}
	}
}

for (const it of items) {
	const schemaOk = it.chunkFile ? verdict.get(it.chunkFile) : false;
	if (it.chunkFile && schemaOk === undefined) {
		check(false, `${it.label}: ajv gave no verdict`);
		continue;
	}
	const readerRejects = !it.rep;
	const warns = it.rep ? it.rep.warns : [];
	const why = it.chunkFile ? (errorsOf.get(it.chunkFile) || '') : 'not JSON';
	const readerSays = readerRejects ? `rejected (${it.fileError || 'no report'})`
		: warns.length ? 'warned ' + [...new Set(warns.map(w => w.code))].join(',') : 'clean';
	if (it.expect && it.expect !== 'accept') {
		check(!schemaOk, `${it.label}: schema accepts a mutated report`);
		const hit = warns.some(w => w.code === it.expect.code && w.path === it.expect.path);
		if (it.expect.xfail) {
			// A known reader gap: reported, not failed, until the reader is fixed.
			check(!hit, `${it.label}: XPASS, the reader now warns; drop "xfail" in MUTATIONS`);
			if (!hit)
				notes.push(`${it.label}: XFAIL, known disagreement: schema rejects, reader ${readerSays}`);
			continue;
		}
		check(hit, `${it.label}: reader did not warn ${it.expect.code} at ${it.expect.path} (${readerSays})`);
		continue;
	}
	if (it.expect === 'accept') {
		check(schemaOk && !readerRejects && !warns.length,
		      `${it.label}: expected clean and accepted; schema ${schemaOk ? 'accepts' : 'rejects: ' + why}, reader ${readerSays}`);
		continue;
	}
	// Agreement: schema rejects => reader warns or rejects.
	check(schemaOk || readerRejects || warns.length > 0,
	      `${it.label}: schema rejects a report the reader parses cleanly: ${why}`);
	if (schemaOk && (readerRejects || warns.length))
		notes.push(`${it.label}: schema accepts, reader ${readerSays}`);
	else if (!schemaOk)
		notes.push(`${it.label}: schema rejects (${why.slice(0, 160)}), reader ${readerSays}`);
}

// The schema names every key of the reader's field tables (src/model/schema.c), and types nothing
// the tables do not know.
const table = new Set();
for (const m of fs.readFileSync(path.join(src, 'src', 'model', 'schema.c'), 'utf8').matchAll(/(?:KEY|FLD|SUB|NEST|ALIAS|IMG|FRM|STK|THR|SYS|SYS_STATS|SYS_MEM|STATS|APPMEM|NSX|ERR|ERR_SUB|ERR_MACH|ERR_SIG|BODY|BODY_SUB|BODY_INFO)\((?:[A-Za-z_]+,\s*)?"([^"]+)"/g))
	table.add(m[1]);
const named = new Set();
(function walk(v) {
	if (Array.isArray(v))
		return v.forEach(walk);
	if (v && typeof v === 'object') {
		if (v.properties)
			Object.keys(v.properties).forEach(k => named.add(k));
		Object.values(v).forEach(walk);
	}
})(JSON.parse(fs.readFileSync(schemaFile, 'utf8')));
for (const k of [...table].sort())
	check(named.has(k), `schema does not type the reader's key "${k}"`);
for (const k of [...named].sort())
	check(table.has(k), `schema types "${k}", which the reader's tables do not know`);

for (const n of notes)
	console.log('note: ' + n);
const count = re => items.filter(it => re.test(it.label)).length;
console.log(`reports: ${count(/^fixtures\/(kscrash|invalid)\//)} fixture, ${count(/^corpus\//)} corpus, ` +
	    `${count(/^fixtures\/schema\//)} in fixtures/schema; keys in the reader's tables: ${table.size}`);
console.log(`schema: ${checks} checks, ${failed} failed`);
process.exit(failed ? 1 : 0);
