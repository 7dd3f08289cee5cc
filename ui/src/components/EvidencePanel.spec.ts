import { describe, expect, it, vi } from "vitest";
import { flushPromises, mount } from "@vue/test-utils";
import { Button, Progress } from "vant";
import { makeI18n } from "../i18n";

const evidence = vi.fn();
const records = vi.fn((): unknown[] => []);
const cosign = vi.fn();
const addEvidence = vi.fn();
const pickEvidence = vi.fn();
const importEvidence = vi.fn();
const cancelImport = vi.fn(async () => {});
const prepareMedia = vi.fn(async (_case: string, _sha: string) => {});
const footageLinks = vi.fn(async (): Promise<unknown> => ({ acts: [], proposed: {} }));
const linkEvidence = vi.fn(async (_case: string, _item: string, _acts: string[]) => {});
const deleteOriginal = vi.fn(async (_case: string, _item: string, _reason: string) => {});
vi.mock("../api", async (orig) => {
  const real = await orig<typeof import("../api")>();
  return {
    ...real,
    api: {
      evidence: () => evidence(),
      records: async () => records(),
      cosignEvidence: (id: string, item: string) => cosign(id, item),
      addEvidence: (...a: unknown[]) => addEvidence(...a),
      pickEvidence: (folder: boolean) => pickEvidence(folder),
      importEvidence: (...a: unknown[]) => importEvidence(...a),
      cancelImport: () => cancelImport(),
      mediaBase: async () => "http://127.0.0.1:4321/t0k3n/",
      prepareMedia: (id: string, sha: string) => prepareMedia(id, sha),
      blobUrl: async () => "blob:thumb",
      footageLinks: () => footageLinks(),
      linkEvidence: (id: string, item: string, acts: string[]) => linkEvidence(id, item, acts),
      deleteOriginal: (id: string, item: string, reason: string) => deleteOriginal(id, item, reason),
    },
  };
});

import EvidencePanel from "./EvidencePanel.vue";

const li = { officer: { person: "li.ming", name: "李明", cert_no: "1" }, at: 0 };
const wang = { id: "wang.fang", name: "王芳", role: "enforcement_officer", cert_no: "2", squad: "一中队" };
const item = (signatures: (typeof li)[]) => ({
  facts: {
    id: "ev1", sha256: "ab", size: 2_000_000, mime: "image/jpeg", kind: "photo", file_name: "IMG_1.jpg",
    description: "店外堆放的货物", captured_at: 0, exif: { captured_at: "2026:11:23 09:30:00", gps: { lat: 34.655123, lon: 112.454321 }, make: null, model: null },
    thumbnail: "cd",
  },
  signatures,
});

