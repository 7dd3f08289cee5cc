import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { flushPromises, mount, RouterLinkStub } from "@vue/test-utils";
import { makeI18n } from "../i18n";
import { formatTime } from "../format";
import { ElDatePicker, ElOption, ElPagination, ElSelect } from "element-plus";
import { answer, caseRow, dashboardAnswer, fakeStation } from "../testing.fixture";
import DashboardPage from "./DashboardPage.vue";
import CasesPage from "./CasesPage.vue";
import LogsPage from "./LogsPage.vue";
import PeoplePage from "./PeoplePage.vue";

beforeEach(() => sessionStorage.clear());
afterEach(() => vi.unstubAllGlobals());

const cells = (row: { findAll: (s: string) => { text: () => string }[] }) =>
  row.findAll("td").map((c) => c.text());

type Found = { findAll: (s: string) => { text: () => string; findAll: (s: string) => { text: () => string }[] }[] };
/** A table's body rows as their cells' text. */
const rowsOf = (w: Found, test: string) => w.findAll(`[data-test=${test}] tbody tr.el-table__row`).map(cells);
/** A table's column headers. */
const headsOf = (w: Found, test: string) => w.findAll(`[data-test=${test}] thead th`).map((c) => c.text());

describe("DashboardPage", () => {
  it("shows the scope, the total and every section's numbers, labels as text", async () => {
    fakeStation(() => answer(200, { ...dashboardAnswer, scope: "一中队的案件" }));
    const w = mount(DashboardPage, { global: { plugins: [makeI18n()] } });
    await flushPromises();
    expect(w.find("[data-test=scope]").text()).toBe("一中队的案件");
    expect(w.find("[data-test=total]").text()).toContain("18");
    expect(w.find("[data-test=period-text]").text()).toBe("登记时间：全部时间");
    expect(rowsOf(w, "cases-by-status")).toEqual([
      ["立案", "12"],
      ["<b>决定</b>", "6"],
    ]);
    // Station text is text, never markup.
    expect(w.find("[data-test=cases-by-status] tbody b").exists()).toBe(false);
    expect(rowsOf(w, "cases-by-domain")).toEqual([["市容环境", "18"]]);
    expect(rowsOf(w, "cases-by-squad")).toEqual([
      ["一中队", "10"],
      ["二中队", "8"],
    ]);
    expect(rowsOf(w, "cases-by-grid")).toEqual([["泉城路网格", "18"]]);

    expect(headsOf(w, "deadlines-by-squad")).toEqual(["中队", "已逾期", "即将到期"]);
    expect(rowsOf(w, "deadlines-by-squad")).toEqual([
      ["一中队", "3", "1"],
      ["二中队", "0", "2"],
    ]);
    expect(w.findAll("[data-test=deadlines-by-squad] tbody .late").map((e) => e.text())).toEqual(["3"]);
    expect(headsOf(w, "deadlines-by-officer")).toEqual(["执法人员", "已逾期", "即将到期"]);
    expect(rowsOf(w, "deadlines-by-officer")).toEqual([["37010001", "1", "0"]]);

    expect(headsOf(w, "ratio-721")).toEqual(["中队", "服务", "管理", "执法", "比例"]);
    expect(rowsOf(w, "ratio-721")).toEqual([
      ["一中队", "7", "2", "1", "70% : 20% : 10%"],
      ["二中队", "1", "1", "1", "34% : 33% : 33%"],
      ["三中队", "0", "0", "0", "—"],
    ]);
    // Each table has its chart, drawn from the same numbers (as SVG), the labels as text.
    const bars = (test: string) => w.find(`[data-test=${test}-chart]`).attributes("data-bars");
    expect(bars("cases-by-squad")).toBe("10,8");
    expect(bars("deadlines-by-squad")).toBe("3,0;1,2");
    expect(bars("ratio-721")).toBe("7,1,0;2,1,0;1,1,0");
    expect(w.find("[data-test=cases-by-status-chart] svg").exists()).toBe(true);
    expect(w.find("[data-test=cases-by-status-chart] b").exists()).toBe(false);
    // Tablets silent for days, by name, as text.
    expect(w.find("[data-test=sync-summary]").text()).toBe("在用平板 4 台，其中 1 台超过 3 天未同步");
    expect(rowsOf(w, "stale-devices")).toEqual([["<b>二中队 7 号平板</b>（pad-0007）", "二中队", "从未同步"]]);
    expect(w.find("[data-test=pending-summary]").text()).toBe("1 台平板有 3 个证据文件已登记、尚未上传到基站");
    expect(rowsOf(w, "pending-uploads")).toEqual([
      ["一中队 1 号平板（pad-0001）", "一中队", "3", "2", formatTime(Date.UTC(2026, 10, 28, 1, 2, 3))],
    ]);
    // Numbers on the right.
    const countCell = w.find("[data-test=cases-by-status] tbody tr td:last-child");
    expect(countCell.classes()).toContain("is-right");
    w.unmount();
  });

  it("asks for the days chosen, the last one included, and counts every case again when cleared", async () => {
    // The station says which period it counted.
    const seen = fakeStation((_m, url) => {
      const p = new URL(url, "https://station.example").searchParams;
      const ms = (k: string) => (p.has(k) ? Number(p.get(k)) : null);
      return answer(200, { ...dashboardAnswer, period: { from: ms("from"), to: ms("to") } });
    });
    const w = mount(DashboardPage, { global: { plugins: [makeI18n()] } });
    await flushPromises();
    const picker = w.findComponent(ElDatePicker);
    // The date picker's own picker emits `change` once both days are chosen (or it is cleared).
    const inner = picker.findComponent({ name: "Picker" });
    const choose = (days: Date[] | null) => {
      picker.vm.$emit("update:modelValue", days);
      inner.vm.$emit("change", days);
    };
    choose([new Date(2026, 10, 1), new Date(2026, 10, 30)]);
    await flushPromises();
    expect(w.find("[data-test=period-text]").text()).toBe("登记时间：2026/11/01 – 2026/11/30");
    choose(null);
    await flushPromises();
    expect(seen.map((s) => s.url)).toEqual([
      "/console/api/dashboard",
      `/console/api/dashboard?from=${new Date(2026, 10, 1).getTime()}&to=${new Date(2026, 11, 1).getTime()}`,
      "/console/api/dashboard",
    ]);
    expect(w.find("[data-test=period-text]").text()).toBe("登记时间：全部时间");
    w.unmount();
  });

  it("exports the dashboard as a CSV file that Excel reads as UTF-8", async () => {
    fakeStation(() => answer(200, dashboardAnswer));
    const blobs: Blob[] = [];
    const names: string[] = [];
    vi.spyOn(URL, "createObjectURL").mockImplementation((b) => {
      blobs.push(b as Blob);
      return "blob:dashboard";
    });
    vi.spyOn(URL, "revokeObjectURL").mockImplementation(() => {});
    vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (this: HTMLAnchorElement) {
      names.push(this.download);
    });
    const w = mount(DashboardPage, { global: { plugins: [makeI18n()] } });
    await flushPromises();
    await w.find("[data-test=export]").trigger("click");
    expect(names).toHaveLength(1);
    expect(names[0]).toMatch(/^案件统计-\d{8}\.csv$/);
    expect(blobs[0].type).toBe("text/csv;charset=utf-8");
    const bytes = new Uint8Array(await blobs[0].arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = new TextDecoder().decode(bytes);
    expect(text).toContain("期限（按中队）\r\n中队,已逾期,即将到期\r\n一中队,3,1\r\n");
    expect(text).toContain("一中队,7,2,1,70% : 20% : 10%\r\n");
    w.unmount();
    vi.restoreAllMocks();
  });
});

