import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { flushPromises, mount } from "@vue/test-utils";
import { Button, NavBar, Progress } from "vant";
import { makeI18n } from "../i18n";

// The panel talks to the app only through ../api; here that module answers from memory.
const syncStatus = vi.fn();
const sync = vi.fn();
const inspectionTasks = vi.fn();
const inspectionReports = vi.fn();
const reportInspection = vi.fn();
const setAside = vi.fn();
vi.mock("../api", async (orig) => {
  const real = await orig<typeof import("../api")>();
  return {
    ...real,
    api: {
      syncStatus: () => syncStatus(),
      inspectionTasks: () => inspectionTasks(),
      inspectionReports: () => inspectionReports(),
      reportInspection: (found: unknown) => reportInspection(found),
      setAside: (caseId: string) => setAside(caseId),
      sync: (onProgress: (p: unknown) => void) => sync(onProgress),
    },
  };
});

import SyncPanel from "./SyncPanel.vue";
import { ApiError } from "../api";

const mountPanel = () =>
  mount(SyncPanel, { global: { plugins: [makeI18n(), Button, NavBar, Progress] } });

const status = (entries: number, files = 0) => ({
  station: "https://127.0.0.1:8443",
  unsynced_entries: entries,
  unsynced_cases: entries ? 1 : 0,
  pending_files: files,
  log_size: 91,
});

