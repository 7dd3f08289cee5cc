import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { flushPromises, mount } from "@vue/test-utils";
import { api, type DrawItem, type DrawTask } from "../api";
import { makeI18n } from "../i18n";
import { resetSession } from "../session";
import { answer, fakeStation, zhang } from "../testing.fixture";
import DrawsPage from "./DrawsPage.vue";

beforeEach(() => {
  sessionStorage.clear();
  resetSession();
});
afterEach(() => {
  vi.unstubAllGlobals();
  document.body.innerHTML = "";
});

const task = (over: Partial<DrawTask>): DrawTask => ({
  id: "T1",
  name: "一号商店",
  address: "解放路1号",
  category: "沿街商户",
  inspectors: [
    { id: "li.ming", name: "李明", squad: "一中队" },
    { id: "wang.fang", name: "王芳", squad: "一中队" },
  ],
  report: null,
  may_report: true,
  ...over,
});

const drawn: DrawItem = {
  id: "draw-20261201-abcdef",
  title: "沿街商户市容秩序抽查",
  count: 2,
  register_size: 12,
  inspector_count: 6,
  planned_at: Date.UTC(2026, 11, 1, 2),
  plan_digest: "ab".repeat(32),
  plan_index: 260,
  seed_size: 262,
  seedable: true,
  drawn_at: Date.UTC(2026, 11, 1, 3),
  root: "cd".repeat(32),
  tasks: [
    task({ name: "<b>一号商店</b>" }),
    task({
      id: "T2",
      name: "二号商店",
      inspectors: [{ id: "zhao", name: "赵强", squad: "二中队" }],
      may_report: false,
      report: {
        outcome: "case_filed",
        outcome_label: "发现违法行为，已立案查处",
        case: "case-9",
        note: "占道经营<script>x</script>",
        reported_at: Date.UTC(2026, 11, 1, 5),
      },
    }),
  ],
};

describe("DrawsPage", () => {
  it("lets a squad leader record the result of their squad's target only, and shows station text as text", async () => {
    const seen = fakeStation((method, url) => {
      if (url === "/console/api/sign-in") return answer(200, { account: zhang, csrf: "tok-r" });
      if (method === "GET" && url.startsWith("/console/api/draws?")) {
        // A page of 20 at a time: the second page asked for holds the draw.
        return url.endsWith("offset=20")
          ? answer(200, { draws: [drawn], total: 21, may_draw: false, inspectors: [] })
          : answer(200, { draws: [], total: 21, may_draw: false, inspectors: [] });
      }
      if (method === "POST" && url === `/console/api/draws/${drawn.id}/reports`) return answer(200, drawn);
      return answer(404, { code: "not_found", message: "没有这个地址" });
    });
    await api.signIn("zhang.wei", "mima-123", "123456");
    const w = mount(DrawsPage, { global: { plugins: [makeI18n()] }, attachTo: document.body });
    await flushPromises();
    expect(seen.filter((x) => x.method === "GET").map((x) => x.url)).toEqual(["/console/api/draws?limit=20&offset=0"]);
    await w.find("[data-test=draw-pages] .btn-next").trigger("click");
    await flushPromises();
    expect(seen.filter((x) => x.method === "GET").map((x) => x.url)[1]).toBe("/console/api/draws?limit=20&offset=20");

    // Planning and drawing are the head's.
    expect(w.find("[data-test=plan-draw]").exists()).toBe(false);
    expect(w.find("[data-test=make-draw]").exists()).toBe(false);
    expect(w.find("[data-test=draw-state]").text()).toBe("已抽取");

    await w.find(".el-table__expand-icon").trigger("click");
    await flushPromises();
    const detail = w.find("[data-test=draw-detail]");
    expect(detail.text()).toContain("<b>一号商店</b>");
    expect(detail.find("b").exists()).toBe(false);
    expect(detail.find("[data-test=task-result]").text()).toContain("发现违法行为，已立案查处（case-9）");
    expect(detail.text()).toContain("占道经营<script>x</script>");
    expect(detail.find("script").exists()).toBe(false);
    // One button: the target their squad inspected.
    const buttons = detail.findAll("[data-test=report-task]");
    expect(buttons).toHaveLength(1);

    await buttons[0].trigger("click");
    await flushPromises();
    await w.find("textarea[data-test=report-note]").setValue("经营正常");
    await w.find("input[data-test=report-password]").setValue("desk-password-1");
    await w.find("[data-test=report-confirm]").trigger("click");
    await flushPromises();
    const posts = seen.filter((s) => s.method === "POST" && s.url.endsWith("/reports"));
    expect(posts).toHaveLength(1);
    expect(posts[0].body).toEqual({
      target: "T1",
      outcome: "compliant",
      case: "",
      note: "经营正常",
      password: "desk-password-1",
    });
    expect(posts[0].headers["x-csrf-token"]).toBe("tok-r");
  });
});

describe("PublishedDraws", () => {
  it("turns the pages of the published draws, asking the station for one page at a time", async () => {
    const { default: PublishedDraws } = await import("./PublishedDraws.vue");
    const seen = fakeStation((_m, url) => {
      const offset = Number(new URL(url, "https://x").searchParams.get("offset"));
      const draws = Array.from({ length: offset === 0 ? 10 : 5 }, (_, i) => ({
        ...drawn,
        id: `draw-${offset + i}`,
        title: `抽查 ${offset + i}`,
      }));
      return answer(200, { total: 15, draws });
    });
    const w = mount(PublishedDraws, { global: { plugins: [makeI18n()] }, attachTo: document.body });
    await flushPromises();
    expect(w.findAll("[data-test=published-draw]")).toHaveLength(10);
    const second = w.findAll(".el-pager li").find((li) => li.text() === "2");
    await second?.trigger("click");
    await flushPromises();
    expect(seen.map((s) => s.url)).toEqual([
      "/console/api/public/draws?limit=10&offset=0",
      "/console/api/public/draws?limit=10&offset=10",
    ]);
    const titles = w.findAll("[data-test=published-draw] h3").map((h) => h.text());
    expect(titles).toEqual(["抽查 10", "抽查 11", "抽查 12", "抽查 13", "抽查 14"]);
    w.unmount();
  });
});
