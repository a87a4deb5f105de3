// A static root for browser pages that load the package through an import map: one page
// (copied in as index.html) and the test tabs' recorder (/tab-harness.js) next to symlinks to
// the repository's js/ and dist/, for the reference server's --static-dir (so the page shares
// its origin).
import { copyFile, mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("../..", import.meta.url));

/** @param {string} page the page's path relative to the repository root */
export async function assembleSite(page) {
  const dir = await mkdtemp(join(tmpdir(), "authwasm-site-"));
  await copyFile(join(repo, page), join(dir, "index.html"));
  await copyFile(join(repo, "tests/support/tab-harness.js"), join(dir, "tab-harness.js"));
  await symlink(join(repo, "js"), join(dir, "js"));
  await symlink(join(repo, "dist"), join(dir, "dist"));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