describe("CasesPage", () => {
  const script = "<script>alert(1)</script>";

  it("lists cases as text, searches on Enter or the button, filters and pages, with the total", async () => {
    const seen = fakeStation((_m, url) => {
      if (url.startsWith("/console/api/dashboard")) return answer(200, dashboardAnswer);
      return answer(200, {
        total: 120,
        cases: [
          caseRow({ summary: `占道经营${script}`, parties: "<img src=x onerror=alert(1)>", overdue: 2 }),
          caseRow({ id: "QC-2026-0002", status_label: "决定", address: "历下区 \"东门\"" }),
        ],
      });
    });
    const w = mount(CasesPage, {
      global: { plugins: [makeI18n()], stubs: { RouterLink: RouterLinkStub } },
      attachTo: document.body,
    });
    await flushPromises();
    const casesAsked = () => seen.filter((s) => s.url.startsWith("/console/api/cases")).map((s) => s.url);
    expect(casesAsked()).toEqual(["/console/api/cases?limit=50&offset=0"]);
    expect(seen.some((s) => s.url === "/console/api/dashboard")).toBe(true);

    expect(w.find("[data-test=case-total]").text()).toBe("共 120 件");
    const at = formatTime(caseRow().registered_at);
    expect(headsOf(w, "case-table")).toEqual([
      "",
      "登记时间",
      "中队",
      "状态",
      "领域",
      "违法行为",
      "地址",
      "当事人",
      "逾期",
      "",
    ]);
    expect(rowsOf(w, "case-table")).toEqual([
      ["", at, "一中队", "立案", "市容环境", "占道经营", "历下区泉城路 1 号", "<img src=x onerror=alert(1)>", "2", "查看"],
      ["", at, "一中队", "决定", "市容环境", "占道经营", '历下区 "东门"', "王某", "0", "查看"],
    ]);
    // Each row opens its case's page.
    expect(w.findAllComponents(RouterLinkStub).map((l) => l.props("to"))).toEqual([
      { name: "case", params: { id: "QC-2026-0001" } },
      { name: "case", params: { id: "QC-2026-0002" } },
    ]);
    expect(w.findAll("[data-test=case-table] tbody .late").map((e) => e.text())).toEqual(["2"]);

    // The summary, opened under its row: text, never markup.
    await w.find("[data-test=case-table] tbody .el-table__expand-icon").trigger("click");
    await flushPromises();
    expect(w.find("[data-test=case-summary]").text()).toBe(`占道经营${script}`);
    expect(w.find("[data-test=case-table] script").exists()).toBe(false);
    expect(w.find("[data-test=case-table] img").exists()).toBe(false);

    // Enter in the box searches; an Enter that ends a composition does not.
    const box = w.find("input[data-test=case-search]");
    await box.setValue("  泉城路 ");
    await box.trigger("keydown", { key: "Enter", isComposing: true });
    await box.trigger("keydown", { key: "Enter" });
    await flushPromises();
    // The filters: the dashboard's statuses, by their labels.
    const statusSelect = w.findAllComponents(ElSelect)[0];
    expect(statusSelect.findAllComponents(ElOption).map((o) => o.props("label"))).toEqual(["立案", "<b>决定</b>"]);
    statusSelect.vm.$emit("update:modelValue", "filed");
    statusSelect.vm.$emit("change", "filed");
    await flushPromises();
    // Page 3.
    w.findComponent(ElPagination).vm.$emit("update:current-page", 3);
    await flushPromises();
    // The button searches what is typed, from the first page again.
    await box.setValue("王某");
    await w.find("[data-test=case-search-go]").trigger("click");
    await flushPromises();

    expect(casesAsked().slice(1)).toEqual([
      "/console/api/cases?q=%E6%B3%89%E5%9F%8E%E8%B7%AF&limit=50&offset=0",
      "/console/api/cases?q=%E6%B3%89%E5%9F%8E%E8%B7%AF&status=filed&limit=50&offset=0",
      "/console/api/cases?q=%E6%B3%89%E5%9F%8E%E8%B7%AF&status=filed&limit=50&offset=100",
      "/console/api/cases?q=%E7%8E%8B%E6%9F%90&status=filed&limit=50&offset=0",
    ]);
    w.unmount();
  });

  it("says why when the station refuses, and still lets the filters take free text", async () => {
    fakeStation(() => answer(403, { code: "forbidden", message: "您的角色无权查看案件" }));
    const w = mount(CasesPage, { global: { plugins: [makeI18n()], stubs: { RouterLink: RouterLinkStub } } });
    await flushPromises();
    expect(w.find("[data-test=cases-error]").text()).toBe("您的角色无权查看案件");
    expect(w.find("[data-test=case-total]").text()).toBe("共 0 件");
    expect(w.findAllComponents(ElSelect).map((s) => s.props("allowCreate"))).toEqual([true, true, true]);
    w.unmount();
  });
});

