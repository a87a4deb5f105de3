// --js-library of the default module (wasm build only), in place of Emscripten's embind.js and
// emval.js: the JS half of the four Embind registrations the module makes (its three functions,
// bindings/authwasm_bindings.cpp, and the three types they use, bindings/embind_used_types.cpp),
// and nothing else. The C++ side is Embind's own (bind.h): the same invokers and the same wire
// formats (a number as itself; a std::string as a malloc'ed {u32 length, UTF-8 bytes}, freed by
// whoever receives it). embind.js's general machinery (overloads, classes, dependency
// resolution, its error classes, its own UTF-8 coder) was ~2 KB gzip of glue this needs none of.
// A std::string is converted; any other value passes as the wasm ABI takes it (a number). A type
// registered with another _embind_register_<kind> fails to link (it is not here): give it a case.
mergeInto(LibraryManager.library, {
  // Registered type id -> whether its values are strings (std::string), else numbers or void.
  $embindStringTypes: {},

  _embind_register_void: function() {},
  _embind_register_float: function() {},
  _embind_register_std_string__deps: ['$embindStringTypes'],
  _embind_register_std_string: function(rawType) {
    embindStringTypes[rawType] = 1;
  },

  // Module[name](...args): args[i] goes to the C++ function's parameter i; types are looked up
  // at call time, so registration order does not matter.
  _embind_register_function__deps: ['$embindStringTypes', '$getWasmTableEntry'],
  _embind_register_function: function(name, argCount, rawArgTypesAddr, signature, rawInvoker, fn) {
    var types = HEAPU32.slice(rawArgTypesAddr >> 2, (rawArgTypesAddr >> 2) + argCount);
    var invoker = getWasmTableEntry(rawInvoker);
    Module[UTF8ToString(name)] = function() {
      var strings = [];
      var wireArgs = [fn];
      for (var i = 1; i < argCount; i++) {
        var arg = arguments[i - 1];
        if (embindStringTypes[types[i]]) {
          if (typeof arg != 'string') throw new TypeError('expected a string');
          var bytes = new TextEncoder().encode(arg);
          var ptr = _malloc(bytes.length + 4);
          HEAPU32[ptr >> 2] = bytes.length;
          HEAPU8.set(bytes, ptr + 4);
          strings.push(ptr);
          arg = ptr;
        }
        wireArgs.push(arg);
      }
      var result = invoker.apply(null, wireArgs);
      strings.forEach(_free);
      if (embindStringTypes[types[0]]) {
        var text = UTF8Decoder.decode(HEAPU8.subarray(result + 4, result + 4 + HEAPU32[result >> 2]));
        _free(result);
        return text;
      }
      return result;
    };
  },
});
