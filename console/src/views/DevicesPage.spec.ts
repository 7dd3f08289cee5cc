import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { flushPromises, mount } from "@vue/test-utils";
import { createMemoryHistory } from "vue-router";
import App from "../App.vue";
import { api, type Device } from "../api";
import { formatTime } from "../format";
import { makeI18n } from "../i18n";
import { makeRouter } from "../router";
import { resetSession } from "../session";
import { answer, fakeStation, zhang, ROUTED } from "../testing.fixture";
import DevicesPage from "./DevicesPage.vue";


beforeEach(() => {
  sessionStorage.clear();
  resetSession();
});
afterEach(() => {
  vi.unstubAllGlobals();
  document.body.innerHTML = "";
});

const revokedAt = Date.UTC(2026, 10, 20, 2, 3, 4);
const seenAt = Date.UTC(2026, 10, 19, 8, 0, 0);

const device = (over: Partial<Device> = {}): Device => ({
  id: "pad-0001",
  label: "一中队 1 号平板",
  squad: "一中队",
  revoked: false,
  revoked_at: null,
  reason: null,
  keys: 3,
  last_seen: seenAt,
  ...over,
});

const twoDevices = (): Device[] => [
  device({
    label: "<b>一中队 1 号平板</b>",
    bureau: [
      { kind: "catalogue", state: "taken", label: "权责清单已取用" },
      { kind: "wording", state: "waiting", label: "文书固定用语待同步" },
    ],
  }),
  device({
    id: "pad-0002",
    label: "一中队 2 号平板",
    keys: 1,
    last_seen: null,
    revoked: true,
    revoked_at: revokedAt,
    reason: "平板丢失<script>alert(1)</script>",
  }),
];

type Cells = { findAll: (s: string) => { text: () => string }[] };
const rows = (w: Cells) =>
  w.findAll("[data-test=device-table] tbody tr.el-table__row").map((r) => (r as unknown as Cells).findAll("td").map((c) => c.text()));
const heads = (w: Cells) => w.findAll("[data-test=device-table] thead th").map((c) => c.text());

/** Signs in against the fake station, so that later calls carry the token its answer gives. */
const signIn = () => api.signIn("zhang.wei", "mima-123", "123456");

