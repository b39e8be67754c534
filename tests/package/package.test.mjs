// The npm package as a user meets it: the tarball `./build.sh package` packs is installed in a
// temporary folder, type-checked with `tsc --strict`, imported in Node and in a page bundled by
// esbuild, and used: samples drawn, the clothes model and the encoder loaded from its files.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { launchBrowser, openPage, serveFolder } from "../browser/harness.mjs";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const EXAMPLES = fileURLToPath(new URL("./", import.meta.url));
const bin = (name) => join(ROOT, "node_modules/.bin", name);

const { version } = JSON.parse(await readFile(join(ROOT, "npm/package.json"), "utf8"));
const TARBALL = join(ROOT, `dist/latent-digits-${version}.tgz`);

/** The temporary project: the examples, and the package installed from the tarball. */
let project;

before(async () => {
  await readFile(TARBALL).catch(() => {
    throw new Error(`${TARBALL} is missing: ./build.sh package makes it`);
  });
  project = await mkdtemp(join(tmpdir(), "latent-digits-user-"));
  await cp(EXAMPLES, project, { recursive: true, filter: (path) => !path.endsWith(".test.mjs") });
  await writeFile(join(project, "package.json"), JSON.stringify({ private: true, type: "module" }));
  await run("npm", ["install", "--offline", "--no-audit", "--no-fund", TARBALL], { cwd: project });
});

after(() => rm(project, { recursive: true, force: true }));

