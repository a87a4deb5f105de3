// Scratch apps as a new user makes them: the `npm pack` tarball installed into a fresh
// directory holding one of apps/<toolchain>/ (its package.json and committed package-lock.json,
// which pin the toolchain) and the shared page (../page/). npm's cache is reused, so a rerun
// installs from disk.
import { execFile } from "node:child_process";
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";

export const run = promisify(execFile);
export const repo = fileURLToPath(new URL("../../..", import.meta.url));
const consumers = fileURLToPath(new URL("..", import.meta.url));

const scratchDirs = [];
after(() => Promise.all(scratchDirs.map((dir) => rm(dir, { recursive: true, force: true }))));

async function scratchDir(prefix) {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  scratchDirs.push(dir);
  return dir;
}

let packing;
/** The package as `npm pack` makes it, once per test file: { tarball, files }. */
export function packedTarball() {
  packing ??= (async () => {
    const dir = await scratchDir("authwasm-pack-");
    const { stdout } = await run("npm", ["pack", "--json", "--pack-destination", dir], { cwd: repo });
    const [packed] = JSON.parse(stdout);
    return { tarball: join(dir, packed.filename), files: packed.files.map((f) => f.path).sort() };
  })();
  return packing;
}

/**
 * A fresh app: apps/<toolchain>/ (or an empty package.json for `null`), the page's
 * index.html at its root and its scripts in src/, with the tarball installed.
 * @param {string | null} toolchain
 * @param {{ page?: string[], html?: string }} options page files to copy into src/ (default: the
 *   zero-config page) and the HTML file to copy as index.html
 */
export async function scratchApp(toolchain, { page = ["index.js", "flow.js"], html = "index.html" } = {}) {
  const dir = await scratchDir(`authwasm-app-${toolchain ?? "plain"}-`);
  if (toolchain) await cp(join(consumers, "apps", toolchain), dir, { recursive: true });
  else await writeFile(join(dir, "package.json"), JSON.stringify({ name: "authwasm-consumer-plain", private: true, type: "module" }));
  await cp(join(consumers, "page", html), join(dir, "index.html"));
  for (const file of page) await cp(join(consumers, "page", file), join(dir, "src", file.replace(/^recipe-/, "")));
  const { tarball } = await packedTarball();
  await run("npm", ["install", "--no-save", "--prefer-offline", "--no-audit", "--no-fund", tarball], { cwd: dir });
  return dir;
}

/** Runs a toolchain's command line from the app's node_modules/.bin; resolves to its output. */
export async function runBin(dir, bin, args) {
  const { stdout, stderr } = await run(join(dir, "node_modules", ".bin", bin), args, { cwd: dir });
  return `${stdout}${stderr}`;
}

/**
 * The JS API of a package installed in the app (its own Vite, not the repository's):
 * imported through a module inside the app, so Node resolves it from the app's node_modules.
 */
export async function importFromApp(dir, specifier) {
  const bridge = join(dir, `import-${specifier.replace(/\W/g, "_")}.mjs`);
  await writeFile(bridge, `export * from ${JSON.stringify(specifier)};\n`);
  return import(pathToFileURL(bridge).href);
}
