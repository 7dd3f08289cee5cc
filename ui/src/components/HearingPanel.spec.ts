import { beforeEach, describe, expect, it, vi } from "vitest";
import { flushPromises, mount } from "@vue/test-utils";
import { Button } from "vant";
import { makeI18n } from "../i18n";
import type { CaseDetail, Person } from "../api";
import { assistant, caseDetail, head, step, officer, person, reviewer } from "./acts.fixture";

const recordAct = vi.fn();
vi.mock("../api", async (orig) => {
  const real = await orig<typeof import("../api")>();
  return { ...real, api: { recordAct: (id: string, act: unknown) => recordAct(id, act) } };
});

import HearingPanel from "./HearingPanel.vue";

const offeredHearing = () => caseDetail("notified", [step("hear_statement"), step("request_hearing"), step("legal_review", "…")]);
const requested = () =>
  caseDetail("notified", [step("hold_hearing"), step("legal_review", "当事人已申请听证，须先组织听证")], {
    state: { hearing: "requested" },
  });
const mountPanel = (d: CaseDetail, signedIn: Person[]) =>
  mount(HearingPanel, { props: { detail: d, signedIn }, global: { plugins: [makeI18n(), Button] } });

describe("HearingPanel", () => {
  beforeEach(() => {
    recordAct.mockReset();
    recordAct.mockResolvedValue(undefined);
  });

  it("lets the officers, not the reviewer or an assistant, record a request", async () => {
    expect(mountPanel(offeredHearing(), [reviewer]).find(".hearing-panel").exists()).toBe(false);
    expect(mountPanel(offeredHearing(), [assistant]).find(".hearing-panel").exists()).toBe(false);
    const w = mountPanel(offeredHearing(), [officer]);
    expect(w.find(".send-hold").exists()).toBe(false);
    await w.find("textarea.request-note").setValue("当事人于12月2日书面申请听证");
    await w.find(".send-request").trigger("click");
    await flushPromises();
    expect(recordAct).toHaveBeenCalledWith("case-1", { act: "request_hearing", note: "当事人于12月2日书面申请听证" });
  });

  it("lets a reviewer or the head host it, never an officer", async () => {
    expect(mountPanel(requested(), [officer]).find(".hearing-panel").exists()).toBe(false);
    expect(mountPanel(requested(), [head]).find(".send-hold").exists()).toBe(true);
    const w = mountPanel(requested(), [reviewer]);
    expect(w.find(".send-request").exists()).toBe(false);
    await w.find("input.participants").setValue("孙法（主持人）、李明、张三");
    await w.find("textarea.hearing-record").setValue("调查人员陈述事实，当事人申辩");
    await w.find("textarea.opinion").setValue("事实清楚，建议维持");
    await w.find(".send-hold").trigger("click");
    await flushPromises();
    expect(recordAct).toHaveBeenCalledWith("case-1", {
      act: "hold_hearing",
      participants: "孙法（主持人）、李明、张三",
      record: "调查人员陈述事实，当事人申辩",
      opinion: "事实清楚，建议维持",
    });
  });

  it("will not let an investigator of the case host it", async () => {
    const investigatingHead = person("li.ming", "李明", "head");
    const w = mountPanel(requested(), [investigatingHead]);
    expect(w.text()).toContain("不能主持听证");
    await w.find("input.participants").setValue("李明");
    await w.find("textarea.hearing-record").setValue("笔录");
    await w.find("textarea.opinion").setValue("意见");
    expect(w.find(".send-hold").attributes("disabled")).toBeDefined();
  });
});
