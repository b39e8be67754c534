// Small helpers shared by the sections' control wiring.

export const $ = (id) => document.getElementById(id);

/** Shows `text` in a section's message box, or hides the box when `text` is empty. */
export function say(box, text) {
  box.textContent = text;
  box.hidden = !text;
}

/** Runs `call`, a call into the WebAssembly module, and returns its result; if the module refuses
 *  (it throws an Error that names the argument), says so in `box` and returns undefined. */
export function attempt(box, what, call) {
  try {
    return call();
  } catch (error) {
    say(box, `${what}: ${error.message}`);
    return undefined;
  }
}

/** Disables or enables `control`; when it held the focus and is disabled, the focus moves to `next`. */
export function setDisabled(control, disabled, next) {
  const focused = document.activeElement === control;
  control.disabled = disabled;
  if (focused && disabled) next.focus();
}

/** Shows a range input's value in its <output for="…"> and calls onInput with the number.
 *  Returns a setter that moves the slider without calling onInput. */
export function bindRange(input, format, onInput) {
  const output = document.querySelector(`output[for="${input.id}"]`);
  const show = () => { output.textContent = format(Number(input.value)); };
  input.addEventListener("input", () => {
    show();
    onInput(Number(input.value));
  });
  show();
  return (value) => {
    input.value = value;
    show();
  };
}

/** Ten buttons, one per class 0–9, appended to `container`; a click on button c calls
 *  `onClick(c)`. nameButtons names them. */
export function classButtons(container, onClick) {
  return Array.from({ length: 10 }, (_, c) => {
    const button = document.createElement("button");
    button.type = "button";
    button.addEventListener("click", () => onClick(c));
    container.append(button);
    return button;
  });
}

/** Shows class c's name, `names[c]`, on button c, and `label(names[c])` to assistive technology. */
export function nameButtons(buttons, names, label) {
  buttons.forEach((button, c) => {
    button.textContent = names[c];
    button.setAttribute("aria-label", label(names[c]));
  });
}

/** `names` in `container`, one element each: the captions under a sheet of ten images. */
export function showNames(container, names) {
  container.replaceChildren(...names.map((name) => Object.assign(document.createElement("span"), { textContent: name })));
}

export const capitalised = (text) => text[0].toUpperCase() + text.slice(1);

/** Writes `words` (a data set's, models.js) into the page: each element with a `data-word`
 *  attribute gets the word it names, capitalised when the name is (data-word="Drawn": "Your digit"). */
export function showWords(words) {
  for (const element of document.querySelectorAll("[data-word]")) {
    const key = element.dataset.word;
    const word = words[key[0].toLowerCase() + key.slice(1)];
    element.textContent = key[0] === key[0].toLowerCase() ? word : capitalised(word);
  }
}

/** A progress callback for load.js's loaders that fills `bar` and writes the megabytes received
 *  in `amount`, both cleared now. */
export function showProgress(bar, amount) {
  bar.removeAttribute("value"); // indeterminate until the first bytes, not the last load's
  amount.textContent = "";
  const mb = (bytes) => (bytes / 1e6).toFixed(1);
  return (received, total) => {
    if (total) [bar.max, bar.value] = [total, received];
    amount.textContent = total ? `${mb(received)} of ${mb(total)} MB` : `${mb(received)} MB`;
  };
}

/** Saves the file at `href` (a data: or blob: URL) as `filename`, as a clicked download link does. */
function save(href, filename) {
  const link = document.createElement("a");
  link.download = filename;
  link.href = href;
  link.click();
}

export function downloadPng(canvas, filename) {
  save(canvas.toDataURL("image/png"), filename);
}

/** Saves `bytes` as a file of MIME type `type` named `filename`. */
export function downloadBytes(bytes, type, filename) {
  const url = URL.createObjectURL(new Blob([bytes], { type }));
  save(url, filename);
  // The download reads the blob after the click returns: release it once it surely has.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** Copies `text` to the clipboard; returns false when the browser refuses (a page not served over
 *  HTTPS, or a permission denied). */
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

/** Milliseconds, with two decimals below 10. */
export function formatMs(ms) {
  return `${ms < 10 ? ms.toFixed(2) : ms.toFixed(0)} ms`;
}
