import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { flushPromises, mount } from "@vue/test-utils";
import { createMemoryHistory, createRouter } from "vue-router";
import { makeI18n } from "../i18n";
import { formatTime } from "../format";
import type { CasePage } from "../api";
import { answer, fakeStation, zhang } from "../testing.fixture";
import { account } from "../session";
import CaseFilePage from "./CaseFilePage.vue";

beforeEach(() => sessionStorage.clear());
afterEach(() => {
  vi.unstubAllGlobals();
  account.value = null;
});

const PHOTO = "ab".repeat(32);
const PDF = "cd".repeat(32);
const GONE = "ef".repeat(32);

const casePage = (over: Partial<CasePage> = {}): CasePage => ({
  id: "QC-2026-0001",
  squad: "一中队",
  status: "filed",
  status_label: "立案",
  facts: {
    domain_name: "市容环境",
    violation_name: "占道经营",
    address: "历下区泉城路 1 号",
    grid: "泉城路网格",
    parties: "王某",
    summary: "<script>window.__pwned=1</script>流动摊贩",
    registered_at: Date.UTC(2026, 10, 3, 1, 2, 3),
    updated_at: Date.UTC(2026, 10, 4, 1, 2, 3),
    deadlines: [{ label: "作出处罚决定", due_at: Date.UTC(2026, 11, 3), urgency: "overdue", urgency_label: "已逾期" }],
  },
  check: {
    intact: true,
    checked_at: Date.UTC(2026, 11, 1, 8),
    entries_verified: 7,
    logged: 7,
    entries: 7,
    problems: [],
  },
  items: [
    {
      no: 1,
      section: "filing",
      section_zh: "立案材料",
      title: "案件登记",
      time: Date.UTC(2026, 10, 3, 1, 2, 3),
      signers: ["李明", "王芳"],
      device: "tablet-1",
      seq: 3,
      entry: "ef".repeat(32),
    },
  ],
  reviews: [],
  may_review: false,
  checklist: [],
  evidence: [
    { hash: PHOTO, size: 2_516_582, intact: true, deleted: false, media: "image/jpeg", play: null },
    { hash: PDF, size: null, intact: false, deleted: false, media: "application/octet-stream", play: null },
    { hash: GONE, size: null, intact: false, deleted: true, media: "application/octet-stream", play: null },
  ],
  ...over,
});

async function mountAt(path: string) {
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: "/cases", name: "cases", component: { template: "<div />" } },
      { path: "/cases/:id", name: "case", component: CaseFilePage },
    ],
  });
  await router.push(path);
  await router.isReady();
  const w = mount(CaseFilePage, { global: { plugins: [makeI18n(), router] }, attachTo: document.body });
  await flushPromises();
  return w;
}

