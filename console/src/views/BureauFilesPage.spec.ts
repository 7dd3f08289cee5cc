import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { flushPromises, mount, type VueWrapper } from "@vue/test-utils";
import { createMemoryHistory } from "vue-router";
import App from "../App.vue";
import { api, type Account, type BureauFilePreview, type BureauFiles } from "../api";
import { formatTime } from "../format";
import { makeI18n } from "../i18n";
import { makeRouter } from "../router";
import { account, resetSession } from "../session";
import { answer, fakeStation, zhang } from "../testing.fixture";
import BureauFilesPage from "./BureauFilesPage.vue";

beforeEach(() => {
  sessionStorage.clear();
  resetSession();
});
afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  document.body.innerHTML = "";
});

const wu: Account = { login: "wu.min", name: "吴敏", role: "administrator", role_label: "管理员", squads: [] };

const OLD = "a".repeat(64);
const NEW = "b".repeat(64);
const WORDING = "c".repeat(64);
const importedAt = Date.UTC(2026, 10, 30, 6, 10, 0);
const catalogueText = '{"version":3,"domains":[]}';
const wordingText = 'bureau_name = "示例市城市管理综合行政执法局"\n';

const inForce = (over: { digest?: string; imported?: boolean } = {}): BureauFiles => ({
  catalogue: {
    version: 3,
    note: "2026 年修订<b>稿</b>",
    domains: [
      { code: "environment", name: "环境保护", violations: 12 },
      { code: "city_appearance", name: "<i>市容环境</i>", violations: 30 },
    ],
    digest: over.digest ?? OLD,
    imported_at: over.imported ? importedAt : null,
    imported_by: over.imported ? "wu.min" : null,
    text: catalogueText,
  },
  wording: {
    bureau_name: "示例市城市管理综合行政执法局",
    digest: WORDING,
    imported_at: null,
    imported_by: null,
    text: wordingText,
  },
});

const changed: BureauFilePreview = {
  kind: "catalogue",
  from: "第 3 版",
  to: "第 4 版",
  replacing: OLD,
  digest: NEW,
  changes: [
    { change: "added", change_label: "新增", item: "environment.noise", name: "噪声扰民", detail: "" },
    {
      change: "changed",
      change_label: "修改",
      item: "environment.open_air_barbecue",
      name: "露天烧烤<script>x</script>",
      detail: "自由裁量基准：一般 2000–8000 元 → 一般 2000–10000 元",
    },
  ],
};

const offeredText = '{"version":4,"note":"第 4 版","domains":[]}';

async function mountPage() {
  const w = mount(BureauFilesPage, { global: { plugins: [makeI18n()] }, attachTo: document.body });
  await flushPromises();
  return w;
}

/** Chooses a file in the page's file input of `kind`, as a person does. */
async function choose(w: VueWrapper, kind: string, content: string | Uint8Array, name = "catalogue.json") {
  const input = w.find(`input[data-test=bureau-file-${kind}]`);
  const file = new File([content as BlobPart], name, { type: "application/json" });
  Object.defineProperty(input.element, "files", { value: [file], configurable: true });
  await input.trigger("change");
  await flushPromises();
  await vi.waitFor(() => expect(w.find(`[data-test=bureau-chosen-${kind}] .hint`).exists()).toBe(false));
  await flushPromises();
}

type Cells = { findAll: (s: string) => { text: () => string }[] };
const rows = (w: Cells, test: string) =>
  w.findAll(`[data-test=${test}] tbody tr.el-table__row`).map((r) => (r as unknown as Cells).findAll("td").map((c) => c.text()));

