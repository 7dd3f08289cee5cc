import { beforeEach, describe, expect, it, vi } from "vitest";
import { flushPromises, mount } from "@vue/test-utils";
import { Button } from "vant";
import { makeI18n } from "../i18n";
import type { Person } from "../api";

const records = vi.fn();
const issueNotice = vi.fn();
const signOffNote = vi.fn();
const sealRecord = vi.fn();
vi.mock("../api", async (orig) => {
  const real = await orig<typeof import("../api")>();
  return {
    ...real,
    api: {
      records: () => records(),
      issueNotice: (id: string, n: unknown) => issueNotice(id, n),
      signOffNote: (...a: unknown[]) => signOffNote(...a),
      sealRecord: (id: string, r: string) => sealRecord(id, r),
    },
  };
});

import NoticePanel from "./NoticePanel.vue";

const officer = (id: string, name: string): Person => ({ id, name, role: "enforcement_officer", cert_no: "1", squad: "一中队" });
const two = [officer("li.ming", "李明"), officer("wang.fang", "王芳")];
const notice = (signoff: unknown, sealed: boolean) => ({
  live: {
    id: "n1",
    body: {
      kind: "preservation",
      items: [{ name: "电动三轮车", quantity: "1辆" }],
      kept_at: "中队暂扣物品仓库",
      officers: [{ person: "li.ming", name: "李明", cert_no: "1" }, { person: "wang.fang", name: "王芳", cert_no: "2" }],
      party: null,
      issued_at: 0,
    },
    signoff,
  },
  seal: sealed ? { digest: "ab", at: 0, by: ["li.ming", "wang.fang"] } : null,
});
const mountPanel = (signedIn: Person[], gate?: { records: boolean; corrections: boolean; why: string }) =>
  mount(NoticePanel, { props: { caseId: "c1", signedIn, gate }, global: { plugins: [makeI18n(), Button] } });

describe("NoticePanel", () => {
  beforeEach(() => {
    for (const f of [records, issueNotice, signOffNote, sealRecord]) f.mockReset();
  });

  it("issues a preservation notice only with every item counted and where it is kept", async () => {
    records.mockResolvedValue([]);
    const one = mountPanel(two.slice(0, 1));
    await flushPromises();
    expect(one.find("form.issue").exists()).toBe(false);
    expect(one.text()).toContain("先行登记保存或抽样取证须由两名执法人员进行");
    const w = mountPanel(two);
    await flushPromises();
    expect(w.text()).toContain("封存后须在7日内作出处理决定");
    const issue = () => w.find(".issue-notice").attributes("disabled");
    await w.find(".item-name").setValue("电动三轮车");
    expect(issue()).toBeDefined();
    await w.find(".kept-at").setValue("中队暂扣物品仓库");
    expect(issue()).toBeDefined();
    await w.find(".item-quantity").setValue("1辆");
    expect(issue()).toBeUndefined();
    await w.find(".add-item").trigger("click");
    expect(w.findAll(".item-row")).toHaveLength(2);
    records.mockResolvedValue([notice(null, false)]);
    await w.find("form.issue").trigger("submit");
    await flushPromises();
    expect(issueNotice).toHaveBeenCalledWith("c1", {
      kind: "preservation",
      items: [{ name: "电动三轮车", quantity: "1辆" }],
      kept_at: "中队暂扣物品仓库",
      party: null,
    });
    expect(w.text()).toContain("待当事人签名（或注明拒签）后封存");
    expect(w.emitted("changed")).toHaveLength(1);
  });

  it("notes the party's refusal, then seals", async () => {
    records.mockResolvedValue([notice(null, false)]);
    const w = mountPanel(two);
    await flushPromises();
    await w.find(".refusal-note").setValue("当事人拒绝签名");
    records.mockResolvedValue([notice({ by: "officers_note", note: "当事人拒绝签名", party_did_not_sign: "refused" }, false)]);
    await w.find(".note-refusal").trigger("click");
    await flushPromises();
    expect(signOffNote).toHaveBeenCalledWith("c1", "n1", "当事人拒绝签名", "refused");
    records.mockResolvedValue([notice({ by: "officers_note" }, true)]);
    await w.find(".seal-notice").trigger("click");
    await flushPromises();
    expect(sealRecord).toHaveBeenCalledWith("c1", "n1");
    expect(w.find(".notice").text()).toContain("已封存，不可再修改");
    expect(w.find(".notice").text()).toContain("电动三轮车 1辆");
  });

  it("issues no notice for people not on the case's team, and says why", async () => {
    records.mockResolvedValue([notice(null, false)]);
    const why = "刘建国不是本案的调查人员，不能制作或签署本案笔录（本案调查人员：李明、王芳）。";
    const w = mountPanel(two, { records: false, corrections: false, why });
    await flushPromises();
    expect(w.find("form.issue").exists()).toBe(false);
    expect(w.find(".seal-notice").exists()).toBe(false);
    expect(w.find(".note-refusal").exists()).toBe(false);
    expect(w.find(".gate-hint").text()).toBe(why);
    // What was issued is still shown.
    expect(w.find(".notice").text()).toContain("电动三轮车 1辆");
  });
});
