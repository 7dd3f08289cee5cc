import { beforeEach, describe, expect, it, vi } from "vitest";
import { flushPromises, mount } from "@vue/test-utils";
import { Button } from "vant";
import { makeI18n } from "../i18n";
import type { CaseDetail, Person } from "../api";
import { assistant, caseDetail, head, step, officer, reviewer } from "./acts.fixture";

const recordAct = vi.fn();
vi.mock("../api", async (orig) => {
  const real = await orig<typeof import("../api")>();
  return { ...real, api: { recordAct: (id: string, act: unknown) => recordAct(id, act) } };
});

import NotifyPanel from "./NotifyPanel.vue";

const concluded = (party: "person" | "business" = "person") =>
  caseDetail("investigation_concluded", [step("notify"), step("legal_review")], {
    party,
    events: [
      { id: "e1", at: 0, act_zh: "调查终结", act: { act: "conclude_investigation", summary: "当事人在景华路占道经营" }, actors: ["李明"] },
    ],
  });
const mountPanel = (d: CaseDetail, signedIn: Person[]) =>
  mount(NotifyPanel, { props: { detail: d, signedIn }, global: { plugins: [makeI18n(), Button] } });

describe("NotifyPanel", () => {
  beforeEach(() => {
    recordAct.mockReset();
    recordAct.mockResolvedValue(undefined);
  });

  it("is offered to the officers, not to the legal reviewer or an assistant, and only when the case offers it", () => {
    expect(mountPanel(concluded(), [officer]).find(".notify-panel").exists()).toBe(true);
    expect(mountPanel(concluded(), [head]).find(".notify-panel").exists()).toBe(true);
    expect(mountPanel(concluded(), [reviewer]).find(".notify-panel").exists()).toBe(false);
    expect(mountPanel(concluded(), [assistant]).find(".notify-panel").exists()).toBe(false);
    const notYet = caseDetail("investigating", [step("conclude_investigation")]);
    expect(mountPanel(notYet, [officer]).find(".notify-panel").exists()).toBe(false);
    // Blocked: the procedure panel says what is missing; the act panel hides.
    const blocked = caseDetail("investigation_concluded", [step("notify", "须先调查终结")]);
    expect(mountPanel(blocked, [officer]).find(".notify-panel").exists()).toBe(false);
  });

  it("shows the catalogue's range and circumstances and builds the notice with the proposal", async () => {
    const w = mountPanel(concluded(), [officer]);
    expect(w.find("[data-level=lighter]").text()).toContain("200–500 元");
    expect(w.find<HTMLTextAreaElement>("textarea.facts").element.value).toBe("当事人在景华路占道经营");
    expect(w.find<HTMLTextAreaElement>("textarea.basis").element.value).toBe(
      "违反《城市道路管理条例》第二十七条的规定，依据《城市道路管理条例》第四十二条",
    );
    await w.find("[data-level=lighter] input").setValue(true);
    expect(w.text()).toContain("适用情形：初次违法、及时改正");
    expect(w.find(".send-notice").attributes("disabled")).toBeDefined();
    await w.find("[data-penalty=warning]").setValue(true);
    await w.find("[data-penalty=fine]").setValue(true);
    await w.find(".fine-yuan").setValue("300");
    await w.find("textarea.reasons").setValue("  初次违法，当场改正  ");
    expect(w.find<HTMLInputElement>("input.hearing").element.checked).toBe(false);
    await w.find(".send-notice").trigger("click");
    await flushPromises();
    expect(recordAct).toHaveBeenCalledWith("case-1", {
      act: "notify",
      hearing_offered: false,
      proposal: {
        discretion: "lighter",
        penalties: [{ kind: "warning" }, { kind: "fine", yuan: 300 }],
        facts: "当事人在景华路占道经营",
        reasons: "初次违法，当场改正",
        basis: "违反《城市道路管理条例》第二十七条的规定，依据《城市道路管理条例》第四十二条",
      },
    });
    expect(w.emitted("changed")).toHaveLength(1);
  });

  it("warns when the fine falls outside the chosen level's range", async () => {
    const w = mountPanel(concluded(), [officer]);
    await w.find("[data-level=lighter] input").setValue(true);
    await w.find("[data-penalty=fine]").setValue(true);
    await w.find(".fine-yuan").setValue("800");
    expect(w.find(".warn").text()).toContain("不在“从轻处罚”档次 200–500 元的幅度内");
  });

  it("forces the hearing offer on for a fine at the person's threshold, and sends it", async () => {
    const w = mountPanel(concluded(), [officer]);
    await w.find("[data-level=heavier] input").setValue(true);
    await w.find("[data-penalty=fine]").setValue(true);
    await w.find(".fine-yuan").setValue("4999");
    expect(w.find<HTMLInputElement>("input.hearing").element.checked).toBe(false);
    expect(w.find("input.hearing").attributes("disabled")).toBeUndefined();
    await w.find(".fine-yuan").setValue("5000");
    expect(w.find<HTMLInputElement>("input.hearing").element.checked).toBe(true);
    expect(w.find("input.hearing").attributes("disabled")).toBeDefined();
    expect(w.find(".forced").text()).toContain("5000");
    await w.find("textarea.reasons").setValue("多次违法");
    await w.find(".send-notice").trigger("click");
    await flushPromises();
    expect(recordAct.mock.calls[0][1]).toMatchObject({ act: "notify", hearing_offered: true });
  });

  it("uses the organisation's threshold for a business, and forces a hearing for a suspension", async () => {
    const w = mountPanel(concluded("business"), [officer]);
    await w.find("[data-penalty=fine]").setValue(true);
    await w.find(".fine-yuan").setValue("5000");
    expect(w.find<HTMLInputElement>("input.hearing").element.checked).toBe(false);
    await w.find("[data-penalty=suspend_business]").setValue(true);
    expect(w.find<HTMLInputElement>("input.hearing").element.checked).toBe(true);
    expect(w.find("input.hearing").attributes("disabled")).toBeDefined();
  });

  it("keeps the panel and shows the refusal in Chinese", async () => {
    const { ApiError } = await import("../api");
    recordAct.mockRejectedValue(new ApiError("rule", "罚款500元超出“从轻处罚”裁量基准"));
    const w = mountPanel(concluded(), [officer]);
    await w.find("[data-penalty=warning]").setValue(true);
    await w.find("textarea.reasons").setValue("初次违法");
    await w.find(".send-notice").trigger("click");
    await flushPromises();
    expect(w.find("[role=alert]").text()).toContain("超出“从轻处罚”裁量基准");
    expect(w.emitted("changed")).toBeUndefined();
  });
});

describe("NotifyPanel with others signed in", () => {
  it("is not offered while an assistant or a recused officer would sign too", async () => {
    const { officer2 } = await import("./acts.fixture");
    const d = caseDetail("investigation_concluded", [step("notify")], { state: { recused: ["wang.fang"] } });
    expect(mountPanel(d, [officer, assistant]).find(".notify-panel").exists()).toBe(false);
    expect(mountPanel(d, [officer, officer2]).find(".notify-panel").exists()).toBe(false);
    expect(mountPanel(d, [officer]).find(".notify-panel").exists()).toBe(true);
  });
});