describe("LogsPage", () => {
  it("lists sign-ins with local time and result, and says why when the role may not read operations", async () => {
    const at = Date.UTC(2026, 11, 1, 6, 30, 5);
    const seen = fakeStation((_m, url) =>
      url.includes("kind=login")
        ? answer(200, {
            entries: [
              { at, login: "zhang.wei", what: "登录", ok: true, source: "10.20.1.7" },
              { at, login: "zhang.wei", what: "登录：动态验证码错误", ok: false, source: "10.20.1.7" },
            ],
          })
        : answer(403, { code: "forbidden", message: "中队长不能查看操作日志" }),
    );
    const w = mount(LogsPage, { global: { plugins: [makeI18n()] } });
    await flushPromises();
    const rows = w.findAll("[data-test=log-entries-login] tbody tr");
    expect(rows.map(cells)).toEqual([
      [formatTime(at), "zhang.wei", "登录", "成功", "10.20.1.7"],
      [formatTime(at), "zhang.wei", "登录：动态验证码错误", "失败", "10.20.1.7"],
    ]);
    expect(formatTime(at)).toMatch(/^2026\/12\/01 \d\d:\d\d:05$/);

    const tabs = w.findAll(".el-tabs__item");
    expect(tabs.map((t) => t.text())).toEqual(["登录日志", "操作日志", "管理操作（已上链）"]);
    await tabs[1].trigger("click");
    await flushPromises();
    expect(seen.map((s) => s.url)).toEqual([
      "/console/api/logs?kind=login&limit=200",
      "/console/api/logs?kind=operation&limit=200",
    ]);
    expect(w.find("[data-test=logs-error]").text()).toBe("中队长不能查看操作日志");
  });

  it("lists the day's administration acts from the log, as text, with their entries' hashes", async () => {
    const at = Date.UTC(2026, 11, 2, 1, 0, 0);
    const seen = fakeStation((_m, url) =>
      url.startsWith("/console/api/admin-acts")
        ? answer(200, {
            acts: [
              { at, by: "wu", kind: "吊销设备", subject: "pad-1", detail: "<b>平板丢失</b>", entry: "ab".repeat(32) },
            ],
          })
        : answer(200, { entries: [] }),
    );
    const w = mount(LogsPage, { global: { plugins: [makeI18n()] } });
    await flushPromises();
    await w.findAll(".el-tabs__item")[2].trigger("click");
    await flushPromises();
    expect(seen.map((s) => s.url)).toContain("/console/api/admin-acts");
    const rows = w.findAll("[data-test=admin-acts] tbody tr");
    expect(rows.map(cells)).toEqual([
      [formatTime(at), "吊销设备", "pad-1", "<b>平板丢失</b>", "wu", "abababababab…"],
    ]);
    expect(w.find("[data-test=admin-acts] tbody b").exists()).toBe(false);
  });
});

