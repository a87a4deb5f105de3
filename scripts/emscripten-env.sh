# Sourced before any emcc/em++ call. Facts from ../shared/TOOLCHAIN.md:
# emcc's JS optimizer needs acorn from Debian's node path; pyenv's python shim doubles build
# times; Debian's frozen system-library cache is used as is.
export NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}
export EMSDK_PYTHON=/usr/bin/python3
