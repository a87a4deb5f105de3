// --js-library of the default module (wasm build only): emscripten_resize_heap without
// Emscripten's over-allocation heuristic (grow by +20%, retry smaller, cap at the maximum),
// ~0.1 KB gzip of glue. emmalloc asks for more memory rarely here (the heap starts at 16 MB; the
// core's working set is kilobytes), so one grow to the size asked for, in whole 64 KiB pages,
// is all it needs. Answers 1 when the memory grew, undefined (malloc then fails) when it did not.
mergeInto(LibraryManager.library, {
  emscripten_resize_heap__deps: ['$emscripten_realloc_buffer'],
  emscripten_resize_heap: function(requestedSize) {
    return emscripten_realloc_buffer(requestedSize);
  },
});
