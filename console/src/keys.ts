// Keys the console's fields answer to.

/**
 * Whether `e` is an Enter that submits: not the Enter that ends an input method's composition
 * (拼音 → 汉字), which only confirms the characters.
 */
export function isSubmitEnter(e: Event | KeyboardEvent): boolean {
  return e instanceof KeyboardEvent && e.key === "Enter" && !e.isComposing && e.keyCode !== 229;
}