describe("CaseFilePage", () => {
  it("shows the case, its table of contents and files as text, and a verified record in green", async () => {
    const seen = fakeStation(() => answer(200, casePage()));
    const w = await mountAt("/cases/QC-2026-0001");
    expect(seen.map((s) => s.url)).toEqual(["/console/api/cases/QC-2026-0001"]);
    const check = w.find("[data-test=record-check]");
    expect(check.attributes("data-intact")).toBe("true");
    expect(check.classes()).toContain("intact");
    expect(w.find("[data-test=record-verdict]").text()).toBe("全过程记录核验通过");
    expect(check.text()).toContain(`核验相关设备的签名记录 7 条，其中 7/7 条已在基站日志中得到证明；核验时间 ${formatTime(Date.UTC(2026, 11, 1, 8))}`);
    expect(w.find("[data-test=record-problems]").exists()).toBe(false);
    expect(w.find("[data-test=case-summary]").text()).toBe("<script>window.__pwned=1</script>流动摊贩");
    expect(w.find("[data-test=case-facts] script").exists()).toBe(false);
    expect(w.find("[data-test=case-deadline]").classes()).toContain("overdue");
    const items = w.findAll("[data-test=case-items] tbody tr.el-table__row").map((r) => r.findAll("td").map((c) => c.text()));
    expect(items).toEqual([["1", "立案材料", "案件登记", formatTime(Date.UTC(2026, 10, 3, 1, 2, 3)), "李明、王芳", "tablet-1 #3"]]);
    const files = w.findAll("[data-test=case-evidence] tbody tr.el-table__row").map((r) => r.findAll("td").map((c) => c.text()));
    expect(files).toEqual([
      [`${PHOTO.slice(0, 16)}…`, "image/jpeg", "2.4 MiB", "完好", "查看"],
      [`${PDF.slice(0, 16)}…`, "application/octet-stream", "—", "缺失或损坏", ""],
      // An original deleted with the head's approval: its hash stays, said as deleted.
      [`${GONE.slice(0, 16)}…`, "application/octet-stream", "—", "经批准删除", ""],
    ]);
    w.unmount();
  });

  it("shows a record with problems in red, each problem listed, and checks again on asking", async () => {
    let broken = false;
    const seen = fakeStation(() =>
      answer(
        200,
        broken
          ? casePage({
              check: { ...casePage().check, intact: false, problems: ["证据文件 abababababab 缺失或被替换"] },
            })
          : casePage(),
      ),
    );
    const w = await mountAt("/cases/QC-2026-0001");
    expect(w.find("[data-test=record-check]").attributes("data-intact")).toBe("true");
    broken = true;
    await w.find("[data-test=check-again]").trigger("click");
    await flushPromises();
    expect(seen).toHaveLength(2);
    const check = w.find("[data-test=record-check]");
    expect(check.attributes("data-intact")).toBe("false");
    expect(check.classes()).toContain("broken");
    expect(w.find("[data-test=record-verdict]").text()).toBe("全过程记录核验发现问题");
    expect(w.findAll("[data-test=record-problems] li").map((l) => l.text())).toEqual(["证据文件 abababababab 缺失或被替换"]);
    w.unmount();
  });

  it("fetches a photo through the console's API and shows it from a blob URL", async () => {
    const seen = fakeStation((_m, url) =>
      url.includes("/evidence/")
        ? new Response(new Uint8Array([0xff, 0xd8, 0xff, 0xe0]), { status: 200, headers: { "content-type": "image/jpeg" } })
        : answer(200, casePage()),
    );
    const original = { create: URL.createObjectURL, revoke: URL.revokeObjectURL };
    const created = vi.fn(() => "blob:photo-1");
    const revoked = vi.fn();
    URL.createObjectURL = created;
    URL.revokeObjectURL = revoked;
    try {
      const w = await mountAt("/cases/QC-2026-0001");
      await w.find("[data-test=open-file]").trigger("click");
      await flushPromises();
      const asked = seen.find((s) => s.url.includes("/evidence/"));
      expect(asked?.url).toBe(`/console/api/cases/QC-2026-0001/evidence/${PHOTO}`);
      expect(asked?.credentials).toBe("same-origin");
      expect(created).toHaveBeenCalledTimes(1);
      expect(document.querySelector("[data-test=photo]")?.getAttribute("src")).toBe("blob:photo-1");
      // Leaving the page lets go of the photo's bytes.
      w.unmount();
      expect(revoked).toHaveBeenCalledWith("blob:photo-1");
    } finally {
      URL.createObjectURL = original.create;
      URL.revokeObjectURL = original.revoke;
    }
  });

  it("shows an issued document's PDF in the browser's viewer from a blob URL", async () => {
    const DOC = "ef".repeat(32);
    fakeStation((_m, url) =>
      url.includes("/evidence/")
        ? new Response(new TextEncoder().encode("%PDF-1.7"), { status: 200, headers: { "content-type": "application/pdf" } })
        : answer(200, casePage({ evidence: [{ hash: DOC, size: 8, intact: true, deleted: false, media: "application/pdf", play: null }] })),
    );
    const original = { create: URL.createObjectURL, revoke: URL.revokeObjectURL };
    URL.createObjectURL = vi.fn(() => "blob:doc-1");
    URL.revokeObjectURL = vi.fn();
    try {
      const w = await mountAt("/cases/QC-2026-0001");
      const button = w.find("[data-test=open-file]");
      expect(button.text()).toBe("查看");
      await button.trigger("click");
      await flushPromises();
      const frame = document.querySelector("[data-test=pdf-preview]");
      expect(frame?.tagName).toBe("IFRAME");
      expect(frame?.getAttribute("src")).toBe("blob:doc-1");
      expect(document.querySelector("[data-test=photo]")).toBeNull();
      w.unmount();
    } finally {
      URL.createObjectURL = original.create;
      URL.revokeObjectURL = original.revoke;
    }
  });

  it("plays a recording from its player address, never fetching it whole, and says when it cannot", async () => {
    const AUDIO = "12".repeat(32);
    const seen = fakeStation(() =>
      answer(
        200,
        casePage({
          id: "QC/2026 1",
          evidence: [{ hash: AUDIO, size: 10_584_044, intact: true, deleted: false, media: "audio/wav", play: "token-1" }],
        }),
      ),
    );
    const w = await mountAt("/cases/QC-2026-0001");
    const row = w.find("[data-test=case-evidence] tbody tr.el-table__row");
    expect(row.find("[data-test=play-file]").text()).toBe("播放");
    expect(row.find("[data-test=open-file]").text()).toBe("下载");
    await row.find("[data-test=play-file]").trigger("click");
    await flushPromises();
    const player = document.querySelector("[data-test=player]") as HTMLAudioElement | null;
    expect(player?.tagName).toBe("AUDIO");
    expect(player?.getAttribute("src")).toBe(`/console/api/cases/QC%2F2026%201/play/${AUDIO}/token-1`);
    expect(player?.getAttribute("preload")).toBe("metadata");
    // The element reads the file itself; the page made no call for it.
    expect(seen.map((s) => s.url)).toEqual(["/console/api/cases/QC-2026-0001"]);
    expect(document.querySelector("[data-test=play-error]")).toBeNull();
    player?.dispatchEvent(new Event("error"));
    await flushPromises();
    expect(document.querySelector("[data-test=play-error]")?.textContent).toContain("无法播放该文件");
    w.unmount();
  });

  it("plays a video in a video element", async () => {
    const VIDEO = "34".repeat(32);
    fakeStation(() =>
      answer(200, casePage({ evidence: [{ hash: VIDEO, size: 1000, intact: true, deleted: false, media: "video/mp4", play: "t" }] })),
    );
    const w = await mountAt("/cases/QC-2026-0001");
    await w.find("[data-test=play-file]").trigger("click");
    await flushPromises();
    expect(document.querySelector("[data-test=player]")?.tagName).toBe("VIDEO");
    w.unmount();
  });

  it("says in Chinese why a case cannot be shown", async () => {
    fakeStation(() => answer(404, { code: "not_found", message: "没有该案件或文件，或当前账号无权查看" }));
    const w = await mountAt("/cases/QC-OTHER");
    expect(w.find("[data-test=case-error]").text()).toBe("没有该案件或文件，或当前账号无权查看");
    expect(w.find("[data-test=record-check]").exists()).toBe(false);
    w.unmount();
  });

  it("exports a signed case file after the password is typed again, and says why it could not", async () => {
    account.value = zhang;
    let tries = 0;
    const seen = fakeStation((method, url) => {
      if (method === "POST" && url.endsWith("/export")) {
        tries += 1;
        if (tries === 1) return answer(422, { code: "wrong_password", message: "密码不正确，未签名" });
        return new Response(new Uint8Array([1, 2, 3]), {
          status: 200,
          headers: {
            "content-type": "application/x-tar",
            "content-disposition": 'attachment; filename="QC-2026-0001-1.qcbundle"',
            "x-quancheng-verdict": "intact",
            "x-quancheng-problems": "0",
          },
        });
      }
      return answer(200, casePage());
    });
    const original = { create: URL.createObjectURL, revoke: URL.revokeObjectURL };
    const created = vi.fn(() => "blob:bundle-1");
    URL.createObjectURL = created;
    URL.revokeObjectURL = vi.fn();
    try {
      const w = await mountAt("/cases/QC-2026-0001");
      await w.find("[data-test=export-case]").trigger("click");
      await flushPromises();
      const box = document.querySelector<HTMLInputElement>("input[data-test=export-password], [data-test=export-password] input");
      const confirm = () => (document.querySelector("[data-test=export-confirm]") as HTMLElement).click();
      // Nothing typed: asked for it, nothing sent.
      confirm();
      await flushPromises();
      expect(document.querySelector("[data-test=export-error]")?.textContent).toBe("请输入登录密码");
      box!.value = "wrong";
      box!.dispatchEvent(new Event("input"));
      confirm();
      await flushPromises();
      expect(document.querySelector("[data-test=export-error]")?.textContent).toBe("密码不正确，未签名");
      box!.value = "right password";
      box!.dispatchEvent(new Event("input"));
      confirm();
      await flushPromises();
      const posts = seen.filter((s) => s.method === "POST");
      expect(posts.map((s) => [s.url, s.body])).toEqual([
        ["/console/api/cases/QC-2026-0001/export", { password: "wrong" }],
        ["/console/api/cases/QC-2026-0001/export", { password: "right password" }],
      ]);
      expect(created).toHaveBeenCalledTimes(1);
      w.unmount();
    } finally {
      URL.createObjectURL = original.create;
      URL.revokeObjectURL = original.revoke;
    }
  });

  it("offers no export to supervision, who only reads", async () => {
    account.value = { ...zhang, role: "supervision", role_label: "督察", squads: [] };
    fakeStation(() => answer(200, casePage()));
    const w = await mountAt("/cases/QC-2026-0001");
    expect(w.find("[data-test=export-case]").exists()).toBe(false);
    w.unmount();
  });

  it("shows a case's reviews as text, and signs a review scored line by line with the password", async () => {
    account.value = zhang;
    const checklist = [
      { key: "facts", zh: "事实清楚", max: 15 },
      { key: "evidence", zh: "证据确凿充分", max: 20 },
    ];
    const earlier = {
      entry: "ee".repeat(32),
      time: Date.UTC(2026, 10, 20, 2),
      signers: ["法制科 孙丽"],
      review: {
        case: "QC-2026-0001",
        items: [
          { key: "facts", score: 15, comment: "" },
          { key: "evidence", score: 12, comment: "<b>照片</b>未经两人签名" },
        ],
        total: 27,
        grade: "failing" as const,
        comment: "证据不足",
      },
    };
    let reviewed = false;
    const seen = fakeStation((method, url) => {
      if (method === "POST" && url.endsWith("/reviews")) {
        reviewed = true;
        return answer(200, { ...earlier.review, total: 33, grade: "failing" });
      }
      return answer(
        200,
        casePage({ status: "closed", may_review: true, checklist, reviews: reviewed ? [earlier, earlier] : [earlier] }),
      );
    });
    const w = await mountAt("/cases/QC-2026-0001");
    expect(w.find("[data-test=review-total]").text()).toBe("27 分");
    expect(w.find("[data-test=review-grade]").text()).toBe("不合格");
    expect(w.find("[data-test=review-comment]").text()).toBe("评查意见：证据不足");
    expect(w.find("[data-test=review]").text()).toContain("<b>照片</b>未经两人签名");
    expect(w.find("[data-test=review] b").exists()).toBe(false);

    await w.find("[data-test=review-case]").trigger("click");
    await flushPromises();
    const sum = () => document.querySelector("[data-test=review-sum]")?.textContent;
    expect(sum()).toBe("35 分");
    const typeIn = async (css: string, value: string) => {
      const box = document.querySelector<HTMLInputElement | HTMLTextAreaElement>(`input[data-test=${css}], textarea[data-test=${css}], [data-test=${css}] input, [data-test=${css}] textarea`)!;
      box.value = value;
      box.dispatchEvent(new Event("input"));
      box.dispatchEvent(new Event("change"));
      await flushPromises();
    };
    await typeIn("score-evidence", "18");
    expect(sum()).toBe("33 分");
    await typeIn("reason-evidence", "一张照片缺第二名执法人员签名");
    await typeIn("review-opinion", "基本规范");
    await typeIn("review-password", "pw");
    (document.querySelector("[data-test=review-confirm]") as HTMLElement).click();
    await flushPromises();
    const sent = seen.find((s) => s.method === "POST");
    expect(sent?.url).toBe("/console/api/cases/QC-2026-0001/reviews");
    expect(sent?.body).toEqual({
      items: [
        { key: "facts", score: 15, comment: "" },
        { key: "evidence", score: 18, comment: "一张照片缺第二名执法人员签名" },
      ],
      comment: "基本规范",
      password: "pw",
    });
    // Reloaded after signing: the page shows what the station now holds.
    expect(w.findAll("[data-test=review]")).toHaveLength(2);
    w.unmount();
  });

  it("offers no review where the account may not review", async () => {
    fakeStation(() => answer(200, casePage({ status: "closed", may_review: false })));
    const w = await mountAt("/cases/QC-2026-0001");
    expect(w.find("[data-test=review-case]").exists()).toBe(false);
    expect(w.find("[data-test=no-reviews]").text()).toBe("尚未评查");
    w.unmount();
  });
});
