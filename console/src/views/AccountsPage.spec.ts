import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { flushPromises, mount } from "@vue/test-utils";
import type { AccountItem, PersonItem } from "../api";
import { makeI18n } from "../i18n";
import { account, resetSession } from "../session";
import { answer, fakeStation } from "../testing.fixture";
import AccountsPage from "./AccountsPage.vue";

beforeEach(() => {
  sessionStorage.clear();
  resetSession();
});
afterEach(() => {
  vi.unstubAllGlobals();
  document.body.innerHTML = "";
});

const admin: AccountItem = {
  login: "wu.min",
  name: "吴敏",
  role: "administrator",
  role_label: "管理员",
  squads: [],
  person: null,
  locked_until: null,
  activation_until: null,
};

const liu: PersonItem = {
  id: "liu.jianguo",
  name: "刘建国",
  role: "squad_leader",
  role_label: "中队长",
  squad: "一中队",
  cert_no: "41030020001",
  keys: [],
};

const officer: PersonItem = { ...liu, id: "li.ming", name: "李明", role: "enforcement_officer", role_label: "执法队员" };

const CODE = "0123456789abcdef0123456789abcdef";

async function mountPage() {
  const w = mount(AccountsPage, { global: { plugins: [makeI18n()] }, attachTo: document.body });
  await flushPromises();
  return w;
}

