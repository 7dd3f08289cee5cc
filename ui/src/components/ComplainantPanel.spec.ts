import { beforeEach, describe, expect, it, vi } from "vitest";
import { flushPromises, mount } from "@vue/test-utils";
import { Button } from "vant";
import { makeI18n } from "../i18n";
import type { CaseDetail, Person } from "../api";
import { assistant, detail, leader, officer, reviewer, step } from "./acts.fixture";

const recordAct = vi.fn();
vi.mock("../api", async (orig) => {
  const real = await orig<typeof import("../api")>();
  return { ...real, api: { recordAct: (id: string, act: unknown) => recordAct(id, act) } };
});

import ComplainantPanel from "./ComplainantPanel.vue";

const filed = () => detail({ status: "filed", steps: [step("start_investigation"), step("inform_complainant")] });
const mountPanel = (d: CaseDetail, signedIn: Person[]) =>
  mount(ComplainantPanel, { props: { detail: d, signedIn }, global: { plugins: [makeI18n(), Button] } });

describe("ComplainantPanel", () => {
  beforeEach(() => {
    recordAct.mockReset();
    recordAct.mockResolvedValue(undefined);
  });

  it("is offered to officers when the complainant is still to be told", () => {
    expect(mountPanel(filed(), [assistant]).find(".complainant").exists()).toBe(false);
    expect(mountPanel(filed(), [reviewer]).find(".complainant").exists()).toBe(false);
    expect(mountPanel(detail({ status: "filed", steps: [step("start_investigation")] }), [officer]).find(".complainant").exists()).toBe(false);
    expect(mountPanel(filed(), [leader]).text()).toContain("处理结果（目前：立案）");
  });

  it("records how the complainant was told", async () => {
    const w = mountPanel(filed(), [officer]);
    expect(w.find(".inform").attributes("disabled")).toBeDefined();
    await w.find(".how").setValue("12月1日电话告知投诉人已立案");
    await w.find(".inform").trigger("click");
    await flushPromises();
    expect(recordAct).toHaveBeenCalledWith("case-1", { act: "inform_complainant", how: "12月1日电话告知投诉人已立案" });
  });
});