describe("EvidencePanel", () => {
  it("shows evidence awaiting a second officer as unfinished, and lets that officer co-sign", async () => {
    evidence.mockResolvedValue([item([li])]);
    const w = mount(EvidencePanel, { props: { caseId: "c1", signedIn: [wang] }, global: { plugins: [makeI18n(), Button] } });
    await flushPromises();
    expect(w.find(".item.awaiting").text()).toContain("待第二名执法人员签名");
    expect(w.text()).toContain("拍摄于 2026:11:23 09:30:00");
    expect(w.text()).toContain("拍摄位置 34.65512, 112.45432");
    expect(w.find("img.thumb").attributes("src")).toBe("blob:thumb");
    evidence.mockResolvedValue([item([li, { officer: { person: "wang.fang", name: "王芳", cert_no: "2" }, at: 1 }])]);
    await w.find(".cosign").trigger("click");
    await flushPromises();
    expect(cosign).toHaveBeenCalledWith("c1", "ev1");
    expect(w.find(".item.awaiting").exists()).toBe(false);
    expect(w.text()).toContain("已由两名执法人员签名确认");
    expect(w.emitted("changed")).toHaveLength(1);
  });

  it("does not offer a co-signature to the officer who captured it", async () => {
    evidence.mockResolvedValue([item([li])]);
    const me = { ...wang, id: "li.ming", name: "李明" };
    const w = mount(EvidencePanel, { props: { caseId: "c1", signedIn: [me] }, global: { plugins: [makeI18n(), Button] } });
    await flushPromises();
    expect(w.find(".cosign").exists()).toBe(false);
  });

  it("offers capture and co-signature only to enforcing roles, and shows a photo full size", async () => {
    evidence.mockResolvedValue([item([li])]);
    for (const role of ["assistant", "legal_reviewer"]) {
      const other = { ...wang, id: "x", role };
      const w = mount(EvidencePanel, { props: { caseId: "c1", signedIn: [other] }, global: { plugins: [makeI18n(), Button] } });
      await flushPromises();
      expect(w.find("form.capture").exists()).toBe(false);
      expect(w.find(".cosign").exists()).toBe(false);
      await w.find("img.thumb").trigger("click");
      await flushPromises();
      expect(w.find(".full-view img").attributes("src")).toBe("blob:thumb");
      await w.find(".full-view").trigger("click");
      expect(w.find(".full-view").exists()).toBe(false);
    }
  });

  it("marks a copy 经核对与原件无异 with its source, date and signer", async () => {
    evidence.mockResolvedValue([]);
    const w = mount(EvidencePanel, { props: { caseId: "c1", signedIn: [wang] }, global: { plugins: [makeI18n(), Button] } });
    await flushPromises();
    pickEvidence.mockResolvedValue(["/media/scan/营业执照.jpg"]);
    importEvidence.mockResolvedValue({ files: [{ file_name: "营业执照.jpg", evidence: "ev1", error: null }], cancelled: false });
    await w.find(".pick-files").trigger("click");
    await flushPromises();
    expect(pickEvidence).toHaveBeenCalledWith(false);
    expect(w.find(".chosen").text()).toBe("营业执照.jpg");
    await w.find("input.description").setValue("营业执照复印件");
    await w.find("input.is-copy").setValue(true);
    // Today and the officer signed in are filled in; where the original is must be said.
    expect((w.find("input.attest-date").element as HTMLInputElement).value).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect((w.find("input.attest-signer").element as HTMLInputElement).value).toBe("王芳");
    expect(w.find(".add").attributes("disabled")).toBeDefined();
    await w.find("input.attest-source").setValue("当事人提供，原件存于其店内");
    await w.find("input.attest-date").setValue("2026-11-18");
    expect(w.find(".add").attributes("disabled")).toBeUndefined();
    const attestation = { source: "当事人提供，原件存于其店内", date: "2026-11-18", signer: "王芳" };
    evidence.mockResolvedValue([{ ...item([li]), facts: { ...item([li]).facts, attestation } }]);
    await w.find("form.capture").trigger("submit");
    await flushPromises();
    expect(importEvidence).toHaveBeenCalledWith("c1", ["/media/scan/营业执照.jpg"], "营业执照复印件", attestation, expect.any(Function));
    expect(addEvidence).not.toHaveBeenCalled();
    expect(w.find(".attested").text()).toBe("经核对与原件无异 · 出处：当事人提供，原件存于其店内 · 2026-11-18 · 核对人：王芳");
  });

  it("imports a body camera's folder by path, shows how far it has come, stops when asked and says what was not taken", async () => {
    evidence.mockResolvedValue([]);
    const w = mount(EvidencePanel, { props: { caseId: "c1", signedIn: [wang] }, global: { plugins: [makeI18n(), Button, Progress] } });
    await flushPromises();
    // No folder chosen, or nothing in it to import: said, and nothing to capture.
    pickEvidence.mockResolvedValueOnce([]);
    await w.find(".pick-folder").trigger("click");
    await flushPromises();
    expect(w.find("[role=alert]").text()).toContain("没有可导入的文件");
    expect(w.find(".add").attributes("disabled")).toBeDefined();
    pickEvidence.mockResolvedValueOnce(["/media/usb/DCIM/CAM0001.MP4", "/media/usb/DCIM/CAM0002.MP4", "/media/usb/DCIM/x.txt"]);
    await w.find(".pick-folder").trigger("click");
    await flushPromises();
    expect(pickEvidence).toHaveBeenLastCalledWith(true);
    expect(w.find(".chosen").text()).toBe("已选择 3 个文件：CAM0001.MP4 等");
    let finish: (r: unknown) => void = () => {};
    importEvidence.mockImplementation((_c, _p, _d, _a, onProgress: (p: unknown) => void) => {
      onProgress({ files_done: 1, files_total: 3, bytes_done: 300, bytes_total: 400 });
      return new Promise((resolve) => (finish = resolve));
    });
    await w.find("form.capture").trigger("submit");
    await flushPromises();
    expect(w.find("[data-test=importing]").text()).toContain("已完成 1/3 个文件");
    expect(w.find(".van-progress__pivot").text()).toBe("75%");
    await w.find(".cancel-import").trigger("click");
    expect(cancelImport).toHaveBeenCalled();
    finish({
      files: [
        { file_name: "CAM0001.MP4", evidence: "ev1", error: null },
        { file_name: "x.txt", evidence: null, error: "不支持的文件类型" },
      ],
      cancelled: true,
    });
    await flushPromises();
    expect(w.find("[data-test=importing]").exists()).toBe(false);
    const said = w.find("[data-test=imported]").text();
    expect(said).toContain("已导入 1 个文件");
    expect(said).toContain("导入已停止");
    expect(said).toContain("x.txt：不支持的文件类型");
  });

  it("plays a recording from the app's loopback server, by case and file", async () => {
    const rec = item([li, { ...li, officer: { person: "wang.fang", name: "王芳", cert_no: "2" } }]);
    evidence.mockResolvedValue([{ ...rec, facts: { ...rec.facts, kind: "audio", mime: "audio/x-wav", file_name: "REC0001.WAV", sha256: "ef01", thumbnail: null } }]);
    const w = mount(EvidencePanel, { props: { caseId: "c 1", signedIn: [wang] }, global: { plugins: [makeI18n(), Button] } });
    await flushPromises();
    await w.find(".play").trigger("click");
    await flushPromises();
    // Fetched from the station first when this tablet lacks it.
    expect(prepareMedia).toHaveBeenCalledWith("c 1", "ef01");
    expect(w.find("[data-test=player] audio").attributes("src")).toBe("http://127.0.0.1:4321/t0k3n/c%201/ef01");
    await w.find(".close-player").trigger("click");
    expect(w.find("[data-test=player]").exists()).toBe(false);
  });

  it("makes a redacted copy of an original, which stays, and shows each beside the other", async () => {
    const original = item([li, { officer: { person: "wang.fang", name: "王芳", cert_no: "2" }, at: 1 }]);
    evidence.mockResolvedValue([original]);
    pickEvidence.mockResolvedValue(["/media/usb/IMG_1_masked.jpg"]);
    importEvidence.mockResolvedValue({ files: [{ file_name: "IMG_1_masked.jpg", evidence: "ev2", error: null }], cancelled: false });
    const w = mount(EvidencePanel, { props: { caseId: "c1", signedIn: [wang] }, global: { plugins: [makeI18n(), Button, Progress] } });
    await flushPromises();
    await w.find(".redact").trigger("click");
    expect(w.find(".redact-pick").attributes("disabled")).toBeDefined();
    await w.find(".redact-reason").setValue("遮挡围观群众面部，用于公开");
    const copy = {
      ...item(original.signatures),
      facts: {
        ...original.facts, id: "ev2", sha256: "cd", file_name: "IMG_1_masked.jpg", description: "店外堆放的货物（打码副本）",
        redacts: { original: "ev1", original_sha256: "ab", reason: "遮挡围观群众面部，用于公开" },
      },
    };
    evidence.mockResolvedValue([original, copy]);
    await w.find(".redact-pick").trigger("click");
    await flushPromises();
    expect(pickEvidence).toHaveBeenCalledWith(false);
    const [id, paths, description, attestation, , redacts] = importEvidence.mock.calls[importEvidence.mock.calls.length - 1];
    expect([id, paths, description, attestation]).toEqual(["c1", ["/media/usb/IMG_1_masked.jpg"], "店外堆放的货物（打码副本）", null]);
    expect(redacts).toEqual({ original: "ev1", reason: "遮挡围观群众面部，用于公开" });
    const [first, second] = w.findAll(".item");
    expect(first.text()).toContain("已有 1 个打码副本，原件保持不变");
    expect(second.text()).toContain("打码副本 · 原件：店外堆放的货物（原件保持不变）· 遮挡围观群众面部，用于公开");
    // A copy is not copied again.
    expect(second.find(".redact").exists()).toBe(false);
  });

  it("proposes the acts a body camera's clip recorded, and links those the officer ticks, signed", async () => {
    const clip = {
      ...item([li]),
      facts: {
        ...item([li]).facts, id: "clip", sha256: "ef", mime: "video/mp4", kind: "video", file_name: "CAM0001.MP4",
        description: "执法记录仪视频", thumbnail: null, span: { from: 1_000_000, to: 1_060_000 },
      },
    };
    evidence.mockResolvedValue([clip]);
    const acts = [
      { id: "r1", title: "现场检查笔录", from: 1_010_000, to: 1_900_000 },
      { id: "e9", title: "送达", from: 1_050_000, to: 1_050_000 },
    ];
    footageLinks.mockResolvedValue({ acts, proposed: { clip: ["r1"] } });
    const w = mount(EvidencePanel, { props: { caseId: "c1", signedIn: [wang] }, global: { plugins: [makeI18n(), Button] } });
    await flushPromises();
    expect(w.find(".proposed").text()).toContain("可能记录：现场检查笔录");
    await w.find(".link").trigger("click");
    // The proposed act ticked; the officer adds the delivery it also filmed.
    const boxes = w.findAll(".link-act input");
    expect(boxes.map((b) => (b.element as HTMLInputElement).checked)).toEqual([true, false]);
    await boxes[1].setValue(true);
    evidence.mockResolvedValue([{ ...clip, links: [{ acts: ["r1", "e9"], by: { person: "wang.fang", name: "王芳", cert_no: "2" }, at: 2 }] }]);
    footageLinks.mockResolvedValue({ acts, proposed: {} });
    expect(w.find(".link-confirm").text()).toContain("王芳 确认并签名");
    await w.find(".link-confirm").trigger("click");
    await flushPromises();
    expect(linkEvidence).toHaveBeenCalledWith("c1", "clip", ["r1", "e9"]);
    expect(w.find(".link-form").exists()).toBe(false);
    expect(w.find(".linked").text()).toBe("关联执法记录：现场检查笔录、送达（王芳 确认）");
    expect(w.find(".proposed").exists()).toBe(false);
  });

  it("lets only the head delete an original, with a reason, and keeps the item and its hash", async () => {
    const sealedItem = item([li, { officer: { person: "wang.fang", name: "王芳", cert_no: "2" }, at: 1 }]);
    evidence.mockResolvedValue([sealedItem]);
    const w = mount(EvidencePanel, { props: { caseId: "c1", signedIn: [wang] }, global: { plugins: [makeI18n(), Button] } });
    await flushPromises();
    expect(w.find(".delete").exists()).toBe(false);
    const zhou = { id: "zhou.wen", name: "周文", role: "head", cert_no: "9", squad: "" };
    const h = mount(EvidencePanel, { props: { caseId: "c1", signedIn: [zhou] }, global: { plugins: [makeI18n(), Button] } });
    await flushPromises();
    await h.find(".delete").trigger("click");
    expect(h.find(".delete-confirm").attributes("disabled")).toBeDefined();
    await h.find(".delete-reason").setValue("仅拍到无关路人");
    evidence.mockResolvedValue([{ ...sealedItem, deleted: { reason: "仅拍到无关路人", by: { person: "zhou.wen", name: "周文", cert_no: "9" }, at: 2 } }]);
    expect(h.find(".delete-confirm").text()).toContain("负责人 周文 批准删除");
    await h.find(".delete-confirm").trigger("click");
    await flushPromises();
    expect(deleteOriginal).toHaveBeenCalledWith("c1", "ev1", "仅拍到无关路人");
    expect(h.find(".deleted").text()).toContain("原件已经负责人 周文 批准删除：仅拍到无关路人");
    expect(h.find(".delete").exists()).toBe(false);
    expect(h.find(".redact").exists()).toBe(false);
  });

  it("says nothing is linked when the officer unticks every act", async () => {
    const clip = { ...item([li]), facts: { ...item([li]).facts, id: "clip", kind: "audio", thumbnail: null } };
    evidence.mockResolvedValue([clip]);
    footageLinks.mockResolvedValue({ acts: [{ id: "r1", title: "现场检查笔录", from: 1, to: 2 }], proposed: {} });
    const w = mount(EvidencePanel, { props: { caseId: "c1", signedIn: [wang] }, global: { plugins: [makeI18n(), Button] } });
    await flushPromises();
    await w.find(".link").trigger("click");
    expect(w.find(".link-confirm").attributes("disabled")).toBeDefined();
    linkEvidence.mockClear();
    await w.find(".link-confirm").trigger("click");
    expect(linkEvidence).not.toHaveBeenCalled();
  });
});
