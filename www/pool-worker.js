// A worker of the decoding pool (pool.js): its own instance of the module the page compiled, and a
// Generator per data set. Each request carries an id, which its answer repeats. A request with
// `module` builds the Generator of `dataset` from its `bytes` (null: the module's own), instantiating
// the module the first time; one with `codes` decodes them with the Generator of `dataset`.
import init, { Generator } from "./pkg/latent_digits.js";
/** @import { PoolReply, PoolRequest } from "./pool.js" */

/** @type {Map<string, Generator>} */
const generators = new Map(); // data set → its Generator

/** The answer to `request`, with the buffers to transfer.
 *  @param {PoolRequest} request
 *  @returns {Promise<[PoolReply, Transferable[]]>} */
async function answer(request) {
  const { id, dataset } = request;
  if ("codes" in request) {
    const pixels = /** @type {Generator} */ (generators.get(dataset)).decode(request.codes);
    return [{ id, pixels }, [pixels.buffer]];
  }
  await init({ module_or_path: request.module });
  const { bytes } = request;
  generators.set(dataset, bytes ? Generator.fromBytes(bytes.decoder, bytes.stats) : new Generator());
  return [{ id }, []];
}

/** @param {MessageEvent<PoolRequest>} event */
onmessage = async ({ data }) => {
  try {
    postMessage(...await answer(data));
  } catch (error) {
    postMessage(/** @satisfies {PoolReply} */ ({ id: data.id, error: /** @type {Error} */ (error).message }));
  }
};
