import { beforeEach, describe, expect, it, vi } from "vitest";
import { flushPromises, mount } from "@vue/test-utils";
import { Button } from "vant";
import { makeI18n } from "../i18n";
import type { CaseDetail, EventView, Person } from "../api";
import { assistant, detail, head, leader, officer, state, step } from "./acts.fixture";

const recordAct = vi.fn();
vi.mock("../api", async (orig) => {
  const real = await orig<typeof import("../api")>();
  return { ...real, api: { recordAct: (id: string, act: unknown) => recordAct(id, act) } };
});

import DisclosePanel from "./DisclosePanel.vue";
import { maskName, redact } from "../disclosure";

const decide: EventView = {
  id: "e1",
  at: 0,
  act_zh: "作出决定",
  act: {
    act: "decide",
    discretion: "standard",
    summary: "当事人张三（身份证号410302199001011234，电话13812345678）于景华路88号门前占道经营",
    penalties: [{ kind: "fine", yuan: 500 }],
    basis: "《城市道路管理条例》第四十二条",
    late_reason: null,
  },
  actors: ["周正"],
};
const fined = { discretion: "standard" as const, penalties: [{ kind: "fine" as const, yuan: 500 }], summary_procedure: false };
const closed = (steps = [step("disclose")], over = {}) =>
  detail({
    status: "closed",
    steps,
    events: [decide],
    state: state({ status: "closed", decision: fined, decided_at: Date.UTC(2026, 10, 2, 2), ...over }),
  });
const mountPanel = (d: CaseDetail, signedIn: Person[]) =>
  mount(DisclosePanel, { props: { detail: d, signedIn }, global: { plugins: [makeI18n(), Button] } });
const value = (w: ReturnType<typeof mountPanel>, css: string) => (w.find(css).element as HTMLTextAreaElement).value;

describe("DisclosePanel", () => {
  beforeEach(() => {
    recordAct.mockReset();
    recordAct.mockResolvedValue(undefined);
  });

  it("is offered to a leader, not to officers or assistants", () => {
    expect(mountPanel(closed(), [officer]).find(".disclose").exists()).toBe(false);
    expect(mountPanel(closed(), [assistant]).find(".disclose").exists()).toBe(false);
    expect(mountPanel(closed(), [leader, assistant]).find(".disclose").exists()).toBe(false);
    expect(mountPanel(closed(), [leader]).find(".disclose").exists()).toBe(true);
  });

  it("writes the disclosure from the decision with the party as 张某, no ID number and no phone", async () => {
    const w = mountPanel(closed(), [leader]);
    const text = value(w, ".disclosure-text");
    expect(text).not.toContain("张三");
    expect(text).not.toContain("410302199001011234");
    expect(text).not.toContain("13812345678");
    expect(text).toContain("被处罚人：张某");
    expect(text).toContain("当事人张某");
    expect(text).toContain("罚款人民币500元");
    expect(text).toContain("《城市道路管理条例》第四十二条");
    await w.find(".publish").trigger("click");
    await flushPromises();
    expect(recordAct).toHaveBeenCalledWith("case-1", { act: "disclose", text: text.trim(), late_reason: null });
  });

  it("will not publish a text that names the party again", async () => {
    const w = mountPanel(closed(), [leader]);
    await w.find(".disclosure-text").setValue("当事人张三占道经营，罚款500元");
    expect(w.find(".leak").exists()).toBe(true);
    expect(w.find(".publish").attributes("disabled")).toBeDefined();
  });

  it("asks why when the disclosure is late", async () => {
    const d = closed();
    d.row.deadlines = [{ kind: { kind: "disclosure" }, due: Date.now() - 1, urgency: "overdue" }];
    const w = mountPanel(d, [leader]);
    expect(w.find(".publish").attributes("disabled")).toBeDefined();
    await w.find(".late-reason").setValue("系统故障");
    await w.find(".publish").trigger("click");
    await flushPromises();
    expect(recordAct).toHaveBeenCalledWith("case-1", expect.objectContaining({ act: "disclose", late_reason: "系统故障" }));
  });

  it("lets the head correct the disclosure after a revocation, with an explanation", async () => {
    const events: EventView[] = [
      decide,
      { id: "e2", at: 0, act_zh: "公开", act: { act: "disclose", text: "被处罚人：张某，罚款人民币500元", late_reason: null }, actors: [] },
      { id: "e3", at: 0, act_zh: "决定撤销", act: { act: "revoke_decision", authority: "洛阳市人民政府", reason: "复议撤销" }, actors: [] },
    ];
    const d = detail({
      status: "disclosed",
      steps: [step("correct_disclosure")],
      events,
      state: state({ status: "disclosed", decision: fined, decided_at: 1, disclosed_at: 2, revoked_at: 3 }),
    });
    expect(mountPanel(d, [leader]).find(".correct-disclosure").exists()).toBe(false);
    const w = mountPanel(d, [head]);
    expect(value(w, ".explanation")).toContain("被洛阳市人民政府撤销（复议撤销）");
    expect(value(w, ".corrected-text")).toContain("被处罚人：张某");
    await w.find(".correct").trigger("click");
    await flushPromises();
    const act = recordAct.mock.lastCall![1];
    expect(act.act).toBe("correct_disclosure");
    expect(act.text).toContain("该处罚决定已被撤销");
    expect(act.explanation).toContain("现对公开内容予以更正");
  });
});

describe("redact", () => {
  const parties = [
    { kind: "person" as const, name: "欧阳明", id_number: null, phone: "0379-6123456" },
    { kind: "business" as const, name: "洛阳好运来餐饮有限公司", id_number: "91410300MA44XXXX1X", phone: null },
  ];
  it("masks persons, keeps businesses, drops ID numbers and phones", () => {
    expect(maskName("欧阳明")).toBe("欧阳某");
    expect(maskName("张三")).toBe("张某");
    const out = redact("欧阳明（电话0379-6123456）经营的洛阳好运来餐饮有限公司（统一社会信用代码：91410300MA44XXXX1X，负责人欧阳明），另有手机13900001111", parties);
    expect(out).toBe("欧阳某经营的洛阳好运来餐饮有限公司（负责人欧阳某），另有");
  });
});