test("the package holds the module, its types, the Node entry and the models' files", async () => {
  const installed = join(project, "node_modules/latent-digits");
  const files = [...await readdir(installed), ...(await readdir(join(installed, "fashion"))).map((f) => `fashion/${f}`)];
  for (const file of ["latent_digits.js", "latent_digits.d.ts", "latent_digits_bg.wasm", "node.js",
    "README.md", "package.json", "encoder.packed", "flow.bin", "fashion/decoder.packed",
    "fashion/latent.bin", "fashion/encoder.packed", "fashion/flow.bin"]) {
    assert.ok(files.includes(file), `${file} is not in the package: ${files.join(", ")}`);
  }
  const declarations = await readFile(join(installed, "latent_digits.d.ts"), "utf8");
  assert.match(declarations, /sample\(digit: ClassIndex, n: number, options\?: SampleOptions\): Float32Array/);
  const generator = declarations.match(/export class Generator \{[\s\S]*?\n\}/)?.[0] ?? "";
  assert.match(generator, /info\(\): ModelInfo;/);
  const signatures = generator.replace(/\/\*\*[\s\S]*?\*\//g, "");
  assert.doesNotMatch(signatures, /\bany\b/, "no option or result of Generator's methods is typed `any`");
});

/** Runs tsc over the examples; resolves to its output, or rejects with it. */
async function typeCheck() {
  try {
    await run(bin("tsc"), ["--noEmit", "-p", project]);
    return "";
  } catch (error) {
    return error.stdout || String(error);
  }
}

test("tsc --strict accepts the examples and rejects each mistake they mark", async () => {
  assert.equal(await typeCheck(), "", "the examples type-check");

  // Without the @ts-expect-error comments, every marked line must be an error, and nothing else.
  const usage = join(project, "usage.ts");
  const source = await readFile(usage, "utf8");
  const lines = source.split("\n");
  const marked = lines.flatMap((line, i) => (line.trim().startsWith("// @ts-expect-error") ? [i + 2] : []));
  assert.ok(marked.length >= 8, `the examples mark ${marked.length} mistakes`);
  await writeFile(usage, lines.map((line) => line.replace("// @ts-expect-error", "//")).join("\n"));
  try {
    const output = await typeCheck();
    const errorLines = [...new Set([...output.matchAll(/usage\.ts\((\d+),\d+\): error/g)].map((m) => Number(m[1])))];
    assert.deepEqual(errorLines, marked, `tsc's errors:\n${output}`);
  } finally {
    await writeFile(usage, source);
  }
});

/** Checks what `useThePackage` (usage.ts) saw. */
function checkSummary(summary) {
  assert.equal(summary.dataset, "mnist");
  assert.equal(summary.latentDim, 32);
  assert.equal(summary.sevens.length, 4 * 784);
  assert.ok(summary.sevens.every((p) => p >= 0 && p <= 1), "pixels are in [0, 1]");
  assert.ok(summary.sevens.filter((p) => p > 0.5).length > 4 * 40, "the sevens have ink");
  assert.ok(summary.sameSeedSameDigits, "the same seed gives the same digits");
  assert.ok(summary.latentsDecodeToSamples, "sampleLatents' codes decode to sample's images");
  assert.ok(summary.sevensReadAsSeven >= 3, `${summary.sevensReadAsSeven} of 4 sevens read as 7`);
  assert.ok(summary.flowSevensReadAsSeven >= 3, `${summary.flowSevensReadAsSeven} of 4 flow sevens read as 7`);
  assert.deepEqual(summary.axes, ["slant (degrees)", "thickness (px)", "width (px)", "height (px)", "ink (px²)"]);
  assert.equal(typeof summary.slant, "number");
  assert.equal(summary.writtenImages, 3);
  assert.equal(summary.gifSignature, "GIF89a");
  assert.ok(summary.pcaPoints > 100);
  assert.equal(summary.clothesDataset, "fashion");
  assert.equal(summary.clothesClass1, "Trouser");
  assert.equal(summary.trouserPixels, 2 * 784);
  assert.ok(summary.clothesEncoderLoaded);
  assert.match(summary.classElevenError, /digit/);
  assert.ok(summary.worksAfterError);
}

/** Bundles `entry` from the project with esbuild, with the file loaders a user adds. */
function bundle(entry, options) {
  return run(bin("esbuild"), [join(project, entry), "--bundle", "--format=esm", "--log-level=warning",
    "--loader:.wasm=file", "--loader:.packed=file", "--loader:.bin=file", ...options], { cwd: project });
}

test("in Node, the package loads itself and its files", async () => {
  // esbuild only strips the types: latent-digits stays an import that Node resolves.
  await bundle("node-main.mjs", ["--platform=node", "--external:latent-digits", `--outfile=${join(project, "node-main.js")}`]);
  const { stdout } = await run("node", [join(project, "node-main.js")], { cwd: project });
  checkSummary(JSON.parse(stdout));
});

test("in a page as a plain ES module, the package loads its WebAssembly and files", async () => {
  const server = await serveFolder(project);
  const browser = await launchBrowser();
  try {
    const { page, problems } = await openPage(browser, server.origin);
    await page.goto(`${server.origin}/plain.html`);
    await page.waitForFunction(() => window.result !== undefined, null, { timeout: 60_000 });
    assert.deepEqual(await page.evaluate(() => window.result), { sevenRead: 7, clothes: "Trouser" });
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
    await server.close();
  }
});

test("in a page bundled by esbuild, the package draws digits and loads its files", async () => {
  const site = join(project, "site");
  await bundle("page-main.ts", [`--outdir=${site}`, "--asset-names=[name]-[hash]"]);
  await writeFile(join(site, "index.html"),
    '<!doctype html><html lang="en"><title>latent-digits</title><canvas aria-label="sevens"></canvas>'
    + '<script type="module" src="page-main.js"></script></html>');
  const server = await serveFolder(site);
  const browser = await launchBrowser();
  try {
    const { page, problems } = await openPage(browser, server.origin);
    await page.goto(`${server.origin}/`);
    await page.waitForFunction(() => window.summary !== undefined, null, { timeout: 60_000 });
    checkSummary(await page.evaluate(() => window.summary));
    const inked = await page.evaluate(() => {
      const canvas = document.querySelector("canvas");
      const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
      return { width: canvas.width, inked: data.filter((v, i) => i % 4 === 0 && v > 128).length };
    });
    assert.equal(inked.width, 8 * 28);
    assert.ok(inked.inked > 8 * 40, `${inked.inked} inked pixels for 8 sevens`);
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
    await server.close();
  }
});
