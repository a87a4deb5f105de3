// The package as users get it: `npm pack`, installed into a scratch project and imported by
// name from Node (>= 20: the wasm is read from disk). Bundlers and browsers: tests/consumers/.
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { before, test } from "node:test";
import { packedTarball, run, scratchApp } from "../consumers/support/scratch-app.js";

let project;

const consumerScript = `
import { createPkcePair, pkceChallenge, decodeJwt, AuthError } from "authwasm";
import { loadVerifier } from "authwasm/verify";
const pair = await createPkcePair();
const challenge = await pkceChallenge(pair.verifier);
let code;
try { await decodeJwt("not.a.jwt"); } catch (e) { code = e instanceof AuthError && e.code; }
const verifier = await loadVerifier();
console.log(JSON.stringify({ verifierLength: pair.verifier.length, matches: challenge === pair.challenge, code,
                             verifies: typeof verifier.verifyIdToken }));
`;

before(async () => {
  project = await scratchApp(null);
  await writeFile(join(project, "main.js"), consumerScript);
});

test("the tarball holds the wrapper, its types, the wasm, README and CHANGELOG, and nothing else", async () => {
  const { files } = await packedTarball();
  for (const file of ["dist/authwasm.wasm", "dist/authwasm.js", "dist/authwasm-dpop.wasm", "dist/authwasm-verify.wasm", "js/index.js",
                      "js/index.d.ts", "README.md", "CHANGELOG.md", "package.json"]) {
    assert.ok(files.includes(file), file);
  }
  // authwasm/dpop's build has no glue of its own: it is dist/authwasm.js's (CMakeLists.txt).
  assert.deepEqual(files.filter((f) => !/^(js\/[\w-]+\.(js|d\.ts)|dist\/authwasm(-verify)?\.(js|wasm)|dist\/authwasm-dpop\.wasm|package\.json|README\.md|CHANGELOG\.md)$/.test(f)), []);
});

test("Node imports the installed package and its verifier by name", async () => {
  const { stdout } = await run("node", ["main.js"], { cwd: project });
  assert.deepEqual(JSON.parse(stdout), { verifierLength: 64, matches: true, code: "invalid_jwt", verifies: "function" });
});