describe("DevicesPage", () => {
  it("lists devices as text, and revokes one with a reason after confirming, then lists them again", async () => {
    let revoked = false;
    const seen = fakeStation((method, url) => {
      if (url === "/console/api/sign-in") return answer(200, { account: zhang, csrf: "tok-d" });
      if (method === "GET" && url === "/console/api/devices") {
        const list = [
          ...twoDevices(),
          device({ id: "desk-wu", label: "局端控制台 吴敏", squad: "局机关", keys: 1, last_seen: null, desk: true }),
        ];
        if (revoked) Object.assign(list[0], { revoked: true, revoked_at: revokedAt, reason: "借出未归还" });
        return answer(200, { devices: list, may_manage: true });
      }
      if (method === "POST" && url === "/console/api/devices/pad-0001/revoke") {
        revoked = true;
        return answer(200, { number: 7, revoked: 3 });
      }
      return answer(404, { code: "not_found", message: "没有这个地址" });
    });
    await signIn();
    const w = mount(DevicesPage, { global: { plugins: [makeI18n()] }, attachTo: document.body });
    await flushPromises();

    expect(heads(w)).toEqual(["设备", "中队", "签名密钥", "最近同步", "权责清单与文书", "状态", "操作"]);
    const at = formatTime(revokedAt);
    expect(rows(w)).toEqual([
      ["<b>一中队 1 号平板</b>pad-0001", "一中队", "3", formatTime(seenAt), "权责清单已取用；文书固定用语待同步", "正常", "吊销"],
      ["一中队 2 号平板pad-0002", "一中队", "1", "从未同步", "—", `已吊销${at}平板丢失<script>alert(1)</script>`, ""],
      // A desk's device never syncs, and goes with its account (停用 on the accounts page).
      ["局端控制台 吴敏desk-wu", "局机关", "1", "控制台（不同步）", "—", "正常", ""],
    ]);
    // Station text is text, never markup.
    expect(w.find("[data-test=device-table] tbody b").exists()).toBe(false);
    expect(w.find("[data-test=device-table] tbody script").exists()).toBe(false);
    // Only a device still in use can be revoked.
    expect(w.find("[data-test=revoke-pad-0001]").classes()).toContain("el-button--danger");
    expect(w.find("[data-test=revoke-pad-0002]").exists()).toBe(false);
    expect(w.find("[data-test=revoke-dialog]").exists()).toBe(false);

    await w.find("[data-test=revoke-pad-0001]").trigger("click");
    await flushPromises();
    const dialog = w.find("[data-test=revoke-dialog]");
    expect(dialog.isVisible()).toBe(true);
    expect(dialog.text()).toContain("这台平板以及在它上面生成的签名密钥从现在起都将被拒绝");
    expect(dialog.text()).toContain("无法撤销");
    const confirm = () => w.find("[data-test=revoke-confirm]");
    const reason = w.find("textarea[data-test=revoke-reason]");

    // No reason, or only blanks: the confirm button stays disabled and nothing is sent.
    expect(confirm().attributes("disabled")).toBeDefined();
    await reason.setValue("   \n ");
    expect(confirm().attributes("disabled")).toBeDefined();
    await confirm().trigger("click");
    await flushPromises();
    expect(seen.some((s) => s.url.endsWith("/revoke"))).toBe(false);

    await reason.setValue("  借出未归还 ");
    expect(confirm().attributes("disabled")).toBeUndefined();
    // The act is signed onto the log: the administrator's password first.
    await confirm().trigger("click");
    await flushPromises();
    expect(w.find("[data-test=revoke-error]").text()).toContain("请输入您的登录密码");
    expect(seen.some((s) => s.url.endsWith("/revoke"))).toBe(false);
    await w.find("input[data-test=revoke-password]").setValue("admin's own 1");
    await confirm().trigger("click");
    await flushPromises();

    const posts = seen.filter((s) => s.url.endsWith("/revoke"));
    expect(posts).toHaveLength(1);
    expect(posts[0].method).toBe("POST");
    expect(posts[0].url).toBe("/console/api/devices/pad-0001/revoke");
    expect(posts[0].body).toEqual({ reason: "借出未归还", password: "admin's own 1" });
    expect(posts[0].headers["content-type"]).toBe("application/json");
    expect(posts[0].headers["x-csrf-token"]).toBe("tok-d");
    expect(document.body.textContent).toContain("已吊销 3 个证书");
    // The list again, from the station.
    expect(seen.filter((s) => s.url === "/console/api/devices")).toHaveLength(2);
    expect(rows(w)[0][5]).toBe(`已吊销${at}借出未归还`);
    expect(w.find("[data-test=revoke-pad-0001]").exists()).toBe(false);
    w.unmount();
  });

  it("keeps the dialog open with the station's message when revoking is refused", async () => {
    fakeStation((method, url) =>
      method === "GET"
        ? answer(200, { devices: [device()], may_manage: true })
        : answer(400, { code: "bad_request", message: "该设备已被吊销" }),
    );
    const w = mount(DevicesPage, { global: { plugins: [makeI18n()] }, attachTo: document.body });
    await flushPromises();
    await w.find("[data-test=revoke-pad-0001]").trigger("click");
    await flushPromises();
    await w.find("textarea[data-test=revoke-reason]").setValue("平板丢失");
    await w.find("input[data-test=revoke-password]").setValue("admin's own 1");
    await w.find("[data-test=revoke-confirm]").trigger("click");
    await flushPromises();
    expect(w.find("[data-test=revoke-error]").text()).toBe("该设备已被吊销");
    expect(w.find("[data-test=revoke-dialog]").isVisible()).toBe(true);
    expect(document.body.textContent).not.toContain("个证书");
    w.unmount();
  });

  it("offers neither revoking nor enrolment codes when the role may not manage devices", async () => {
    fakeStation(() => answer(200, { devices: twoDevices(), may_manage: false }));
    const w = mount(DevicesPage, { global: { plugins: [makeI18n()] } });
    await flushPromises();
    expect(rows(w)).toHaveLength(2);
    expect(heads(w)).toEqual(["设备", "中队", "签名密钥", "最近同步", "权责清单与文书", "状态"]);
    expect(w.findAll("[data-test^=revoke-]")).toHaveLength(0);
    expect(w.findAll("button").map((b) => b.text())).not.toContain("吊销");
    expect(w.find("[data-test=code-squad]").exists()).toBe(false);
    expect(w.find("[data-test=code-issue]").exists()).toBe(false);
    w.unmount();
  });

  it("says why when the role may not see devices", async () => {
    fakeStation(() => answer(403, { code: "forbidden", message: "法制审核员不能查看设备" }));
    const w = mount(DevicesPage, { global: { plugins: [makeI18n()] } });
    await flushPromises();
    expect(w.find("[data-test=devices-error]").text()).toBe("法制审核员不能查看设备");
    expect(w.find("[data-test=device-table]").exists()).toBe(false);
    expect(w.find("[data-test=code-issue]").exists()).toBe(false);
    w.unmount();
  });

  it("issues an enrolment code and shows its QR as an image of a data: URL, never as markup", async () => {
    const svg =
      '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 21 21" id="qr-from-station">' +
      '<script>alert("二维码")</script><rect width="7" height="7" onload="alert(2)"/></svg>';
    const expires = Date.UTC(2026, 11, 1, 8, 0, 0);
    const seen = fakeStation((method, url) => {
      if (url === "/console/api/sign-in") return answer(200, { account: zhang, csrf: "tok-e" });
      if (method === "GET") return answer(200, { devices: [], may_manage: true });
      return answer(200, { code: "K7Q2-9XMA", squad: "二中队", expires_at: expires, qr_svg: svg });
    });
    await signIn();
    const w = mount(DevicesPage, { global: { plugins: [makeI18n()] }, attachTo: document.body });
    await flushPromises();
    expect(w.find("[data-test=code-issue]").attributes("disabled")).toBeDefined();
    await w.find("input[data-test=code-squad]").setValue(" 二中队 ");
    await w.find("[data-test=code-issue]").trigger("click");
    await flushPromises();
    expect(w.find("[data-test=code-error]").text()).toContain("请输入您的登录密码");
    await w.find("input[data-test=code-password]").setValue("admin's own 1");
    await w.find("[data-test=code-issue]").trigger("click");
    await flushPromises();

    const post = seen.filter((s) => s.method === "POST" && s.url === "/console/api/enrolment-codes");
    expect(post).toHaveLength(1);
    expect(post[0].body).toEqual({ squad: "二中队", password: "admin's own 1" });
    // The password is not kept on the page once used.
    expect((w.find("input[data-test=code-password]").element as HTMLInputElement).value).toBe("");
    expect(post[0].headers["x-csrf-token"]).toBe("tok-e");

    expect(w.find("[data-test=enrolment-code]").text()).toBe("K7Q2-9XMA");
    expect(w.find("[data-test=enrolment-squad]").text()).toBe("二中队");
    expect(w.find("[data-test=enrolment-expires]").text()).toBe(formatTime(expires));

    const qr = w.find("[data-test=enrolment-qr]");
    expect(qr.element.tagName).toBe("IMG");
    const src = qr.attributes("src") ?? "";
    const prefix = "data:image/svg+xml;base64,";
    expect(src.startsWith(prefix)).toBe(true);
    // The image is the station's SVG, UTF-8 and all.
    const bytes = Uint8Array.from(atob(src.slice(prefix.length)), (c) => c.charCodeAt(0));
    expect(new TextDecoder().decode(bytes)).toBe(svg);
    // Nothing of the SVG became part of the page.
    expect(document.getElementById("qr-from-station")).toBeNull();
    expect(document.querySelector("svg#qr-from-station, svg rect, script")).toBeNull();
    expect(w.html()).not.toContain("qr-from-station");
    w.unmount();
  });

  it("is in the menu", async () => {
    fakeStation((_m, url) => {
      if (url === "/console/api/session") return answer(200, { account: zhang, csrf: "tok" });
      if (url === "/console/api/devices") return answer(200, { devices: [device()], may_manage: false });
      return answer(200, { entries: [] });
    });
    const router = makeRouter(createMemoryHistory());
    await router.push("/logs");
    const w = mount(App, { global: { plugins: [makeI18n(), router] }, attachTo: document.body });
    await flushPromises();
    expect(w.find("[data-test=nav-devices]").text()).toBe("设备");
    await w.find("[data-test=nav-devices]").trigger("click");
    await vi.waitFor(() => expect(router.currentRoute.value.name).toBe("devices"), ROUTED);
    await vi.waitFor(() => expect(w.find("[data-test=device-table] tbody").text()).toContain("一中队 1 号平板"));
    w.unmount();
  });
});
