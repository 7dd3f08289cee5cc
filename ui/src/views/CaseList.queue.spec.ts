// The list's 待我处理 queue, the 逾期办理 badge and the squad's 721 ratio.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { flushPromises, mount } from "@vue/test-utils";
import {
  Button, DropdownItem, DropdownMenu, Empty, List, Loading, NavBar, PullRefresh, Search, Tag,
} from "vant";
import { makeI18n } from "../i18n";
import type { CaseRow, Person } from "../api";

const listCases = vi.fn();
const countCases = vi.fn();
const ratio721 = vi.fn();
vi.mock("../api", async (orig) => {
  const real = await orig<typeof import("../api")>();
  return {
    ...real,
    api: {
      listCases: (f: unknown) => listCases(f),
      countCases: (f: unknown) => countCases(f),
      ratio721: (s: unknown, from: number, to: number) => ratio721(s, from, to),
      grids: async () => [],
      catalogue: async () => [],
      appInfo: async () => ({ data_dir: "/d", device_id: "device-1", case_count: 2, overdue: 0, due_soon: 0 }),
      unsyncedCases: async () => [],
    },
  };
});

import CaseList from "./CaseList.vue";

const leader: Person = { id: "liu.jianguo", name: "刘建国", role: "squad_leader", cert_no: "1", squad: "一中队" };
const assistant: Person = { id: "chen.xie", name: "陈协", role: "assistant", cert_no: null, squad: "一中队" };
const mountList = (me?: Person) =>
  mount(CaseList, {
    props: { me },
    global: { plugins: [makeI18n(), Button, DropdownItem, DropdownMenu, Empty, List, Loading, NavBar, PullRefresh, Search, Tag] },
  });

const row = (id: string, deadlines: CaseRow["deadlines"] = []): CaseRow => ({
  id, squad: "一中队", status: "delivered", domain: "transport", domain_name: "交通管理",
  violation: "transport.x", violation_name: "占道经营", source: "self_discovered", address: "路口",
  grid: "G1", parties: "", summary: "", registered_at: 0, updated_at: 0, deadlines, anomalies: 0, people: [],
});

describe("CaseList: waiting on me, late, 721", () => {
  beforeEach(() => {
    listCases.mockReset();
    countCases.mockReset();
    ratio721.mockReset();
    ratio721.mockResolvedValue({ service: 7, management: 2, enforcement: 1 });
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
  });
  afterEach(() => {
    vi.runOnlyPendingTimers();
    vi.useRealTimers();
  });

  it("lets a squad leader see the squad's cases waiting on a squad leader", async () => {
    listCases.mockResolvedValue([row("a")]);
    countCases.mockImplementation(async (f: { waiting_on?: string }) => (f.waiting_on ? 3 : 1));
    const w = mountList(leader);
    await flushPromises();
    expect(countCases).toHaveBeenCalledWith({ waiting_on: "squad_leader", squad: "一中队" });
    const chip = w.find(".todo-mine");
    expect(chip.text()).toBe("待我处理 3 件");
    await chip.trigger("click");
    await flushPromises();
    expect(listCases).toHaveBeenLastCalledWith(expect.objectContaining({ waiting_on: "squad_leader", squad: "一中队" }));
    await w.find(".todo-mine").trigger("click");
    await flushPromises();
    expect(listCases.mock.lastCall![0].waiting_on).toBeUndefined();
  });

  it("has no queue for an assistant, whose work waits on no one", async () => {
    listCases.mockResolvedValue([]);
    countCases.mockResolvedValue(5);
    const w = mountList(assistant);
    await flushPromises();
    expect(countCases).not.toHaveBeenCalledWith(expect.objectContaining({ waiting_on: expect.anything() }));
    expect(w.find(".todo-mine").exists()).toBe(false);
  });

  it("marks cases whose deadlines were met late as well as overdue ones", async () => {
    const DAY = 86_400_000;
    listCases.mockResolvedValue([
      row("late", [
        { kind: { kind: "payment" }, due: Date.now() - DAY, urgency: "overdue" },
        { kind: { kind: "delivery" }, due: Date.now() - 9 * DAY, urgency: "late", met_late: [Date.now() - 5 * DAY, "当事人外出"] },
      ]),
      row("fine"),
    ]);
    countCases.mockResolvedValue(2);
    const w = mountList(leader);
    await flushPromises();
    expect(w.find("[data-case-id=late] .deadline").attributes("data-urgency")).toBe("overdue");
    expect(w.find("[data-case-id=late] .late").text()).toBe("逾期办理");
    expect(w.find("[data-case-id=fine] .late").exists()).toBe(false);
  });

  it("shows the squad's 721 ratio", async () => {
    listCases.mockResolvedValue([row("a")]);
    countCases.mockResolvedValue(1);
    const w = mountList(leader);
    await flushPromises();
    expect(ratio721).toHaveBeenCalledWith("一中队", expect.any(Number), expect.any(Number));
    expect(w.find(".ratio").text()).toContain("服务 7（70%）");
  });
});
