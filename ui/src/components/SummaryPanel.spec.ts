import { beforeEach, describe, expect, it, vi } from "vitest";
import { flushPromises, mount } from "@vue/test-utils";
import { Button } from "vant";
import { makeI18n } from "../i18n";
import type { CaseDetail, Person } from "../api";
import { assistant, detail, officer, reviewer, step } from "./acts.fixture";

const recordAct = vi.fn();
vi.mock("../api", async (orig) => {
  const real = await orig<typeof import("../api")>();
  return { ...real, api: { recordAct: (id: string, act: unknown) => recordAct(id, act) } };
});

import SummaryPanel from "./SummaryPanel.vue";

const registered = () => detail({ status: "registered", steps: [step("file"), step("summary_decision")] });
const mountPanel = async (d: CaseDetail, signedIn: Person[]) => {
  const w = mount(SummaryPanel, { props: { detail: d, signedIn }, global: { plugins: [makeI18n(), Button] } });
  if (w.find(".act-toggle").exists()) await w.find(".act-toggle").trigger("click");
  return w;
};

describe("SummaryPanel", () => {
  beforeEach(() => {
    recordAct.mockReset();
    recordAct.mockResolvedValue(undefined);
  });

  it("is offered to enforcing officers only", async () => {
    expect((await mountPanel(registered(), [assistant])).find(".summary-decision").exists()).toBe(false);
    expect((await mountPanel(registered(), [reviewer])).find(".summary-decision").exists()).toBe(false);
    expect((await mountPanel(detail({ status: "filed", steps: [step("start_investigation")] }), [officer])).find(".summary-decision").exists()).toBe(false);
  });

  it("decides only once the 执法证 is shown, with the basis from the catalogue", async () => {
    const w = await mountPanel(registered(), [officer]);
    expect((w.find(".basis").element as HTMLTextAreaElement).value).toBe(
      "违反《城市道路管理条例》第二十七条的规定，依据《城市道路管理条例》第四十二条",
    );
    expect((w.find(".facts").element as HTMLTextAreaElement).value).toBe("张三在景华路88号门前占道摆摊");
    await w.find(".kind-fine").setValue(true);
    await w.find(".yuan").setValue("201");
    expect(w.text()).toContain("简易程序罚款不得超过 200 元");
    await w.find(".yuan").setValue("100");
    expect(w.find(".decide").attributes("disabled")).toBeDefined();
    await w.find(".decide").trigger("click");
    await flushPromises();
    expect(recordAct).not.toHaveBeenCalled();
    await w.find(".certificate").setValue(true);
    await w.find(".decide").trigger("click");
    await flushPromises();
    expect(recordAct).toHaveBeenCalledWith("case-1", {
      act: "summary_decision",
      penalties: [{ kind: "fine", yuan: 100 }],
      facts: "张三在景华路88号门前占道摆摊",
      basis: "违反《城市道路管理条例》第二十七条的规定，依据《城市道路管理条例》第四十二条",
      certificate_shown: true,
    });
  });

  it("allows an organisation up to 3,000 yuan, and a warning", async () => {
    const d = registered();
    d.header.parties = [{ kind: "business", name: "好运来餐饮有限公司", id_number: null, phone: null }];
    const w = await mountPanel(d, [officer]);
    expect(w.text()).toContain("本案上限 3000 元");
    await w.find(".certificate").setValue(true);
    await w.find(".decide").trigger("click");
    await flushPromises();
    expect(recordAct).toHaveBeenCalledWith("case-1", expect.objectContaining({ penalties: [{ kind: "warning" }] }));
  });
});
