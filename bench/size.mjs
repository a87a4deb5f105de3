// What an SPA ships: a Vite production build of a page that imports authwasm (every export,
// so nothing is tree-shaken away), measured raw, gzip -9 and brotli; side by side with the
// same build of peer libraries; then where the default bundle's bytes come from (policy,
// nlohmann, libc++, Embind, glue, wrapper), from a --profiling-funcs build of the same code.
// Prints figures and asserts nothing, except with --check (npm test): only the default bundle,
// failing when its gzip size is more than 1 KB over bench/size-baseline.json. Lower the
// baseline with a saving; raise it only deliberately, in a commit of its own.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { build } from "vite";
import { originBreakdown, shortName } from "./wasm-origins.mjs";

const repo = fileURLToPath(new URL("..", import.meta.url));
const BUDGET_GZIP = 40 * 1024; // issue 13: the default bundle at most 40 KB gzip
const BASELINE_FILE = join(repo, "bench", "size-baseline.json");
const CHECK_SLACK_GZIP = 1024;
const VERIFIER_BUDGET_GZIP = 25 * 1024; // issue 13: signatures for at most 25 KB over the default build

const entries = {
  "authwasm (default build)": `import * as a from "authwasm"; window.x = a;`,
  // The opt-in ID-token signature verifier ("authwasm/verify", OpenSSL BN arithmetic, no EVP):
  // only apps that import it pay for it. Measured on top of the default build.
  "authwasm + authwasm/verify": `import * as a from "authwasm"; import * as v from "authwasm/verify"; window.x = [a, v];`,
  // DPoP ("authwasm/dpop"): its own build of the whole core, loaded instead of the default one.
  // Counted as a DPoP app downloads it: the JS and authwasm-dpop.wasm (the default wasm is
  // emitted too, but never fetched: NOT_FETCHED).
  "authwasm + authwasm/dpop": `import * as a from "authwasm"; import * as d from "authwasm/dpop"; window.x = [a, d];`,
  "oidc-client-ts": `import * as a from "oidc-client-ts"; window.x = a;`,
  "@auth0/auth0-spa-js": `import * as a from "@auth0/auth0-spa-js"; window.x = a;`,
};

