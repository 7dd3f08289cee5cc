import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { flushPromises, mount } from "@vue/test-utils";
import {
  Button, DropdownItem, DropdownMenu, Empty, List, Loading, NavBar, PullRefresh, Search, Tag,
} from "vant";
import { makeI18n } from "../i18n";

// The component talks to the app only through ../api; here that module answers from memory.
const listCases = vi.fn();
const countCases = vi.fn();
vi.mock("../api", async (orig) => {
  const real = await orig<typeof import("../api")>();
  return {
    ...real,
    api: {
      listCases: (f: unknown) => listCases(f),
      countCases: (f: unknown) => countCases(f),
      grids: async () => ["G1", "G2"],
      catalogue: async () => [{ code: "environment", name: "环境保护", violations: [] }],
      appInfo: async () => ({ data_dir: "/d", device_id: "device-1", case_count: 2, overdue: 3, due_soon: 1 }),
      unsyncedCases: async () => ["a"],
    },
  };
});

import CaseList from "./CaseList.vue";
import { ApiError } from "../api";

const mountList = () =>
  mount(CaseList, {
    global: {
      plugins: [makeI18n(), Button, DropdownItem, DropdownMenu, Empty, List, Loading, NavBar, PullRefresh, Search, Tag],
    },
  });

const row = (id: string, violation_name: string) => ({
  id, squad: "一中队", status: "filed", domain: "environment", domain_name: "环境保护",
  violation: "environment.x", violation_name, source: "self_discovered", address: "路口",
  grid: "G1", parties: "", summary: "", registered_at: 0, updated_at: 0, deadlines: [], anomalies: 0, people: [],
});

describe("CaseList", () => {
  // Vant re-measures some components on timers up to 300 ms after mounting; fake timers run them
  // here, while the test's window still exists, instead of after the file's environment is gone.
  beforeEach(() => {
    listCases.mockReset();
    countCases.mockReset();
    countCases.mockResolvedValue(2);
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
  });
  afterEach(() => {
    vi.runOnlyPendingTimers();
    vi.useRealTimers();
  });

  it("lists the cases from the store with the count", async () => {
    listCases.mockResolvedValue([row("a", "露天烧烤"), row("b", "违法建设")]);
    const w = mountList();
    await flushPromises();
    expect(w.findAll(".case-card")).toHaveLength(2);
    expect(w.text()).toContain("共 2 件 / 本机 2 件");
    expect(w.text()).toContain("本机 device-1");
    expect(w.find("[data-case-id=a] .unsynced").text()).toBe("未同步");
    expect(w.find("[data-case-id=b] .unsynced").exists()).toBe(false);
  });

  it("fetches a page at a time as the officer scrolls, and says how many match", async () => {
    const page = (from: number, n: number) => Array.from({ length: n }, (_, i) => row(`c${from + i}`, "占道经营"));
    listCases.mockImplementation(async (f: { offset?: number }) => (f.offset ? page(40, 5) : page(0, 40)));
    countCases.mockResolvedValue(45);
    const w = mountList();
    await flushPromises();
    expect(w.findAll(".case-card")).toHaveLength(40);
    expect(w.text()).toContain("共 45 件");
    expect(listCases).toHaveBeenCalledWith(expect.objectContaining({ limit: 40 }));
    w.findComponent(List).vm.$emit("load");
    await flushPromises();
    expect(listCases).toHaveBeenLastCalledWith(expect.objectContaining({ offset: 40, limit: 40 }));
    expect(w.findAll(".case-card")).toHaveLength(45);
    expect(w.text()).toContain("已显示全部");
  });

  it("searches as the officer types", async () => {
    listCases.mockResolvedValue([]);
    const w = mountList();
    await flushPromises();
    await w.find("input").setValue("烧烤");
    vi.advanceTimersByTime(250);
    await flushPromises();
    expect(listCases).toHaveBeenLastCalledWith(expect.objectContaining({ text: "烧烤" }));
    expect(w.text()).toContain("没有符合条件的案件");
  });

  it("shows what is overdue and filters by it when tapped", async () => {
    listCases.mockResolvedValue([]);
    const w = mountList();
    await flushPromises();
    expect(w.find(".todo-overdue").text()).toBe("已逾期 3 件");
    expect(w.find(".todo-soon").text()).toBe("即将到期 1 件");
    await w.find(".todo-overdue").trigger("click");
    await flushPromises();
    expect(listCases).toHaveBeenLastCalledWith(expect.objectContaining({ due: "overdue" }));
    await w.find(".todo-overdue").trigger("click");
    await flushPromises();
    expect(listCases).toHaveBeenLastCalledWith(expect.objectContaining({ due: undefined }));
  });

  it("shows the error in Chinese with a retry", async () => {
    listCases.mockRejectedValueOnce(new ApiError("store_wrong_key_or_damaged", "无法打开数据文件：密钥错误或文件已损坏"));
    const w = mountList();
    await flushPromises();
    expect(w.find("[role=alert]").text()).toContain("密钥错误或文件已损坏");
    listCases.mockResolvedValue([row("a", "露天烧烤")]);
    await w.find("[role=alert] button").trigger("click");
    await flushPromises();
    expect(w.findAll(".case-card")).toHaveLength(1);
  });
});
