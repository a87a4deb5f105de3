// Where a wasm module's bytes come from: its functions (named by a --profiling-funcs link, whose
// code is the same as the release link's) grouped by origin, plus the data section.
// Used by bench/size.mjs; knows nothing about Vite or the bundle.
import { gzipSync } from "node:zlib";

const SECTION = { import: 2, code: 10, data: 11, custom: 0 };

/** Function bodies with their names, and the data section, of a wasm binary. */
export function wasmContents(bytes) {
  let at = 8; // magic + version
  const leb = () => {
    let value = 0, shift = 0, byte;
    do {
      byte = bytes[at++];
      value |= (byte & 0x7f) << shift;
      shift += 7;
    } while (byte & 0x80);
    return value >>> 0;
  };
  const name = () => {
    const length = leb();
    at += length;
    return bytes.subarray(at - length, at).toString();
  };
  let importedFunctions = 0;
  const bodies = [];
  const names = new Map();
  let data = Buffer.alloc(0);
  while (at < bytes.length) {
    const id = bytes[at++];
    const size = leb();
    const end = at + size;
    if (id === SECTION.import) {
      for (let count = leb(); count > 0; count--) {
        name(), name();
        const kind = bytes[at++];
        if (kind === 0) leb(), importedFunctions++;                        // function: type index
        else if (kind === 1) at++, bytes[at++] & 1 ? (leb(), leb()) : leb(); // table: reftype, limits
        else if (kind === 2) bytes[at++] & 1 ? (leb(), leb()) : leb();      // memory: limits
        else at += 2;                                                        // global: type, mutability
      }
    } else if (id === SECTION.code) {
      for (let count = leb(); count > 0; count--) {
        const length = leb();
        bodies.push(bytes.subarray(at, at + length));
        at += length;
      }
    } else if (id === SECTION.data) {
      data = bytes.subarray(at, end);
    } else if (id === SECTION.custom && name() === "name") {
      while (at < end) {
        const subsection = bytes[at++];
        const subsectionEnd = leb() + at;
        if (subsection === 1) {
          for (let count = leb(); count > 0; count--) {
            const index = leb();
            names.set(index, name());
          }
        }
        at = subsectionEnd;
      }
    }
    at = end;
  }
  const functions = bodies.map((body, i) => ({ name: names.get(i + importedFunctions) ?? `#${i}`, body }));
  return { functions, data };
}

// The origins the issue asks for (issue 13), from demangled names. Order matters: the core's own
// functions take nlohmann and libc++ templates inlined into them, and count as policy.
const ORIGINS = [
  ["policy", (n) => /^(authwasm::|\(anonymous namespace\)::|byn\$mgfn-shared\$authwasm::)/.test(n)],
  ["nlohmann", (n) => n.includes("nlohmann::")],
  ["Embind", (n) => /embind|emscripten::|__getTypeName/.test(n)],
  ["libc++abi", (n) => /__cxxabiv1|__cxa_|type_info|^is_equal\(/.test(n)],
  ["libc++", (n) => n.includes("std::")],
  ["OpenSSL", (n) => /^(sha256_|SHA256|OPENSSL_|CRYPTO_)/.test(n)],
  ["libc (musl, emmalloc, bindings/)", () => true],
];

export const originOf = (name) => ORIGINS.find(([, test]) => test(name))[0];

const gzip = (bytes) => gzipSync(bytes, { level: 9 }).length;

/**
 * Per origin: raw bytes of code, the gzip of its bodies taken together (parts' gzip does not add
 * up to the whole's exactly) and its largest functions.
 */
export function originBreakdown(bytes, largest = 3) {
  const { functions, data } = wasmContents(bytes);
  const groups = new Map(ORIGINS.map(([origin]) => [origin, []]));
  for (const f of functions) groups.get(originOf(f.name)).push(f);
  const rows = [];
  for (const [origin, members] of groups) {
    if (!members.length) continue;
    members.sort((a, b) => b.body.length - a.body.length);
    rows.push({ origin, functions: members.length, raw: members.reduce((t, f) => t + f.body.length, 0),
                gzip: gzip(Buffer.concat(members.map((f) => f.body))),
                largest: members.slice(0, largest).map((f) => ({ name: f.name, raw: f.body.length })) });
  }
  rows.push({ origin: "data section (strings, tables)", functions: 0, raw: data.length, gzip: gzip(data), largest: [] });
  return rows;
}

/** A demangled name without template arguments and parameters: "authwasm::Session::create". */
export function shortName(name) {
  let out = "", depth = 0;
  const plain = name.replace(/^byn\$mgfn-shared\$/, "").replace(/\(anonymous namespace\)::|json_abi_v3_11_2::|__2::/g, "");
  for (const c of plain) {
    if (c === "<" || c === "(") depth++;
    else if (c === ">" || c === ")") depth--;
    else if (depth === 0) out += c;
  }
  return out.replace(/\s*const$/, "").trim() || name;
}
