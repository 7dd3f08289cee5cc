import { describe, expect, it } from "vitest";
import { mount } from "@vue/test-utils";
import { makeI18n } from "../i18n";
import type { Penalty } from "../api";
import PenaltiesEditor from "./PenaltiesEditor.vue";

function mountEditor(initial: Penalty[] = []) {
  const state = { penalties: initial, complete: true };
  const w = mount(PenaltiesEditor, {
    props: {
      modelValue: initial,
      "onUpdate:modelValue": (v: Penalty[]) => (state.penalties = v),
      complete: true,
      "onUpdate:complete": (v: boolean) => (state.complete = v),
    },
    global: { plugins: [makeI18n()] },
  });
  return { w, state };
}

describe("PenaltiesEditor", () => {
  it("builds every kind of penalty in the contract's shape", async () => {
    const { w, state } = mountEditor();
    await w.find("[data-penalty=warning]").setValue(true);
    await w.find("[data-penalty=fine]").setValue(true);
    await w.find(".fine-yuan").setValue("1000");
    await w.find("[data-penalty=confiscate_gains]").setValue(true);
    await w.find(".gains-yuan").setValue("250");
    await w.find("[data-penalty=confiscate_property]").setValue(true);
    await w.find(".property-items").setValue(" 三轮车1辆 ");
    await w.find("[data-penalty=suspend_business]").setValue(true);
    await w.find("[data-penalty=revoke_licence]").setValue(true);
    expect(state.penalties).toEqual([
      { kind: "warning" },
      { kind: "fine", yuan: 1000 },
      { kind: "confiscate_gains", yuan: 250 },
      { kind: "confiscate_property", items: "三轮车1辆" },
      { kind: "suspend_business" },
      { kind: "revoke_licence" },
    ]);
    expect(state.complete).toBe(true);
  });

  it("is incomplete while a ticked fine has no whole amount", async () => {
    const { w, state } = mountEditor();
    await w.find("[data-penalty=fine]").setValue(true);
    expect(state.complete).toBe(false);
    await w.find(".fine-yuan").setValue("12.5");
    expect(state.complete).toBe(false);
    expect(state.penalties).toEqual([]);
    await w.find(".fine-yuan").setValue("12");
    expect(state.complete).toBe(true);
    expect(state.penalties).toEqual([{ kind: "fine", yuan: 12 }]);
  });

  it("starts from the penalties given", () => {
    const { w } = mountEditor([{ kind: "fine", yuan: 300 }, { kind: "revoke_licence" }]);
    expect(w.find<HTMLInputElement>(".fine-yuan").element.value).toBe("300");
    expect(w.find<HTMLInputElement>("[data-penalty=revoke_licence]").element.checked).toBe(true);
    expect(w.find<HTMLInputElement>("[data-penalty=warning]").element.checked).toBe(false);
  });
});