describe("PeoplePage", () => {
  const key = (over: object) => ({
    device: "pad-0001",
    device_label: "<b>一中队 1 号平板</b>",
    not_before: Date.UTC(2026, 0, 1),
    not_after: Date.UTC(2028, 0, 1),
    state: "valid",
    state_label: "有效",
    revoked_at: null,
    reason: null,
    ...over,
  });

  it("lists each person with their keys counted by state, and their keys on expanding, as text", async () => {
    const lost = Date.UTC(2026, 10, 20, 2);
    fakeStation(() =>
      answer(200, {
        people: [
          {
            id: "li.ming",
            name: "李明",
            role: "enforcement_officer",
            role_label: "执法队员",
            squad: "一中队",
            cert_no: "37010001",
            keys: [
              key({ state: "revoked", state_label: "已吊销", revoked_at: lost, reason: "平板丢失" }),
              key({ device: "pad-0002", device_label: "一中队 2 号平板" }),
            ],
          },
          { id: "sun.li", name: "孙丽", role: "legal_reviewer", role_label: "法制审核员", squad: "局机关", cert_no: null, keys: [] },
        ],
      }),
    );
    const w = mount(PeoplePage, { global: { plugins: [makeI18n()] }, attachTo: document.body });
    await flushPromises();
    expect(headsOf(w, "people-table").slice(1)).toEqual(["姓名", "角色", "中队", "执法证号", "有效密钥", "已吊销", "已过期"]);
    expect(rowsOf(w, "people-table").map((r) => r.slice(1))).toEqual([
      ["李明", "执法队员", "一中队", "37010001", "1", "1", "0"],
      ["孙丽", "法制审核员", "局机关", "—", "0", "0", "0"],
    ]);
    await w.find("[data-test=people-table] .el-table__expand-icon").trigger("click");
    await flushPromises();
    const states = w.findAll("[data-test=key-state]").map((s) => s.text());
    expect(states).toEqual(["已吊销", "有效"]);
    expect(w.text()).toContain(`${formatTime(lost)} 平板丢失`);
    expect(w.text()).toContain("<b>一中队 1 号平板</b>（pad-0001）");
    expect(w.find("[data-test=people-table] b").exists()).toBe(false);
    w.unmount();
  });

  it("says in Chinese why the list cannot be shown", async () => {
    fakeStation(() => answer(403, { code: "forbidden", message: "当前账号无权进行此操作" }));
    const w = mount(PeoplePage, { global: { plugins: [makeI18n()] } });
    await flushPromises();
    expect(w.find("[data-test=people-error]").text()).toBe("当前账号无权进行此操作");
    w.unmount();
  });
});