describe("SyncPanel", () => {
  beforeEach(() => {
    syncStatus.mockReset();
    sync.mockReset();
    inspectionTasks.mockReset();
    inspectionTasks.mockResolvedValue([]);
    inspectionReports.mockReset();
    inspectionReports.mockResolvedValue([]);
    reportInspection.mockReset();
    setAside.mockReset();
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
  });
  afterEach(() => {
    vi.runOnlyPendingTimers();
    vi.useRealTimers();
  });

  it("says what waits for the station", async () => {
    syncStatus.mockResolvedValue(status(5, 2));
    const w = mountPanel();
    await flushPromises();
    expect(w.text()).toContain("基站 https://127.0.0.1:8443");
    expect(w.text()).toContain("待上传：5 条签名记录、1 件案件的修改、2 个证据文件");
    expect(w.text()).toContain("基站日志已核验至第 91 条");
  });

  const task = {
    draw: "draw-1",
    title: "沿街商户市容秩序抽查",
    drawn_at: Date.UTC(2026, 11, 1, 4),
    target: { id: "T1", name: "<b>一号商店</b>", address: "解放路1号", category: "沿街商户" },
    inspectors: [
      { id: "li.ming", name: "李明", squad: "一中队" },
      { id: "wang.fang", name: "王芳", squad: "一中队" },
    ],
  };

  it("lists the random inspection tasks the last sync brought, as text", async () => {
    syncStatus.mockResolvedValue(status(0));
    inspectionTasks.mockResolvedValue([task]);
    const w = mountPanel();
    await flushPromises();
    const tasks = w.find("[data-test=inspection-tasks]");
    expect(tasks.text()).toContain("双随机抽查任务");
    expect(tasks.text()).toContain("<b>一号商店</b>（解放路1号）");
    expect(tasks.text()).toContain("检查人员：李明、王芳");
    expect(tasks.find("b").exists()).toBe(false);
  });

  it("records what the two inspectors found, signed, and shows it on the task", async () => {
    syncStatus.mockResolvedValue(status(0));
    inspectionTasks.mockResolvedValue([task]);
    const w = mountPanel();
    await flushPromises();
    expect(w.find("[data-test=task-reported]").exists()).toBe(false);
    await w.find("[data-test=task-record]").trigger("click");
    // A case number is asked for only when a case was filed.
    expect(w.find("[data-test=task-case]").exists()).toBe(false);
    await w.find("[data-test=task-outcome-case_filed]").setValue(true);
    await w.find("[data-test=task-case]").setValue("C-2026-001");
    await w.find("[data-test=task-note]").setValue("门前堆物");
    // Refused first (one inspector signed in): said, the form kept.
    reportInspection.mockRejectedValueOnce(new ApiError("invalid", "检查结果须由抽中的两名执法人员（李明、王芳）签名"));
    await w.find("[data-test=task-form]").trigger("submit");
    await flushPromises();
    expect(w.find("[data-test=task-error]").text()).toContain("抽中的两名执法人员");
    expect(w.find("[data-test=task-case]").element).toHaveProperty("value", "C-2026-001");
    const signed = {
      draw: "draw-1",
      target: "T1",
      outcome: "case_filed",
      case: "C-2026-001",
      note: "门前堆物",
      reported_at: Date.UTC(2026, 11, 2, 3),
    };
    reportInspection.mockResolvedValueOnce(signed);
    inspectionReports.mockResolvedValue([signed]);
    await w.find("[data-test=task-form]").trigger("submit");
    await flushPromises();
    expect(reportInspection).toHaveBeenLastCalledWith({
      draw: "draw-1",
      target: "T1",
      outcome: "case_filed",
      case: "C-2026-001",
      note: "门前堆物",
    });
    expect(w.find("[data-test=task-form]").exists()).toBe(false);
    expect(w.find("[data-test=task-reported]").text()).toContain("本机已记录：发现违法行为，已立案查处");
  });

  it("lists what the station refused and sets a case's records aside when asked", async () => {
    const refused = {
      ...status(3),
      refused: [
        { case: "C-7", address: "建设路3号", entries: 2, reasons: ["第2条记录：王芳的证书已被吊销"], can_set_aside: true },
      ],
    };
    syncStatus.mockResolvedValueOnce(refused).mockResolvedValue(status(3));
    setAside.mockResolvedValue({ case: "C-7", entries: 2, case_removed: false });
    const w = mountPanel();
    await flushPromises();
    const card = w.find("[data-test=refused]");
    expect(card.text()).toContain("案件 C-7：2 条记录被拒收（建设路3号）");
    expect(card.text()).toContain("王芳的证书已被吊销");
    expect(setAside).not.toHaveBeenCalled();
    await w.find("[data-test=set-aside-C-7]").trigger("click");
    await flushPromises();
    expect(setAside).not.toHaveBeenCalled();
    expect(w.find("[data-test=set-aside-confirm]").text()).toContain("不可撤销");
    await w.find("[data-test=set-aside-yes-C-7]").trigger("click");
    await flushPromises();
    expect(setAside).toHaveBeenCalledWith("C-7");
    expect(w.find("[data-test=set-aside-done]").text()).toContain("已搁置案件 C-7 的 2 条记录");
    expect(w.find("[data-test=refused]").exists()).toBe(false);
  });

  it("offers nothing to set aside for records this tablet cannot set aside", async () => {
    syncStatus.mockResolvedValue({
      ...status(1),
      refused: [
        { case: "", address: "", entries: 3, reasons: ["y"], can_set_aside: false },
        { case: "C-9", address: "", entries: 1, reasons: ["第1条记录：签名无法验证"], can_set_aside: false },
      ],
    });
    const w = mountPanel();
    await flushPromises();
    expect(w.find("[data-test=refused]").text()).toContain("另有 3 条记录被拒收，无法在本机搁置");
    // Refused for how it arrived: it goes up again, nothing to set aside.
    expect(w.find("[data-test=refused-retry]").text()).toContain("下次同步将重新上传");
    expect(w.find("[data-test^=set-aside]").exists()).toBe(false);
  });

  it("says why nothing was set aside", async () => {
    syncStatus.mockResolvedValue({
      ...status(1),
      refused: [{ case: "C-8", address: "", entries: 1, reasons: ["x"], can_set_aside: true }],
    });
    setAside.mockRejectedValue(new ApiError("invalid", "输入无效：请执法人员登录后搁置记录"));
    const w = mountPanel();
    await flushPromises();
    await w.find("[data-test=set-aside-C-8]").trigger("click");
    await w.find("[data-test=set-aside-yes-C-8]").trigger("click");
    await flushPromises();
    expect(w.find("[role=alert].failure").text()).toContain("请执法人员登录后搁置记录");
    expect(w.find("[data-test=refused]").exists()).toBe(true);
  });

  it("shows no task list when no task is held", async () => {
    syncStatus.mockResolvedValue(status(0));
    const w = mountPanel();
    await flushPromises();
    expect(w.find("[data-test=inspection-tasks]").exists()).toBe(false);
  });

  it("cannot sync before the device is enrolled", async () => {
    syncStatus.mockResolvedValue({ ...status(0), station: null });
    const w = mountPanel();
    await flushPromises();
    expect(w.text()).toContain("本机尚未设置基站");
    expect(w.find("button.start").attributes("disabled")).toBeDefined();
  });

  it("shows progress in items and bytes, then what was sent and received", async () => {
    syncStatus.mockResolvedValueOnce(status(5, 1)).mockResolvedValue(status(0));
    let report: (r: unknown) => void = () => {};
    sync.mockImplementation((onProgress: (p: unknown) => void) => {
      onProgress({ stage: "evidence", items_done: 0, items_total: 1, bytes_done: 1_500_000, bytes_total: 3_000_000 });
      return new Promise((resolve) => (report = resolve));
    });
    const w = mountPanel();
    await flushPromises();
    await w.find("button.start").trigger("click");
    await flushPromises();
    expect(w.text()).toContain("上传证据文件 0/1（1.5/3.0 MB）");
    report({ sent: 5, docs_sent: 1, docs_received: 2, receipts: 5, blobs_sent: 1, blob_bytes: 3_000_000, log_size: 96 });
    await flushPromises();
    expect(w.find("[role=status]").text()).toContain(
      "上传 5 条记录，收到并核验 5 份回执；案件上传 1 件、接收 2 件；证据文件上传 1 个（3.0 MB）",
    );
    expect(w.text()).toContain("本机记录均已上传基站");
  });

  it("explains a failure in plain words and retries", async () => {
    syncStatus.mockResolvedValue(status(5));
    sync.mockRejectedValueOnce(new ApiError("station_unreachable", "无法连接基站，请确认已连接基站网络后重试"));
    const w = mountPanel();
    await flushPromises();
    await w.find("button.start").trigger("click");
    await flushPromises();
    const alert = w.find("[role=alert]").text();
    expect(alert).toContain("无法连接基站");
    expect(alert).toContain("本机记录未受影响");
    sync.mockResolvedValue({ sent: 5, docs_sent: 1, docs_received: 0, receipts: 5, blobs_sent: 0, blob_bytes: 0, log_size: 96 });
    await w.find("[role=alert] button").trigger("click");
    await flushPromises();
    expect(w.find("[role=alert]").exists()).toBe(false);
    expect(w.find("[role=status]").text()).toContain("同步完成");
  });
});
