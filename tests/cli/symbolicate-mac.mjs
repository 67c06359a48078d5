// Runs @electron/symbolicate-mac's own symbolicate() on a .crash text, offline: its symbol
// cache gets crashport's .sym files (under the lowercase id the text's UUID gives) and fetch
// answers 404, so it never downloads anything.
// usage: node symbolicate-mac.mjs PACKAGE_DIR CRASH [SYM...]
import fs from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'

const [pkg, crash, ...syms] = process.argv.slice(2)
globalThis.fetch = async () => ({ ok: false, status: 404 })
const cache = path.join(pkg, 'cache', 'breakpad_symbols')
for (const sym of syms) {
  // MODULE mac x86_64 4C4C44D755553144A1ED9D98060FB3350 Demo
  const [, , , id, name] = fs.readFileSync(sym, 'utf8').split('\n', 1)[0].split(' ')
  const dir = path.join(cache, name, id.toLowerCase())
  fs.mkdirSync(dir, { recursive: true })
  fs.copyFileSync(sym, path.join(dir, `${name}.sym`))
}
const { symbolicate } = await import(pathToFileURL(path.join(pkg, 'index.js')))
process.stdout.write(await symbolicate({ file: crash, force: false }))
