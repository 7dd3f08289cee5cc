import { beforeEach, describe, expect, it, vi } from "vitest";
import { flushPromises, mount } from "@vue/test-utils";
import { Button } from "vant";
import { makeI18n } from "../i18n";
import type { CaseDetail, Person } from "../api";
import { assistant, detail, leader, officer, officer2, person, reviewer, state } from "./acts.fixture";

const recordAct = vi.fn();
const other = person("zhao.qiang", "赵强", "enforcement_officer", "二中队");
const notOnTeam = person("qian.wei", "钱伟", "enforcement_officer");
vi.mock("../api", async (orig) => {
  const real = await orig<typeof import("../api")>();
  return {
    ...real,
    api: {
      recordAct: (id: string, act: unknown) => recordAct(id, act),
      people: async () => [notOnTeam, officer, officer2, assistant, leader, other],
    },
  };
});

import RecusePanel from "./RecusePanel.vue";

const investigating = (over = {}) =>
  detail({
    status: "investigating",
    team: [officer2, officer].map(({ id, name }) => ({ id, name })),
    state: state({ status: "investigating", team: ["wang.fang", "li.ming"], ...over }),
  });
const mountPanel = async (d: CaseDetail, signedIn: Person[]) => {
  const w = mount(RecusePanel, { props: { detail: d, signedIn }, global: { plugins: [makeI18n(), Button] } });
  await flushPromises();
  if (w.find(".act-toggle").exists()) await w.find(".act-toggle").trigger("click");
  return w;
};

describe("RecusePanel", () => {
  beforeEach(() => {
    recordAct.mockReset();
    recordAct.mockResolvedValue(undefined);
  });

  it("is open to officers, leaders and legal reviewers on a case still handled, never to assistants", async () => {
    expect((await mountPanel(investigating(), [assistant])).find(".recuse").exists()).toBe(false);
    expect((await mountPanel(investigating(), [officer, assistant])).find(".recuse").exists()).toBe(false);
    expect((await mountPanel(investigating(), [reviewer])).find(".recuse").exists()).toBe(true);
    expect((await mountPanel(detail({ status: "closed" }), [officer])).find(".recuse").exists()).toBe(false);
    // Someone already recused signs nothing more on the case.
    expect((await mountPanel(investigating({ recused: ["li.ming"] }), [officer])).find(".recuse").exists()).toBe(false);
  });

  it("lets an officer declare their own interest, and only their own", async () => {
    const w = await mountPanel(investigating(), [officer]);
    expect(w.findAll("[data-officer]").map((e) => e.attributes("data-officer"))).toEqual(["li.ming"]);
    await w.find("[data-officer=li\\.ming]").setValue(true);
    await w.find(".reason").setValue("当事人系本人表弟");
    await w.find(".send").trigger("click");
    await flushPromises();
    expect(recordAct).toHaveBeenCalledWith("case-1", { act: "recuse", officer: "li.ming", reason: "当事人系本人表弟" });
  });

  it("lets a leader decide another officer's recusal, from the case's squad, the team first", async () => {
    const w = await mountPanel(investigating(), [leader]);
    const offered = w.findAll("[data-officer]").map((e) => e.attributes("data-officer"));
    expect(offered).toEqual(["liu.jianguo", "li.ming", "wang.fang", "qian.wei"]);
    expect(offered).not.toContain("zhao.qiang");
    expect(offered).not.toContain("chen.xie");
    await w.find("[data-officer=wang\\.fang]").setValue(true);
    expect(w.find(".send").text()).toContain("决定 王芳 回避");
    await w.find(".reason").setValue("与当事人有经济往来");
    await w.find(".send").trigger("click");
    await flushPromises();
    expect(recordAct).toHaveBeenCalledWith("case-1", { act: "recuse", officer: "wang.fang", reason: "与当事人有经济往来" });
  });
});
