import { beforeEach, describe, expect, it, vi } from "vitest";
import { flushPromises, mount } from "@vue/test-utils";
import { Button } from "vant";
import { makeI18n } from "../i18n";
import type { CaseDetail, Person } from "../api";
import { assistant, detail, leader, officer, state, step } from "./acts.fixture";

const recordAct = vi.fn();
vi.mock("../api", async (orig) => {
  const real = await orig<typeof import("../api")>();
  return {
    ...real,
    api: {
      recordAct: (id: string, act: unknown) => recordAct(id, act),
      records: async () => [
        {
          live: {
            id: "n1",
            body: { kind: "preservation", items: [{ name: "电动三轮车", quantity: "1辆" }], kept_at: "仓库", officers: [], party: null, issued_at: 0 },
            signoff: null,
          },
          seal: { digest: "ab", at: 0, by: [] },
        },
      ],
    },
  };
});

import PreservePanel from "./PreservePanel.vue";

const DAY = 86_400_000;
const investigating = (overdue = false) => {
  const d = detail({
    status: "investigating",
    steps: [step("preservation_decision"), step("conclude_investigation", "先行登记保存的物品须在七日内作出处理决定")],
    state: state({ status: "investigating", open_preservations: [{ notice: "n1", issued_at: Date.now() - (overdue ? 9 : 2) * DAY }] }),
  });
  d.row.deadlines = [{ kind: { kind: "preservation", notice: "n1" }, due: Date.now() + (overdue ? -2 : 5) * DAY, urgency: overdue ? "overdue" : "pending" }];
  return d;
};
const mountPanel = async (d: CaseDetail, signedIn: Person[]) => {
  const w = mount(PreservePanel, { props: { detail: d, signedIn }, global: { plugins: [makeI18n(), Button] } });
  await flushPromises();
  return w;
};

describe("PreservePanel", () => {
  beforeEach(() => {
    recordAct.mockReset();
    recordAct.mockResolvedValue(undefined);
  });

  it("is offered to the squad leader, not to officers or assistants", async () => {
    expect((await mountPanel(investigating(), [officer])).find(".preserve").exists()).toBe(false);
    expect((await mountPanel(investigating(), [assistant])).find(".preserve").exists()).toBe(false);
    const w = await mountPanel(investigating(), [leader]);
    expect(w.text()).toContain("保存物品：电动三轮车 1辆");
  });

  it("decides each notice, with the outcome chosen or written", async () => {
    const w = await mountPanel(investigating(), [leader]);
    expect(w.find(".late-reason").exists()).toBe(false);
    expect(w.find(".decide").attributes("disabled")).toBeDefined();
    await w.find(".preset-release").trigger("click");
    await w.find(".decide").trigger("click");
    await flushPromises();
    expect(recordAct).toHaveBeenCalledWith("case-1", {
      act: "preservation_decision",
      notice: "n1",
      outcome: "解除先行登记保存，退还当事人",
      late_reason: null,
    });
  });

  it("still decides after the seven days, with the reason for the delay", async () => {
    const w = await mountPanel(investigating(true), [leader]);
    await w.find(".outcome").setValue("送交检验");
    expect(w.find(".decide").attributes("disabled")).toBeDefined();
    await w.find(".late-reason").setValue("检测机构排期");
    await w.find(".decide").trigger("click");
    await flushPromises();
    expect(recordAct).toHaveBeenCalledWith("case-1", {
      act: "preservation_decision",
      notice: "n1",
      outcome: "送交检验",
      late_reason: "检测机构排期",
    });
  });
});
