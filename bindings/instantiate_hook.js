// --pre-js of the default module (wasm build only). -sMINIMAL_RUNTIME's glue instantiates the
// wasm itself with WebAssembly.instantiate(Module.wasm, imports) and has no instantiateWasm or
// onAbort hook. This shadows WebAssembly inside the glue's factory (its only use of it) so
// that the glue hands its imports to Module.instantiateWasm(imports, receiveInstance) as the
// full runtime does, and js/wasm-loader.js loads both modules the same way: it fetches,
// compiles and instantiates, and a start-up that throws rejects its init() (receiveInstance
// runs the glue's start-up synchronously, inside the loader's promise chain).
// eslint-disable-next-line no-unused-vars, no-shadow
var WebAssembly = {
  instantiate: (_, imports) => ({
    then: (start) => Module["instantiateWasm"](imports, (instance) => start({ instance })),
  }),
};
