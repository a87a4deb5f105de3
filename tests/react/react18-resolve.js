// A Node module-resolution hook (module.register) for react18-ssr.test.js: bare `react` and
// `react-dom` imports, js/react.js's included, resolve from the React 18 scratch package
// instead of the repository's React 19.
const react18 = new URL("./react18/package.json", import.meta.url).href;

export async function resolve(specifier, context, nextResolve) {
  if (/^react(-dom)?(\/|$)/.test(specifier)) return nextResolve(specifier, { ...context, parentURL: react18 });
  return nextResolve(specifier, context);
}
