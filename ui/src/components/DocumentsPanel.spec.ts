import { beforeEach, describe, expect, it, vi } from "vitest";
import { flushPromises, mount } from "@vue/test-utils";
import { Button, Tag } from "vant";
import { makeI18n } from "../i18n";
import { ApiError, type DocumentRow, type IssuedDocument, type Person } from "../api";
import { assistant, officer } from "./acts.fixture";

const caseDocuments = vi.fn();
const previewDocument = vi.fn();
const issueDocument = vi.fn();
const saveDocument = vi.fn();
const saveCaseFile = vi.fn();
vi.mock("../api", async (orig) => {
  const real = await orig<typeof import("../api")>();
  return {
    ...real,
    api: {
      caseDocuments: (id: string) => caseDocuments(id),
      previewDocument: (id: string, d: unknown) => previewDocument(id, d),
      issueDocument: (id: string, d: unknown) => issueDocument(id, d),
      saveDocument: (id: string, which: string) => saveDocument(id, which),
      saveCaseFile: (id: string) => saveCaseFile(id),
    },
  };
});

import DocumentsPanel from "./DocumentsPanel.vue";

const NUMBER = "西工城管罚决字〔2026〕A1B2-001号";
const issued: IssuedDocument = {
  kind: "decision", source: "event:e9", number: NUMBER, data: "d1", pdf: "p1", pages: 2, at: Date.UTC(2026, 10, 5, 2), by: ["li.ming"],
};
const row = (over: Partial<DocumentRow> = {}): DocumentRow => ({
  kind: "decision", title: "行政处罚决定书", source: "event:e9", at: Date.UTC(2026, 10, 4, 2), issued: null, outdated: false, bureau_changed: false, ...over,
});
const notice = row({ kind: "prior_notice", title: "行政处罚事先告知书", source: "event:e5", issued: { ...issued, kind: "prior_notice", number: "西工城管告字〔2026〕A1B2-001号" }, outdated: true });
const preview = (done: IssuedDocument | null) => ({ title: "行政处罚决定书", number: NUMBER, issued: done, pages: ["UE5HMQ==", "UE5HMg=="] });

const mountPanel = (signedIn: Person[]) =>
  mount(DocumentsPanel, {
    props: { caseId: "case-1", signedIn },
    // The viewer is teleported to <body>; rendered in place here so the test can find it.
    global: { plugins: [makeI18n(), Button, Tag], stubs: { teleport: true } },
  });

describe("DocumentsPanel", () => {
  beforeEach(() => {
    vi.unstubAllGlobals();
    for (const f of [caseDocuments, previewDocument, issueDocument, saveDocument, saveCaseFile]) f.mockReset();
    caseDocuments.mockResolvedValue([row(), notice]);
    previewDocument.mockResolvedValue(preview(null));
  });

  it("lists the case's documents with their 文号, or 未出具, and marks those changed since issued", async () => {
    const w = mountPanel([officer]);
    await flushPromises();
    expect(caseDocuments).toHaveBeenCalledWith("case-1");
    const [decision, prior] = w.findAll(".row");
    expect(decision.text()).toContain("行政处罚决定书");
    expect(decision.text()).toContain("未出具");
    expect(decision.text()).toContain("2026-11-04");
    expect(decision.find(".outdated").exists()).toBe(false);
    expect(prior.text()).toContain("西工城管告字〔2026〕A1B2-001号");
    expect(prior.find(".outdated").text()).toBe("已变化，需重新出具");
    expect(prior.find(".bureau-changed").exists()).toBe(false);
  });

  it("tells a document issued under the bureau's earlier wording from one whose case changed", async () => {
    const stands = row({
      issued: { ...issued, number: "西工城管罚决字〔2026〕A1B2-002号" },
      bureau_changed: true,
    });
    caseDocuments.mockResolvedValue([stands]);
    const w = mountPanel([officer]);
    await flushPromises();
    const [decision] = w.findAll(".row");
    expect(decision.find(".outdated").exists()).toBe(false);
    expect(decision.find(".bureau-changed").text()).toBe("本局权责清单或文书用语已更新，原文书有效");
  });

  it("previews a document's pages for anyone, but lets only an enforcement officer issue it", async () => {
    const w = mountPanel([assistant]);
    await flushPromises();
    await w.find("[data-kind=decision]").trigger("click");
    await flushPromises();
    expect(previewDocument).toHaveBeenCalledWith("case-1", row());
    expect(w.findAll(".doc-page img").map((i) => i.attributes("src"))).toEqual([
      "data:image/png;base64,UE5HMQ==",
      "data:image/png;base64,UE5HMg==",
    ]);
    expect(w.text()).toContain("第 2 / 2 页");
    expect(w.find(".issue-doc").attributes("disabled")).toBeDefined();
    expect(w.text()).toContain("请执法人员登录");
    // A draft is neither printed nor saved: a party gets only the numbered, signed document.
    expect(w.find(".print-doc").exists()).toBe(false);
    expect(w.find(".save-doc").exists()).toBe(false);
  });

  it("issues the document, then shows its 文号 and offers printing and saving the PDF", async () => {
    issueDocument.mockResolvedValue(issued);
    saveDocument.mockResolvedValue("/data/exports/case-1-号.pdf");
    const w = mountPanel([officer]);
    await flushPromises();
    await w.find("[data-kind=decision]").trigger("click");
    await flushPromises();
    previewDocument.mockResolvedValue(preview(issued));
    caseDocuments.mockResolvedValue([row({ issued }), notice]);
    await w.find(".issue-doc").trigger("click");
    await flushPromises();
    expect(issueDocument).toHaveBeenCalledWith("case-1", row());
    expect(w.find(".doc-number").text()).toBe(`文号 ${NUMBER}`);
    expect(w.find(".issue-doc").exists()).toBe(false);
    expect(w.emitted("changed")).toHaveLength(1);
    await w.find(".save-doc").trigger("click");
    await flushPromises();
    expect(saveDocument).toHaveBeenCalledWith("case-1", "d1");
    expect(w.find(".saved-doc").text()).toContain("/data/exports/case-1-号.pdf");
    const print = vi.fn();
    vi.stubGlobal("print", print);
    await w.find(".print-doc").trigger("click");
    expect(print).toHaveBeenCalled();
    await w.find(".close-doc").trigger("click");
    expect(w.find("[data-kind=decision]").text()).toContain(NUMBER);
  });

  it("shows why issuing failed, in the app's words", async () => {
    issueDocument.mockRejectedValue(new ApiError("invalid", "输入无效：案件不存在"));
    const w = mountPanel([officer]);
    await flushPromises();
    await w.find("[data-kind=decision]").trigger("click");
    await flushPromises();
    await w.find(".issue-doc").trigger("click");
    await flushPromises();
    expect(w.find(".doc-view [role=alert]").text()).toContain("案件不存在");
  });

  it("saves the printable case file and says where", async () => {
    saveCaseFile.mockResolvedValue("/data/exports/case-1-案卷.pdf");
    const w = mountPanel([assistant]);
    await flushPromises();
    await w.find(".save-case-file").trigger("click");
    await flushPromises();
    expect(saveCaseFile).toHaveBeenCalledWith("case-1");
    expect(w.find(".saved-case-file").text()).toBe("已保存：/data/exports/case-1-案卷.pdf");
  });
});
