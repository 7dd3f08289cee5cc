import { beforeEach, describe, expect, it, vi } from "vitest";
import { flushPromises, mount } from "@vue/test-utils";
import { Button } from "vant";
import { makeI18n } from "../i18n";
import type { CaseDetail, Person } from "../api";
import { assistant, detail, head, leader, officer, reviewer, state, step } from "./acts.fixture";

const recordAct = vi.fn();
vi.mock("../api", async (orig) => {
  const real = await orig<typeof import("../api")>();
  return { ...real, api: { recordAct: (id: string, act: unknown) => recordAct(id, act) } };
});

import ExecutePanel from "./ExecutePanel.vue";

const fined = { discretion: "standard" as const, penalties: [{ kind: "fine" as const, yuan: 500 }], summary_procedure: false };
/** A delivered decision with a 500-yuan fine (and these next steps). */
const delivered = (steps = [step("execute"), step("urge_payment", "缴款期限届满后仍未缴纳")], over: Partial<CaseDetail> = {}) =>
  detail({ status: "delivered", steps, money_due: 500, state: state({ status: "delivered", decision: fined }), ...over });
const mountPanel = (d: CaseDetail, signedIn: Person[]) =>
  mount(ExecutePanel, { props: { detail: d, signedIn }, global: { plugins: [makeI18n(), Button] } });

describe("ExecutePanel", () => {
  beforeEach(() => {
    recordAct.mockReset();
    recordAct.mockResolvedValue(undefined);
  });

  it("records the bank receipt for the amount due, and says fines are never paid to officers", async () => {
    expect(mountPanel(delivered(), [assistant]).find(".execute").exists()).toBe(false);
    expect(mountPanel(delivered(), [reviewer]).find(".execute").exists()).toBe(false);
    const w = mountPanel(delivered(), [officer]);
    expect(w.find(".separation").text()).toContain("执法人员不得收缴罚款");
    expect(w.text()).toContain("罚款人民币500元");
    expect((w.find(".yuan").element as HTMLInputElement).value).toBe("500");
    expect(w.find(".paid").attributes("disabled")).toBeDefined();
    // The reminder waits for the time to pay to pass.
    expect(w.find(".urge").exists()).toBe(false);
    await w.find(".receipt-no").setValue(" 罚没票据0012345 ");
    await w.find(".yuan").setValue("400");
    expect(w.find(".paid").attributes("disabled")).toBeDefined();
    expect(w.text()).toContain("须与应缴金额 500 元一致");
    await w.find(".yuan").setValue("500");
    await w.find(".paid").trigger("click");
    await flushPromises();
    expect(recordAct).toHaveBeenCalledWith("case-1", {
      act: "execute",
      execution: { kind: "paid_at_bank", receipt_no: "罚没票据0012345", yuan: 500 },
    });
  });

  it("records compliance when nothing is to be paid", async () => {
    const d = detail({
      status: "delivered",
      steps: [step("execute")],
      money_due: 0,
      state: state({ status: "delivered", decision: { discretion: "standard", penalties: [{ kind: "suspend_business" }], summary_procedure: false } }),
    });
    const w = mountPanel(d, [officer]);
    expect(w.find(".paid").exists()).toBe(false);
    await w.find(".complied").trigger("click");
    await flushPromises();
    expect(recordAct).toHaveBeenCalledWith("case-1", { act: "execute", execution: { kind: "complied" } });
  });

  it("reminds the party once the time to pay has passed", async () => {
    const w = mountPanel(delivered([step("execute"), step("urge_payment")]), [officer]);
    expect(w.find(".urge").attributes("disabled")).toBeDefined();
    await w.find(".urge-note").setValue("12月20日直接送达催告书");
    await w.find(".urge").trigger("click");
    await flushPromises();
    expect(recordAct).toHaveBeenCalledWith("case-1", { act: "urge_payment", note: "12月20日直接送达催告书" });
  });

  it("lets only the head apply to the court after the reminder, then records the enforcement", async () => {
    const urged = delivered([step("execute"), step("apply_enforcement")], {
      state: state({ status: "delivered", decision: fined, urged_at: 1 }),
    });
    expect(mountPanel(urged, [officer]).find(".apply").exists()).toBe(false);
    expect(mountPanel(urged, [leader]).find(".apply").exists()).toBe(false);
    const w = mountPanel(urged, [head]);
    await w.find(".court").setValue("洛阳市西工区人民法院");
    await w.find(".apply-note").setValue("催告十日后仍未缴纳罚款500元");
    await w.find(".apply").trigger("click");
    await flushPromises();
    expect(recordAct).toHaveBeenCalledWith("case-1", {
      act: "apply_enforcement",
      court: "洛阳市西工区人民法院",
      note: "催告十日后仍未缴纳罚款500元",
    });

    const applied = delivered([step("execute")], {
      state: state({ status: "delivered", decision: fined, urged_at: 1, enforcement_applied: true }),
    });
    const c = mountPanel(applied, [officer]);
    await c.find(".compelled-note").setValue("法院强制执行到位500元");
    await c.find(".compelled").trigger("click");
    await flushPromises();
    expect(recordAct).toHaveBeenLastCalledWith("case-1", {
      act: "execute",
      execution: { kind: "compelled", note: "法院强制执行到位500元" },
    });
  });
});
