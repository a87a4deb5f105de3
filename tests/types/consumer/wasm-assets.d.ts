// What a TypeScript app using the esbuild or Rollup recipe declares for its file imports.
declare module "*.wasm" {
  const url: string;
  export default url;
}
