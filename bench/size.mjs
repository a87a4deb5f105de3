// What an SPA ships: a Vite production build of a page that imports authwasm (every export,
// so nothing is tree-shaken away), measured raw, gzip -9 and brotli; side by side with the
// same build of peer libraries. Prints figures; asserts nothing.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { build } from "vite";

const repo = fileURLToPath(new URL("..", import.meta.url));
const BUDGET_GZIP = 30 * 1024;
const VERIFIER_BUDGET_GZIP = 25 * 1024; // issue 13: signatures for at most 25 KB over the default build

const entries = {
  "authwasm (default build)": `import * as a from "authwasm"; window.x = a;`,
  // The opt-in ID-token signature verifier ("authwasm/verify", OpenSSL BN arithmetic, no EVP):
  // only apps that import it pay for it. Measured on top of the default build.
  "authwasm + authwasm/verify": `import * as a from "authwasm"; import * as v from "authwasm/verify"; window.x = [a, v];`,
  "oidc-client-ts": `import * as a from "oidc-client-ts"; window.x = a;`,
  "@auth0/auth0-spa-js": `import * as a from "@auth0/auth0-spa-js"; window.x = a;`,
};

const gzip = (b) => gzipSync(b, { level: 9 }).length;
const brotli = (b) => brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
const kb = (n) => `${(n / 1024).toFixed(1)} KB`.padStart(9);

async function measure(name, source) {
  await mkdir(join(repo, "build"), { recursive: true });
  const dir = await mkdtemp(join(repo, "build", "size-")); // inside the repo: resolves node_modules
  try {
    await writeFile(join(dir, "index.html"), '<script type="module" src="/main.js"></script>');
    await writeFile(join(dir, "main.js"), source);
    await build({ root: dir, logLevel: "silent", resolve: { alias: [{ find: /^authwasm\/verify$/, replacement: join(repo, "js/verify.js") },
                                         { find: /^authwasm$/, replacement: join(repo, "js/index.js") }] },
                  build: { outDir: "out", modulePreload: false } });
    const files = [];
    for (const f of await readdir(join(dir, "out", "assets"))) {
      const bytes = await readFile(join(dir, "out", "assets", f));
      files.push({ file: f.replace(/-[\w-]{8}\./, "."), raw: bytes.length, gzip: gzip(bytes), brotli: brotli(bytes) });
    }
    return files;
  } catch (e) {
    return [{ file: `not measured: ${e.message.split("\n")[0]}`, raw: 0, gzip: 0, brotli: 0 }];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

console.log(`${"bundle".padEnd(44)}${"raw".padStart(9)}${"gzip -9".padStart(9)}${"brotli".padStart(9)}`);
const totals = {};
for (const [name, source] of Object.entries(entries)) {
  const files = await measure(name, source);
  const total = files.reduce((t, f) => ({ raw: t.raw + f.raw, gzip: t.gzip + f.gzip, brotli: t.brotli + f.brotli }),
                             { raw: 0, gzip: 0, brotli: 0 });
  for (const f of files) console.log(`  ${f.file.padEnd(42)}${kb(f.raw)}${kb(f.gzip)}${kb(f.brotli)}`);
  const verdict = name === "authwasm (default build)" ? `   budget ${kb(BUDGET_GZIP).trim()} gzip: ${total.gzip <= BUDGET_GZIP ? "within" : "OVER"}` : "";
  console.log(`${name.padEnd(44)}${kb(total.raw)}${kb(total.gzip)}${kb(total.brotli)}${verdict}`);
  totals[name] = total;
}
const [base, withVerifier] = [totals["authwasm (default build)"], totals["authwasm + authwasm/verify"]];
if (base?.gzip && withVerifier?.gzip) {
  const extra = { raw: withVerifier.raw - base.raw, gzip: withVerifier.gzip - base.gzip, brotli: withVerifier.brotli - base.brotli };
  const verdict = `   budget ${kb(VERIFIER_BUDGET_GZIP).trim()} gzip: ${extra.gzip <= VERIFIER_BUDGET_GZIP ? "within" : "OVER"}`;
  console.log(`${"authwasm/verify over the default build".padEnd(44)}${kb(extra.raw)}${kb(extra.gzip)}${kb(extra.brotli)}${verdict}`);
}