describe("BureauFilesPage", () => {
  it("shows the catalogue and the wording in force as text, and downloads the text in force", async () => {
    account.value = wu;
    const seen = fakeStation(() => answer(200, inForce({ imported: true })));
    const names: string[] = [];
    const blobs: Blob[] = [];
    vi.spyOn(URL, "createObjectURL").mockImplementation((b) => {
      blobs.push(b as Blob);
      return "blob:bureau";
    });
    vi.spyOn(URL, "revokeObjectURL").mockImplementation(() => {});
    vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (this: HTMLAnchorElement) {
      names.push(this.download);
    });
    const w = await mountPage();
    expect(seen.map((s) => [s.method, s.url])).toEqual([["GET", "/console/api/bureau-files"]]);

    const catalogue = w.find("[data-test=bureau-card-catalogue]");
    expect(catalogue.text()).toContain("权责清单");
    expect(w.find("[data-test=bureau-version]").text()).toBe("第 3 版");
    expect(catalogue.text()).toContain("2026 年修订<b>稿</b>");
    expect(w.find("[data-test=bureau-digest-catalogue]").text()).toBe(`${OLD.slice(0, 16)}…`);
    expect(w.find("[data-test=bureau-digest-catalogue]").attributes("title")).toBe(OLD);
    expect(w.find("[data-test=bureau-source-catalogue]").text()).toBe(`wu.min 于 ${formatTime(importedAt)} 导入`);
    expect(rows(w, "bureau-domains")).toEqual([
      ["环境保护", "environment", "12"],
      ["<i>市容环境</i>", "city_appearance", "30"],
    ]);
    // The station's text is text, never markup.
    expect(catalogue.find("b").exists()).toBe(false);
    expect(catalogue.find("i").exists()).toBe(false);

    expect(w.find("[data-test=bureau-card-wording]").text()).toContain("文书固定用语");
    expect(w.find("[data-test=bureau-name]").text()).toBe("示例市城市管理综合行政执法局");
    expect(w.find("[data-test=bureau-source-wording]").text()).toBe("内置文件（随软件发布）");

    await w.find("[data-test=bureau-download-catalogue]").trigger("click");
    await w.find("[data-test=bureau-download-wording]").trigger("click");
    expect(names).toEqual(["catalogue.json", "wording.toml"]);
    expect(await blobs[0].text()).toBe(catalogueText);
    expect(await blobs[1].text()).toBe(wordingText);
    // Nothing was asked of the station for it.
    expect(seen).toHaveLength(1);
    expect(w.find("[data-test=bureau-problem-catalogue]").exists()).toBe(false);
    w.unmount();
  });

  it("says when a file kept at the station is not used and the built-in one is", async () => {
    account.value = wu;
    const files = inForce();
    files.catalogue.problem = "已存的权责清单不可用（内容与摘要不符），现按内置文件执行，请重新导入";
    fakeStation(() => answer(200, files));
    const w = await mountPage();
    expect(w.find("[data-test=bureau-problem-catalogue]").text()).toBe(files.catalogue.problem);
    expect(w.find("[data-test=bureau-problem-wording]").exists()).toBe(false);
    w.unmount();
  });

  it("previews a file chosen and lists its changes; the import posts text, replacing and password and shows the summary", async () => {
    let imported = false;
    const seen = fakeStation((method, url, body) => {
      if (url === "/console/api/sign-in") return answer(200, { account: wu, csrf: "tok-b" });
      if (method === "GET" && url === "/console/api/bureau-files")
        return answer(200, imported ? inForce({ digest: NEW, imported: true }) : inForce());
      if (method === "POST" && url === "/console/api/bureau-files/catalogue/preview") return answer(200, changed);
      if (method === "POST" && url === "/console/api/bureau-files/catalogue") {
        if ((body as { password: string }).password !== "admin's own 1")
          return answer(422, { code: "wrong_password", message: "密码不正确，未签名，也未作任何更改" });
        imported = true;
        return answer(200, { digest: NEW, summary: "更新权责清单 第 4 版（新增 1 项，删除 0 项，修改 1 项）" });
      }
      return answer(404, { code: "not_found", message: "没有这个地址" });
    });
    await api.signIn("wu.min", "admin's own 1", "123456");
    account.value = wu;
    const w = await mountPage();
    expect(w.find("[data-test=bureau-import-catalogue]").exists()).toBe(false);

    // A byte order mark is not part of the text.
    await choose(w, "catalogue", "\uFEFF" + offeredText);
    const previews = seen.filter((s) => s.url.endsWith("/preview"));
    expect(previews).toHaveLength(1);
    expect(previews[0].method).toBe("POST");
    expect(previews[0].url).toBe("/console/api/bureau-files/catalogue/preview");
    expect(previews[0].body).toEqual({ text: offeredText });
    expect(previews[0].headers["content-type"]).toBe("application/json");
    expect(previews[0].headers["x-csrf-token"]).toBe("tok-b");

    expect(w.find("[data-test=bureau-chosen-catalogue]").text()).toBe("已选择：catalogue.json");
    expect(w.find("[data-test=bureau-from-to-catalogue]").text()).toContain("第 3 版 → 第 4 版");
    expect(rows(w, "bureau-preview-catalogue")).toEqual([
      ["新增", "environment.noise", "噪声扰民", ""],
      ["修改", "environment.open_air_barbecue", "露天烧烤<script>x</script>", "自由裁量基准：一般 2000–8000 元 → 一般 2000–10000 元"],
    ]);
    expect(w.find("[data-test=bureau-preview-catalogue] script").exists()).toBe(false);
    expect(w.find("[data-test=bureau-preview-catalogue] .el-tag--success").text()).toBe("新增");
    // Nothing signed yet.
    expect(seen.some((s) => s.url === "/console/api/bureau-files/catalogue")).toBe(false);

    await w.find("[data-test=bureau-import-catalogue]").trigger("click");
    await flushPromises();
    expect(w.find("[data-test=bureau-dialog]").isVisible()).toBe(true);
    expect(w.find("[data-test=bureau-dialog]").text()).toContain("第 3 版 → 第 4 版，共 2 项变更");
    const confirm = () => w.find("[data-test=bureau-confirm]");
    // The act is signed onto the log: the administrator's password first.
    await confirm().trigger("click");
    await flushPromises();
    expect(w.find("[data-test=bureau-error]").text()).toContain("请输入您的登录密码");
    expect(seen.some((s) => s.url === "/console/api/bureau-files/catalogue")).toBe(false);
    // A wrong password: the station's words, the dialog still open, nothing changed.
    await w.find("input[data-test=bureau-password]").setValue("wrong");
    await confirm().trigger("click");
    await flushPromises();
    expect(w.find("[data-test=bureau-error]").text()).toBe("密码不正确，未签名，也未作任何更改");
    expect(w.find("[data-test=bureau-dialog]").isVisible()).toBe(true);
    expect(w.find("[data-test=bureau-preview-catalogue]").exists()).toBe(true);

    await w.find("input[data-test=bureau-password]").setValue("admin's own 1");
    await confirm().trigger("click");
    await flushPromises();
    const posts = seen.filter((s) => s.method === "POST" && s.url === "/console/api/bureau-files/catalogue");
    expect(posts).toHaveLength(2);
    expect(posts[1].body).toEqual({ text: offeredText, replacing: OLD, password: "admin's own 1" });
    expect(posts[1].headers["x-csrf-token"]).toBe("tok-b");
    expect(w.find("[data-test=bureau-summary-catalogue]").text()).toBe(
      "更新权责清单 第 4 版（新增 1 项，删除 0 项，修改 1 项）",
    );
    // Read again from the station; the preview is done with.
    expect(seen.filter((s) => s.method === "GET" && s.url === "/console/api/bureau-files")).toHaveLength(2);
    expect(w.find("[data-test=bureau-digest-catalogue]").attributes("title")).toBe(NEW);
    expect(w.find("[data-test=bureau-preview-catalogue]").exists()).toBe(false);
    expect(w.find("[data-test=bureau-import-catalogue]").exists()).toBe(false);
    await vi.waitFor(() => expect(w.find("[data-test=bureau-dialog]").isVisible()).toBe(false));
    w.unmount();
  });

  it("shows why the station refused a file, and offers no import", async () => {
    account.value = wu;
    const seen = fakeStation((method) =>
      method === "GET"
        ? answer(200, inForce())
        : answer(400, { error: "以下违法行为类型仍有案件使用，不能删除：environment.open_air_barbecue（露天烧烤）" }),
    );
    const w = await mountPage();
    await choose(w, "catalogue", offeredText);
    expect(seen.filter((s) => s.method === "POST")).toHaveLength(1);
    expect(w.find("[data-test=bureau-refused-catalogue]").text()).toBe(
      "以下违法行为类型仍有案件使用，不能删除：environment.open_air_barbecue（露天烧烤）",
    );
    expect(w.find("[data-test=bureau-preview-catalogue]").exists()).toBe(false);
    expect(w.find("[data-test=bureau-import-catalogue]").exists()).toBe(false);
    w.unmount();
  });

  it("refuses a file that is not UTF-8 text without sending it", async () => {
    account.value = wu;
    const seen = fakeStation(() => answer(200, inForce()));
    const w = await mountPage();
    // 权责 in GBK.
    await choose(w, "wording", new Uint8Array([0xc8, 0xa8, 0xd4, 0xf0]), "wording.toml");
    expect(w.find("[data-test=bureau-refused-wording]").text()).toContain("不是 UTF-8");
    expect(seen.filter((s) => s.method === "POST")).toHaveLength(0);
    w.unmount();
  });

  it("says a file the same as the one in force needs no import", async () => {
    account.value = wu;
    const seen = fakeStation((method, url) => {
      if (method === "GET") return answer(200, inForce());
      expect(url).toBe("/console/api/bureau-files/wording/preview");
      return answer(200, { kind: "wording", from: "示例市", to: "示例市", replacing: WORDING, digest: WORDING, changes: [] });
    });
    const w = await mountPage();
    await choose(w, "wording", wordingText, "wording.toml");
    expect(seen.filter((s) => s.method === "POST").map((s) => s.body)).toEqual([{ text: wordingText }]);
    expect(w.find("[data-test=bureau-same-wording]").text()).toBe("与现行文件相同，无需导入");
    expect(w.find("[data-test=bureau-preview-wording]").exists()).toBe(false);
    expect(w.find("[data-test=bureau-import-wording]").exists()).toBe(false);
    w.unmount();
  });

  it("asks to preview again when another file was put in force since the preview", async () => {
    account.value = wu;
    let replaced = false;
    const seen = fakeStation((method, url) => {
      if (method === "GET") return answer(200, replaced ? inForce({ digest: NEW, imported: true }) : inForce());
      if (url.endsWith("/preview")) return answer(200, replaced ? { ...changed, replacing: NEW } : changed);
      replaced = true;
      return answer(409, { code: "conflict", message: "权责清单已被他人更新，请重新预览" });
    });
    const w = await mountPage();
    await choose(w, "catalogue", offeredText);
    await w.find("[data-test=bureau-import-catalogue]").trigger("click");
    await flushPromises();
    await w.find("input[data-test=bureau-password]").setValue("admin's own 1");
    await w.find("[data-test=bureau-confirm]").trigger("click");
    await flushPromises();
    expect(w.find("[data-test=bureau-refused-catalogue]").text()).toBe("权责清单已被他人更新，请重新预览");
    expect(w.find("[data-test=bureau-preview-catalogue]").exists()).toBe(false);
    expect(w.find("[data-test=bureau-digest-catalogue]").attributes("title")).toBe(NEW);
    await vi.waitFor(() => expect(w.find("[data-test=bureau-dialog]").isVisible()).toBe(false));

    // The file chosen is kept: previewed again against the file now in force, then imported.
    await w.find("[data-test=bureau-repreview-catalogue]").trigger("click");
    await flushPromises();
    expect(seen.filter((s) => s.url.endsWith("/preview")).map((s) => s.body)).toEqual([
      { text: offeredText },
      { text: offeredText },
    ]);
    expect(rows(w, "bureau-preview-catalogue")).toHaveLength(2);
    expect(w.find("[data-test=bureau-import-catalogue]").exists()).toBe(true);
    w.unmount();
  });

  it("shows a role that does not administer the files in force, without a file chooser", async () => {
    account.value = { ...zhang, role: "head", role_label: "局领导" };
    const seen = fakeStation(() => answer(200, inForce()));
    const w = await mountPage();
    expect(w.find("[data-test=bureau-version]").text()).toBe("第 3 版");
    expect(w.find("[data-test=bureau-download-catalogue]").exists()).toBe(true);
    expect(w.find("[data-test=bureau-file-catalogue]").exists()).toBe(false);
    expect(w.find("[data-test=bureau-file-wording]").exists()).toBe(false);
    expect(w.find("input[type=file]").exists()).toBe(false);
    expect(w.find("[data-test^=bureau-import]").exists()).toBe(false);
    expect(seen).toHaveLength(1);
    w.unmount();
  });

  it("says why when the role may not see the files", async () => {
    fakeStation(() => answer(403, { code: "forbidden", message: "当前账号无权进行此操作" }));
    const w = await mountPage();
    expect(w.find("[data-test=bureau-files-error]").text()).toBe("当前账号无权进行此操作");
    expect(w.find("[data-test=bureau-card-catalogue]").exists()).toBe(false);
    w.unmount();
  });

  it("is in the menu", async () => {
    fakeStation((_m, url) => {
      if (url === "/console/api/session") return answer(200, { account: zhang, csrf: "tok" });
      if (url === "/console/api/bureau-files") return answer(200, inForce());
      return answer(200, { entries: [] });
    });
    const router = makeRouter(createMemoryHistory());
    await router.push("/logs");
    const w = mount(App, { global: { plugins: [makeI18n(), router] }, attachTo: document.body });
    await flushPromises();
    expect(w.find("[data-test=nav-bureau-files]").text()).toBe("权责清单与文书");
    await w.find("[data-test=nav-bureau-files]").trigger("click");
    await vi.waitFor(() => expect(router.currentRoute.value.name).toBe("bureau-files"));
    await vi.waitFor(() => expect(w.find("[data-test=bureau-name]").text()).toBe("示例市城市管理综合行政执法局"));
    expect(router.currentRoute.value.path).toBe("/bureau-files");
    // A squad leader only views.
    expect(w.find("[data-test=bureau-file-catalogue]").exists()).toBe(false);
    w.unmount();
  });
});
