// The drawing pad: strokes drawn with a mouse, pen or finger in light ink on black, as MNIST's
// digits are, kept as point lists so that Undo redraws the rest; or an image in their place.

const PAD_SIDE = 280; // backing-store pixels: ten per MNIST pixel
// MNIST's strokes are 2–3 of its 28 pixels wide once a digit's box is scaled to 20 pixels: about
// 20 of the pad's, with a soft edge.
const INK = { width: 20, blur: 6 };
const MAX_IMAGE_SIDE = 1024; // larger images are scaled down to this before they are read

/** Wires `canvas` as a drawing pad; `onChange()` runs after the drawing changes, at most once a frame.
 *  @param {HTMLCanvasElement} canvas
 *  @param {() => void} onChange */
export function createPad(canvas, onChange) {
  canvas.width = canvas.height = PAD_SIDE;
  const ctx = /** @type {CanvasRenderingContext2D} */ (canvas.getContext("2d", { willReadFrequently: true }));
  /** @type {[number, number][][]} */
  let strokes = []; // each a list of [x, y] in backing-store pixels
  /** @type {{ bitmap: ImageBitmap, pixels: ImageData } | null} */
  let image = null; // an image shown instead of strokes: { bitmap, pixels } (its ImageData)
  /** @type {number | null} */
  let pointer = null; // the id of the pointer drawing the last stroke
  let frame = 0;

  function paint() {
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, PAD_SIDE, PAD_SIDE);
    if (image) {
      const { width, height } = image.bitmap;
      const scale = Math.min(PAD_SIDE / width, PAD_SIDE / height);
      ctx.drawImage(image.bitmap, (PAD_SIDE - width * scale) / 2, (PAD_SIDE - height * scale) / 2,
        width * scale, height * scale);
    }
    ctx.save();
    Object.assign(ctx, { strokeStyle: "#fff", lineWidth: INK.width, lineCap: "round", lineJoin: "round",
      shadowColor: "#fff", shadowBlur: INK.blur });
    for (const stroke of strokes) {
      ctx.beginPath();
      ctx.moveTo(...stroke[0]);
      for (const point of stroke) ctx.lineTo(...point); // a lone point: a zero-length line, a dot
      ctx.stroke();
    }
    ctx.restore();
  }

  function changed() {
    frame ||= requestAnimationFrame(() => {
      frame = 0;
      paint();
      onChange();
    });
  }

  /** @param {PointerEvent} event
   *  @returns {[number, number]} */
  const point = (event) => [event.offsetX * (PAD_SIDE / canvas.clientWidth),
    event.offsetY * (PAD_SIDE / canvas.clientHeight)];
  canvas.addEventListener("pointerdown", (event) => {
    if (pointer !== null || event.button !== 0) return; // one stroke at a time, by the main button
    pointer = event.pointerId;
    canvas.setPointerCapture(pointer);
    image = null;
    strokes.push([point(event)]);
    changed();
  });
  canvas.addEventListener("pointermove", (event) => {
    if (event.pointerId !== pointer) return;
    strokes.at(-1)?.push(point(event)); // none when Clear or an image ended the stroke meanwhile
    changed();
  });
  for (const end of /** @type {const} */ (["pointerup", "pointercancel"])) {
    canvas.addEventListener(end, (event) => {
      if (event.pointerId === pointer) pointer = null;
    });
  }
  paint();

  return {
    /** Whether there is neither a stroke nor an image. */
    get empty() {
      return strokes.length === 0 && !image;
    },
    /** Removes the last stroke, or else the image. */
    undo() {
      if (strokes.length) strokes.pop();
      else image = null;
      changed();
    },
    clear() {
      strokes = [];
      image = null;
      changed();
    },
    /** Shows `bitmap` (an ImageBitmap) in place of the strokes, until the next stroke.
     *  @param {ImageBitmap} bitmap */
    showImage(bitmap) {
      const scale = Math.min(1, MAX_IMAGE_SIDE / Math.max(bitmap.width, bitmap.height));
      const copy = document.createElement("canvas");
      copy.width = Math.max(1, Math.round(bitmap.width * scale));
      copy.height = Math.max(1, Math.round(bitmap.height * scale));
      const copyCtx = /** @type {CanvasRenderingContext2D} */ (copy.getContext("2d"));
      copyCtx.drawImage(bitmap, 0, 0, copy.width, copy.height);
      strokes = [];
      image = { bitmap, pixels: copyCtx.getImageData(0, 0, copy.width, copy.height) };
      changed();
    },
    /** The ImageData to read: the image's own pixels, or else the pad's. */
    pixels: () => image?.pixels ?? ctx.getImageData(0, 0, PAD_SIDE, PAD_SIDE),
  };
}
