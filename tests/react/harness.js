// Shared by the tests/react suites: which React each version means, the test app (app/) built
// by Vite against that React, and the real reference server serving it (same origin as
// /authorize, /token and /auth, as an app's own server would).
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startServer } from "../server/server-process.js";

const here = fileURLToPath(new URL(".", import.meta.url));
const repo = join(here, "..", "..");

/**
 * React 19 is the repository's own devDependency; React 18 lives in the scratch package
 * tests/react/react18 (its lockfile committed), installed on first use from the npm cache.
 */
export const reactVersions = {
  18: { exact: "18.3.1", modules: join(here, "react18", "node_modules") },
  19: { exact: "19.3.1", modules: join(repo, "node_modules") },
};

const installedVersion = (modules) => {
  const manifest = join(modules, "react", "package.json");
  return existsSync(manifest) ? JSON.parse(readFileSync(manifest, "utf8")).version : null;
};

/** The node_modules directory holding React `major`; installs the scratch package if needed. */
export function ensureReact(major) {
  const { exact, modules } = reactVersions[major];
  if (installedVersion(modules) !== exact && major === 18) {
    execFileSync("npm", ["ci", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts"],
                 { cwd: join(here, "react18"), stdio: ["ignore", "ignore", "inherit"] });
  }
  const found = installedVersion(modules);
  if (found !== exact) throw new Error(`React ${exact} expected in ${modules}, found ${found}`);
  return modules;
}

/**
 * Builds app/ against React `major` into a fresh directory: a development build (StrictMode
 * double-invokes effects only there), unminified, react and react-dom aliased to that
 * version's copies so js/react.js and the app share one React.
 */
export async function buildApp(major) {
  const modules = ensureReact(major);
  const dir = await mkdtemp(join(tmpdir(), `authwasm-react${major}-app-`));
  const { build } = await import("vite");
  await build({
    configFile: false,
    root: join(here, "app"),
    mode: "development",
    logLevel: "error",
    define: { "process.env.NODE_ENV": JSON.stringify("development") },
    resolve: {
      alias: { react: join(modules, "react"), "react-dom": join(modules, "react-dom") },
    },
    build: { outDir: dir, emptyOutDir: true, target: "es2022", minify: false },
  });
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** The reference server in demo mode serving `distDir`, with GET /debug/stats. */
export function startAppServer(distDir) {
  return startServer({ args: ["--demo", "--debug-stats", "--static-dir", distDir] });
}
