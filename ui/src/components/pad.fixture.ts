// The signature pad for the specs of the panels that take a signature: it hands over a drawing
// ready made (the canvas is not drawn on in tests), and `draw` is the signer drawing on it.
import { defineComponent, h } from "vue";
import { flushPromises, type VueWrapper } from "@vue/test-utils";

/** The drawing the pad hands over. */
export const png = new Uint8Array([137, 80, 78, 71]);

export const Pad = defineComponent({
  name: "SignaturePad",
  emits: ["changed"],
  setup(_, { expose }) {
    expose({ png: async () => png, clear: () => {} });
    return () => h("canvas", { class: "pad" });
  },
});

/** Someone draws on the pad of the mounted panel `w`. */
export async function draw(w: VueWrapper) {
  w.findComponent(Pad).vm.$emit("changed", false);
  await flushPromises();
}
