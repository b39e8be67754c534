// Small helpers shared by the sections' control wiring.
/** @import { Progress } from "./load.js" */
/** @import { Words } from "./models.js" */

/** The element with id `id`, which index.html has: an HTMLElement, or the kind of element that
 *  the caller's declared type names (an HTMLInputElement for an <input>).
 *  @template {HTMLElement} [T=HTMLElement]
 *  @param {string} id
 *  @returns {T} */
export const $ = (id) => /** @type {T} */ (document.getElementById(id));

/** Shows `text` in a section's message box, or hides the box when `text` is empty.
 *  @param {HTMLElement} box
 *  @param {string} text */
export function say(box, text) {
  box.textContent = text;
  box.hidden = !text;
}

/** Runs `call`, a call into the WebAssembly module, and returns its result; if the module refuses
 *  (it throws an Error that names the argument), says so in `box` and returns undefined.
 *  @template T
 *  @param {HTMLElement} box
 *  @param {string} what
 *  @param {() => T} call
 *  @returns {T | undefined} */
export function attempt(box, what, call) {
  try {
    return call();
  } catch (error) {
    say(box, `${what}: ${/** @type {Error} */ (error).message}`);
    return undefined;
  }
}

/** Disables or enables `control`; when it held the focus and is disabled, the focus moves to `next`.
 *  @param {HTMLButtonElement} control
 *  @param {boolean} disabled
 *  @param {HTMLElement} next */
export function setDisabled(control, disabled, next) {
  const focused = document.activeElement === control;
  control.disabled = disabled;
  if (focused && disabled) next.focus();
}

/** Shows a range input's value in its <output for="…"> and calls onInput with the number.
 *  Returns a setter that moves the slider without calling onInput.
 *  @param {HTMLInputElement} input
 *  @param {(value: number) => string} format
 *  @param {(value: number) => void} onInput
 *  @returns {(value: number) => void} */
export function bindRange(input, format, onInput) {
  const output = /** @type {HTMLOutputElement} */ (document.querySelector(`output[for="${input.id}"]`));
  const show = () => { output.textContent = format(Number(input.value)); };
  input.addEventListener("input", () => {
    show();
    onInput(Number(input.value));
  });
  show();
  return (value) => {
    input.value = String(value);
    show();
  };
}

/** Ten buttons, one per class 0–9, appended to `container`; a click on button c calls
 *  `onClick(c)`. nameButtons names them.
 *  @param {HTMLElement} container
 *  @param {(c: number) => void} onClick
 *  @returns {HTMLButtonElement[]} */
export function classButtons(container, onClick) {
  return Array.from({ length: 10 }, (_, c) => {
    const button = document.createElement("button");
    button.type = "button";
    button.addEventListener("click", () => onClick(c));
    container.append(button);
    return button;
  });
}

/** Shows class c's name, `names[c]`, on button c, and `label(names[c])` to assistive technology.
 *  @param {HTMLButtonElement[]} buttons
 *  @param {string[]} names
 *  @param {(name: string) => string} label */
export function nameButtons(buttons, names, label) {
  buttons.forEach((button, c) => {
    button.textContent = names[c];
    button.setAttribute("aria-label", label(names[c]));
  });
}

/** Arrow keys move the focus among `buttons`, laid out `columns()` a row (Home and End to the first
 *  and last), and only the one last focused is in the Tab order: the group takes one Tab.
 *  @param {HTMLButtonElement[]} buttons
 *  @param {() => number} columns */
export function arrowKeys(buttons, columns) {
  buttons.forEach((button, i) => {
    button.tabIndex = i === 0 ? 0 : -1;
    button.addEventListener("focus", () => buttons.forEach((other) => { other.tabIndex = other === button ? 0 : -1; }));
    button.addEventListener("keydown", (event) => {
      /** @type {Record<string, number>} */
      const moves = { ArrowLeft: i - 1, ArrowRight: i + 1, ArrowUp: i - columns(), ArrowDown: i + columns(), Home: 0, End: buttons.length - 1 };
      if (!(event.key in moves)) return;
      event.preventDefault();
      buttons[Math.min(buttons.length - 1, Math.max(0, moves[event.key]))].focus();
    });
  });
}

/** `names` in `container`, one element each: the captions under a sheet of ten images.
 *  @param {HTMLElement} container
 *  @param {string[]} names */
export function showNames(container, names) {
  container.replaceChildren(...names.map((name) => Object.assign(document.createElement("span"), { textContent: name })));
}

/** Whether the visitor asked for less motion (prefers-reduced-motion): nothing then moves by itself.
 */
export const reducedMotion = () => matchMedia("(prefers-reduced-motion: reduce)").matches;

/** @param {string} text */
export const capitalised = (text) => text[0].toUpperCase() + text.slice(1);

/** Writes `words` (a data set's, models.js) into the page: each element with a `data-word`
 *  attribute gets the word it names, capitalised when the name is (data-word="Drawn": "Your digit").
 *  @param {Words} words */
export function showWords(words) {
  for (const element of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll("[data-word]"))) {
    const key = /** @type {string} */ (element.dataset.word);
    const word = words[/** @type {keyof Words} */ (key[0].toLowerCase() + key.slice(1))];
    element.textContent = key[0] === key[0].toLowerCase() ? word : capitalised(word);
  }
}

/** A progress callback for load.js's loaders that fills `bar` and writes the megabytes received
 *  in `amount`, both cleared now.
 *  @param {HTMLProgressElement} bar
 *  @param {HTMLElement} amount
 *  @returns {Progress} */
export function showProgress(bar, amount) {
  bar.removeAttribute("value"); // indeterminate until the first bytes, not the last load's
  amount.textContent = "";
  /** @param {number} bytes */
  const mb = (bytes) => (bytes / 1e6).toFixed(1);
  return (received, total) => {
    if (total) [bar.max, bar.value] = [total, received];
    amount.textContent = total ? `${mb(received)} of ${mb(total)} MB` : `${mb(received)} MB`;
  };
}

/** Saves the file at `href` (a data: or blob: URL) as `filename`, as a clicked download link does.
 *  @param {string} href
 *  @param {string} filename */
function save(href, filename) {
  const link = document.createElement("a");
  link.download = filename;
  link.href = href;
  link.click();
}

/** Saves `canvas` as a PNG named `filename`.
 *  @param {HTMLCanvasElement} canvas
 *  @param {string} filename */
export function downloadPng(canvas, filename) {
  save(canvas.toDataURL("image/png"), filename);
}

/** Saves `bytes` as a file of MIME type `type` named `filename`.
 *  @param {BlobPart} bytes
 *  @param {string} type
 *  @param {string} filename */
export function downloadBytes(bytes, type, filename) {
  const url = URL.createObjectURL(new Blob([bytes], { type }));
  save(url, filename);
  // The download reads the blob after the click returns: release it once it surely has.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** Copies `text` to the clipboard; returns false when the browser refuses (a page not served over
 *  HTTPS, or a permission denied).
 *  @param {string} text
 *  @returns {Promise<boolean>} */
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

/** Milliseconds, with two decimals below 10.
 *  @param {number} ms */
export function formatMs(ms) {
  return `${ms < 10 ? ms.toFixed(2) : ms.toFixed(0)} ms`;
}
