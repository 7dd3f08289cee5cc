import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { flushPromises, mount } from "@vue/test-utils";
import { createMemoryHistory } from "vue-router";
import App from "./App.vue";
import { makeI18n } from "./i18n";
import { makeRouter } from "./router";
import { account, resetSession } from "./session";
import { answer, caseRow, dashboardAnswer, fakeStation, zhang, ROUTED } from "./testing.fixture";


beforeEach(() => {
  sessionStorage.clear();
  resetSession();
});
afterEach(() => vi.unstubAllGlobals());

async function open(path: string) {
  const router = makeRouter(createMemoryHistory());
  await router.push(path);
  const w = mount(App, { global: { plugins: [makeI18n(), router] }, attachTo: document.body });
  await flushPromises();
  return { router, w };
}

describe("router", () => {
  it("shows the published penalty results to anyone, without a session, as text", async () => {
    const seen = fakeStation((_m, url) => {
      if (url.startsWith("/console/api/public/disclosures")) {
        return answer(200, {
          total: 2,
          results: [
            {
              case_id: "QC-2",
              violation_name: "占道经营",
              published_at: Date.UTC(2026, 10, 20),
              text: "当事人王**：占道经营，决定罚款200元。<script>window.__pwned=1</script>",
              revoked: { at: Date.UTC(2026, 10, 25), authority: "某区人民法院", reason: "事实不清" },
              corrected: { at: Date.UTC(2026, 10, 26), explanation: "原决定已撤销", text: "该处罚决定已撤销。" },
            },
            {
              case_id: "QC-1",
              violation_name: "违法回收药品",
              published_at: Date.UTC(2026, 10, 18),
              text: "当事人孙**：决定罚款500元。",
              revoked: null,
              corrected: null,
            },
          ],
        });
      }
      if (url === "/console/api/public/draws?limit=10&offset=0") {
        return answer(200, { total: 1, draws: [
          {
            id: "draw-1",
            title: "沿街商户抽查",
            count: 1,
            register_size: 3,
            inspector_count: 2,
            planned_at: Date.UTC(2026, 10, 1),
            plan_digest: "ab",
            plan_index: 4,
            seed_size: 6,
            seedable: true,
            drawn_at: Date.UTC(2026, 10, 2),
            root: "cd",
            tasks: [
              {
                id: "T1",
                name: "<script>window.__pwned=1</script>一号商店",
                address: "解放路1号",
                category: "",
                inspectors: [
                  { id: "a", name: "李明", squad: "一中队" },
                  { id: "b", name: "王芳", squad: "一中队" },
                ],
              },
            ],
          },
        ] });
      }
      return answer(401, { code: "unauthorized", message: "请先登录" });
    });
    const { router, w } = await open("/disclosures");
    expect(router.currentRoute.value.name).toBe("disclosures");
    expect(seen.some((s) => s.url === "/console/api/session")).toBe(false);
    expect(seen.map((s) => s.url).sort()).toEqual([
      "/console/api/public/disclosures?limit=20&offset=0",
      "/console/api/public/draws?limit=10&offset=0",
    ]);
    const draw = w.find("[data-test=published-draw]");
    expect(draw.text()).toContain("<script>window.__pwned=1</script>一号商店");
    expect(draw.text()).toContain("李明、王芳");
    expect(draw.find("script").exists()).toBe(false);
    expect(w.find("[data-test=published-total]").text()).toBe("共 2 件");
    const texts = w.findAll("[data-test=published-text]");
    expect(texts.map((x) => x.text())).toEqual([
      "当事人王**：占道经营，决定罚款200元。<script>window.__pwned=1</script>",
      "当事人孙**：决定罚款500元。",
    ]);
    expect(w.find("[data-test=published] script").exists()).toBe(false);
    expect(texts[0].classes()).toContain("superseded");
    expect(w.find("[data-test=published-revoked]").text()).toContain("经某区人民法院撤销：事实不清");
    expect(w.find("[data-test=published-corrected]").text()).toContain("更正后内容：该处罚决定已撤销。");
    w.unmount();
  });

  it("sends a visitor without a session to the sign-in page, remembering where they were going", async () => {
    fakeStation(() => answer(401, { code: "unauthorized", message: "请先登录" }));
    const { router, w } = await open("/logs");
    expect(router.currentRoute.value.name).toBe("sign-in");
    expect(router.currentRoute.value.query.next).toBe("/logs");
    expect(w.find("[data-test=sign-in]").exists()).toBe(true);
    w.unmount();
  });

  it("restores the session after a reload, and goes to sign-in when the session ends on a later call", async () => {
    let expired = false;
    const seen = fakeStation((_m, url) => {
      if (url === "/console/api/session") return answer(200, { account: zhang, csrf: "tok" });
      if (expired) return answer(401, { code: "unauthorized", message: "登录已失效，请重新登录" });
      if (url === "/console/api/dashboard") return answer(200, { ...dashboardAnswer, scope: "一中队的案件" });
      if (url.startsWith("/console/api/cases")) return answer(200, { total: 1, cases: [caseRow()] });
      return answer(200, { entries: [] });
    });
    const { router, w } = await open("/");
    expect(router.currentRoute.value.name).toBe("dashboard");
    expect(account.value).toEqual(zhang);
    expect(w.find("[data-test=account-name]").text()).toBe("张伟");
    expect(w.find("[data-test=account-role]").text()).toBe("中队长");
    expect(w.find("[data-test=scope]").text()).toBe("一中队的案件");

    await w.find("[data-test=nav-cases]").trigger("click");
    await vi.waitFor(() => expect(router.currentRoute.value.name).toBe("cases"), ROUTED);
    await vi.waitFor(() => expect(w.find("[data-test=case-total]").text()).toBe("共 1 件"));
    expect(w.find("[data-test=case-table] tbody").text()).toContain("占道经营");

    expired = true;
    await router.push("/logs");
    await flushPromises();
    expect(seen[seen.length - 1].url).toBe("/console/api/logs?kind=login&limit=200");
    await vi.waitFor(() => expect(router.currentRoute.value.name).toBe("sign-in"), ROUTED);
    expect(router.currentRoute.value.query.next).toBe("/logs");
    expect(account.value).toBeNull();
    await vi.waitFor(() => expect(w.find("[data-test=sign-in]").exists()).toBe(true));
    w.unmount();
  });

  it("keeps a signed-in person away from the sign-in page", async () => {
    fakeStation((_m, url) =>
      url === "/console/api/session" ? answer(200, { account: zhang, csrf: "tok" }) : answer(200, dashboardAnswer),
    );
    const { router, w } = await open("/sign-in");
    expect(router.currentRoute.value.name).toBe("dashboard");
    w.unmount();
  });
});