describe("AccountsPage", () => {
  it("lists the accounts as text, locked, awaiting activation or expired, none resettable by itself", async () => {
    account.value = admin;
    fakeStation((_m, url) =>
      url.endsWith("/people")
        ? answer(200, { people: [liu] })
        : answer(200, {
            accounts: [
              admin,
              { ...admin, login: "x<b>y</b>", name: "<i>某</i>", locked_until: Date.UTC(2030, 0, 1) },
              { ...admin, login: "new", activation_until: Date.now() + 3_600_000 },
              { ...admin, login: "late", activation_until: Date.now() - 1 },
            ],
          }),
    );
    const w = await mountPage();
    const rows = w.findAll("[data-test=accounts-table] tbody tr.el-table__row").map((r) => r.findAll("td").map((c) => c.text()));
    expect(rows[0].slice(0, 3)).toEqual(["wu.min", "吴敏", "管理员"]);
    expect(rows[0][5]).toBe("正常");
    expect(rows[1].slice(0, 2)).toEqual(["x<b>y</b>", "<i>某</i>"]);
    expect(rows[1][5]).toContain("已锁定至");
    expect(rows[2][5]).toContain("待本人激活");
    expect(rows[3][5]).toBe("激活链接已过期");
    expect(w.find("[data-test=accounts-table] b").exists()).toBe(false);
    // The administrator resets others' accounts, never their own.
    expect(w.find("[data-test='reset-wu.min']").exists()).toBe(false);
    expect(w.find("[data-test=reset-new]").exists()).toBe(true);
    w.unmount();
  });

  it("makes a squad leader's account for a person and shows its activation link once, no password asked", async () => {
    let made = false;
    const seen = fakeStation((method, url) => {
      if (url.endsWith("/people")) return answer(200, { people: [liu, officer] });
      if (method === "POST") {
        made = true;
        return answer(200, { login: "liu", code: CODE, until: Date.UTC(2030, 0, 1) });
      }
      return answer(200, { accounts: made ? [admin, { ...admin, login: "liu" }] : [admin] });
    });
    const w = await mountPage();
    await w.find("[data-test=account-make]").trigger("click");
    expect(w.find("[data-test=account-error]").text()).toBe("请填写登录名、姓名、角色和您的登录密码");
    expect(w.find("[data-test=account-password]").exists()).toBe(false);
    expect(seen.filter((s) => s.method === "POST")).toEqual([]);

    await w.find("[data-test=account-login]").setValue("liu");
    await w.find("[data-test=account-name-input]").setValue("王芳");
    await w.find("[data-test=role-squad_leader] input").setValue(true);
    await flushPromises();
    await w.find("[data-test=account-squads]").setValue("一中队， 二中队");
    // Only people of the role chosen are offered.
    expect((w.vm as unknown as { candidates: PersonItem[] }).candidates.map((p) => p.id)).toEqual(["liu.jianguo"]);
    (w.vm as unknown as { pickPerson: (id: string) => void; form: { person: string } }).form.person = "liu.jianguo";
    (w.vm as unknown as { pickPerson: (id: string) => void }).pickPerson("liu.jianguo");
    await w.find("[data-test=account-confirm]").setValue("admin's own 1");
    await w.find("[data-test=account-make]").trigger("click");
    await flushPromises();

    const post = seen.find((s) => s.method === "POST");
    expect(post?.url).toBe("/console/api/accounts");
    expect(post?.body).toEqual({
      login: "liu",
      name: "刘建国",
      role: "squad_leader",
      squads: ["一中队", "二中队"],
      person: "liu.jianguo",
      confirm: "admin's own 1",
    });
    expect(w.find("[data-test=account-made]").text()).toContain("账号 liu 已建立，待本人激活");
    expect(w.find("[data-test=account-code]").text()).toBe(CODE);
    expect(w.find("[data-test=account-link]").text()).toBe(
      `${window.location.origin}${import.meta.env.BASE_URL}activate#login=liu&code=${CODE}`,
    );
    // The form is empty again, the list read again.
    expect((w.find("[data-test=account-confirm]").element as HTMLInputElement).value).toBe("");
    expect(w.findAll("[data-test=accounts-table] tbody tr.el-table__row")).toHaveLength(2);
    // Handed over: hidden.
    await w.find("[data-test=account-hide]").trigger("click");
    expect(w.find("[data-test=account-made]").exists()).toBe(false);
    w.unmount();
  });

  it("resets another's account with the administrator's password and shows its new link", async () => {
    account.value = admin;
    const seen = fakeStation((method, url) => {
      if (url.endsWith("/people")) return answer(200, { people: [] });
      if (method === "POST") {
        const body = seen[seen.length - 1].body as { confirm: string };
        return body.confirm === "admin's own 1"
          ? answer(200, { login: "liu", code: CODE, until: Date.UTC(2030, 0, 1) })
          : answer(422, { code: "wrong_password", message: "密码不正确，未签名，也未作任何更改" });
      }
      return answer(200, { accounts: [admin, { ...admin, login: "liu", role: "squad_leader" }] });
    });
    const w = await mountPage();
    await w.find("[data-test=reset-liu]").trigger("click");
    await flushPromises();
    await w.find("[data-test=reset-confirm]").trigger("click");
    expect(document.querySelector("[data-test=reset-error]")?.textContent).toBe("请输入您的登录密码以确认");
    await w.find("[data-test=reset-password]").setValue("wrong");
    await w.find("[data-test=reset-confirm]").trigger("click");
    await flushPromises();
    expect(document.querySelector("[data-test=reset-error]")?.textContent).toBe("密码不正确，未签名，也未作任何更改");
    await w.find("[data-test=reset-password]").setValue("admin's own 1");
    await w.find("[data-test=reset-confirm]").trigger("click");
    await flushPromises();
    const posts = seen.filter((s) => s.method === "POST");
    expect(posts.map((p) => p.url)).toEqual(["/console/api/accounts/liu/reset", "/console/api/accounts/liu/reset"]);
    expect(w.find("[data-test=account-made]").text()).toContain("账号 liu 已重置");
    expect(w.find("[data-test=account-code]").text()).toBe(CODE);
    w.unmount();
  });

  it("disables an account and lifts another's lock, each confirmed with the password; a disabled one says so", async () => {
    account.value = admin;
    const locked = Date.now() + 600_000;
    let disabled = false;
    const seen = fakeStation((method, url) => {
      if (url.endsWith("/people")) return answer(200, { people: [] });
      if (method === "POST") {
        if (url.endsWith("/disable")) disabled = true;
        return answer(200, null);
      }
      return answer(200, {
        accounts: [
          admin,
          { ...admin, login: "liu", disabled },
          { ...admin, login: "ma", locked_until: locked },
        ],
      });
    });
    const w = await mountPage();
    // Only a locked account offers 解锁.
    expect(w.find("[data-test=unlock-liu]").exists()).toBe(false);
    await w.find("[data-test=disable-liu]").trigger("click");
    await flushPromises();
    await w.find("[data-test=disable-password]").setValue("admin's own 1");
    await w.find("[data-test=disable-confirm]").trigger("click");
    await flushPromises();
    await w.find("[data-test=unlock-ma]").trigger("click");
    await flushPromises();
    await w.find("[data-test=unlock-password]").setValue("admin's own 1");
    await w.find("[data-test=unlock-confirm]").trigger("click");
    await flushPromises();
    const posts = seen.filter((x) => x.method === "POST");
    expect(posts.map((p) => [p.url, p.body])).toEqual([
      ["/console/api/accounts/liu/disable", { confirm: "admin's own 1" }],
      ["/console/api/accounts/ma/unlock", { confirm: "admin's own 1" }],
    ]);
    const rows = w.findAll("[data-test=accounts-table] tbody tr.el-table__row").map((r) => r.findAll("td").map((c) => c.text()));
    expect(rows[1][5]).toBe("已停用");
    // A disabled account is reset, not disabled again.
    expect(w.find("[data-test=disable-liu]").exists()).toBe(false);
    expect(w.find("[data-test=reset-liu]").exists()).toBe(true);
    w.unmount();
  });

  it("says in Chinese why an account was not made", async () => {
    const seen = fakeStation((method, url) => {
      if (url.endsWith("/people")) return answer(200, { people: [] });
      if (method === "POST") return answer(409, { code: "login_taken", message: "登录名 liu 已被使用" });
      return answer(200, { accounts: [admin] });
    });
    const w = await mountPage();
    await w.find("[data-test=account-login]").setValue("liu");
    await w.find("[data-test=account-name-input]").setValue("刘");
    // Squads typed for a squad leader, then another role chosen: none are sent.
    await w.find("[data-test=role-squad_leader] input").setValue(true);
    await flushPromises();
    await w.find("[data-test=account-squads]").setValue("一中队");
    await w.find("[data-test=role-supervision] input").setValue(true);
    await flushPromises();
    expect(w.find("[data-test=account-squads]").exists()).toBe(false);
    await w.find("[data-test=account-confirm]").setValue("admin's own 1");
    await w.find("[data-test=account-make]").trigger("click");
    await flushPromises();
    expect(w.find("[data-test=account-error]").text()).toBe("登录名 liu 已被使用");
    expect(seen.find((x) => x.method === "POST")?.body).toMatchObject({ role: "supervision", squads: [] });
    expect(w.find("[data-test=account-made]").exists()).toBe(false);
    w.unmount();
  });
});