const NOT_FETCHED = { "authwasm + authwasm/dpop": /^authwasm\.wasm$/ };
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
                                         { find: /^authwasm\/dpop$/, replacement: join(repo, "js/dpop.js") },
                                         { find: /^authwasm$/, replacement: join(repo, "js/index.js") }] },
                  build: { outDir: "out", modulePreload: false } });
    const files = [];
    for (const f of await readdir(join(dir, "out", "assets"))) {
      const bytes = await readFile(join(dir, "out", "assets", f));
      const file = f.replace(/-[\w-]{8}\./, ".");
      if (NOT_FETCHED[name]?.test(file)) continue;
      files.push({ file, raw: bytes.length, gzip: gzip(bytes), brotli: brotli(bytes) });
    }
    return files;
  } catch (e) {
    return [{ file: `not measured: ${e.message.split("\n")[0]}`, raw: 0, gzip: 0, brotli: 0 }];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const DEFAULT = "authwasm (default build)";
const sum = (files) => files.reduce((t, f) => ({ raw: t.raw + f.raw, gzip: t.gzip + f.gzip, brotli: t.brotli + f.brotli }),
                                    { raw: 0, gzip: 0, brotli: 0 });

if (process.argv.includes("--check")) {
  const baseline = JSON.parse(await readFile(BASELINE_FILE, "utf8"));
  const files = await measure(DEFAULT, entries[DEFAULT]);
  const total = sum(files);
  const limit = baseline.defaultBundleGzip + CHECK_SLACK_GZIP;
  for (const f of files) console.log(`  ${f.file.padEnd(42)}${kb(f.raw)}${kb(f.gzip)}`);
  console.log(`${DEFAULT}: ${total.gzip} B gzip; baseline ${baseline.defaultBundleGzip} B (+${CHECK_SLACK_GZIP} B allowed)`);
  if (!total.gzip || total.gzip > limit) {
    console.error(`size check FAILED: the default bundle grew ${total.gzip - baseline.defaultBundleGzip} B gzip over ` +
                  "bench/size-baseline.json; shrink it, or raise the baseline deliberately in a commit of its own");
    process.exit(1);
  }
  process.exit(0);
}

console.log(`${"bundle".padEnd(44)}${"raw".padStart(9)}${"gzip -9".padStart(9)}${"brotli".padStart(9)}`);
const totals = {};
for (const [name, source] of Object.entries(entries)) {
  const files = await measure(name, source);
  const total = sum(files);
  for (const f of files) console.log(`  ${f.file.padEnd(42)}${kb(f.raw)}${kb(f.gzip)}${kb(f.brotli)}`);
  const verdict = name === DEFAULT ? `   budget ${kb(BUDGET_GZIP).trim()} gzip: ${total.gzip <= BUDGET_GZIP ? "within" : "OVER"}` : "";
  console.log(`${name.padEnd(44)}${kb(total.raw)}${kb(total.gzip)}${kb(total.brotli)}${verdict}`);
  totals[name] = total;
}
const [base, withVerifier] = [totals[DEFAULT], totals["authwasm + authwasm/verify"]];
if (base?.gzip && withVerifier?.gzip) {
  const extra = { raw: withVerifier.raw - base.raw, gzip: withVerifier.gzip - base.gzip, brotli: withVerifier.brotli - base.brotli };
  const verdict = `   budget ${kb(VERIFIER_BUDGET_GZIP).trim()} gzip: ${extra.gzip <= VERIFIER_BUDGET_GZIP ? "within" : "OVER"}`;
  console.log(`${"authwasm/verify over the default build".padEnd(44)}${kb(extra.raw)}${kb(extra.gzip)}${kb(extra.brotli)}${verdict}`);
}

// ------------------------------------------------------------------ where the default bundle's bytes come from
// The wasm by origin from a --profiling-funcs link (build/wasm-size-profile, never dist/): the
// same code, with function names. The glue is Emscripten's dist/authwasm.js as shipped; the
// wrapper (js/) is the bundle's JS without it.
function profilingBuild() {
  const dir = join(repo, "build", "wasm-size-profile");
  const env = { ...process.env, NODE_PATH: `/usr/share/nodejs${process.env.NODE_PATH ? `:${process.env.NODE_PATH}` : ""}`,
                EMSDK_PYTHON: "/usr/bin/python3" };
  const run = (cmd, args) => execFileSync(cmd, args, { cwd: repo, env, stdio: ["ignore", "ignore", "inherit"] });
  if (!existsSync(join(dir, "CMakeCache.txt"))) {
    run("emcmake", ["cmake", "-S", ".", "-B", dir, "-DCMAKE_BUILD_TYPE=MinSizeRel", "-DAUTHWASM_PROFILING_FUNCS=ON",
                    `-DAUTHWASM_DIST=${join(dir, "dist")}`]);
  }
  run("flock", [join(dir, "CMakeCache.txt"), "cmake", "--build", dir, "-j2", "--target", "authwasm"]);
  return join(dir, "dist", "authwasm.wasm");
}

let wasmPath;
try {
  wasmPath = profilingBuild();
} catch (e) {
  console.log(`\nno breakdown: the --profiling-funcs build failed (${e.message.split("\n")[0]})`);
}
if (wasmPath && base?.gzip) {
  console.log(`\n${"default bundle by origin".padEnd(44)}${"raw".padStart(9)}${"gzip -9".padStart(9)}  functions, largest`);
  for (const row of originBreakdown(await readFile(wasmPath))) {
    const largest = row.largest.map((f) => `${shortName(f.name)} ${f.raw}`).join(", ");
    console.log(`  wasm: ${row.origin.padEnd(36)}${kb(row.raw)}${kb(row.gzip)}  ${row.functions ? `${row.functions}, ${largest}` : ""}`);
  }
  const glue = await readFile(join(repo, "dist", "authwasm.js"));
  const bundleJs = (await measure(DEFAULT, entries[DEFAULT])).filter((f) => f.file.endsWith(".js"));
  const js = sum(bundleJs);
  console.log(`  ${"JS: Emscripten glue (dist/authwasm.js)".padEnd(42)}${kb(glue.length)}${kb(gzip(glue))}`);
  console.log(`  ${"JS: wrapper (js/), bundle JS less the glue".padEnd(42)}${kb(js.raw - glue.length)}${kb(js.gzip - gzip(glue))}`);
  console.log("  (each origin gzipped alone: the parts add up to a little more than the whole)");
}
