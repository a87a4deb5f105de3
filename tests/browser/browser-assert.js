// The subset of node:assert/strict that tests/shared/*.cases.js use, for the browser.
const fail = (message) => { throw Object.assign(new Error(message), { name: "AssertionError" }); };
const show = (v) => { try { return JSON.stringify(v); } catch { return String(v); } };

function deepEqual(a, b) {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || !a || !b) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a), kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => deepEqual(a[k], b[k]));
}

export const assert = {
  ok: (v, m) => v || fail(m ?? `expected truthy, got ${show(v)}`),
  equal: (a, b, m) => Object.is(a, b) || fail(m ?? `${show(a)} !== ${show(b)}`),
  notEqual: (a, b, m) => !Object.is(a, b) || fail(m ?? `${show(a)} === ${show(b)}`),
  deepEqual: (a, b, m) => deepEqual(a, b) || fail(m ?? `${show(a)} not deep-equal ${show(b)}`),
  match: (s, re, m) => re.test(s) || fail(m ?? `${show(s)} does not match ${re}`),
  async rejects(promise, check) {
    try { await (typeof promise === "function" ? promise() : promise); }
    catch (e) { if (check && check(e) !== true) fail(`rejection failed the check: ${e}`); return; }
    fail("expected a rejection");
  },
};
